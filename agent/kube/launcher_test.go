package kube_test

import (
	"errors"
	"regexp"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/lancegate/lancegate/agent"
	"github.com/lancegate/lancegate/agent/kube"
)

const jobID = "20260301T110000.000000Z-0a1b2c3d"

// fullConfig sets every field of Config.
func fullConfig() kube.Config {
	return kube.Config{
		Namespace:       ns,
		Image:           "registry.example/lancegate:v1",
		ImagePullPolicy: corev1.PullIfNotPresent,
		ServiceAccount:  "lancegate-job",
		Args:            []string{"--storage", "az://tables/prod", "--storage-option", "account_name=acct"},
		Env:             []corev1.EnvVar{{Name: "LANCEGATE_LOG_LEVEL", Value: "debug"}},
		EnvFrom:         []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "lancegate-kafka"}}}},
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("8Gi")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("16Gi")},
		},
		Labels:           map[string]string{"team": "data"},
		Annotations:      map[string]string{"example.com/owner": "platform"},
		NodeSelector:     map[string]string{"agentpool": "batch"},
		Tolerations:      []corev1.Toleration{{Key: "batch", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
		BackoffLimit:     new(int32(0)),
		ActiveDeadline:   30 * time.Minute,
		TTLAfterFinished: 10 * time.Minute,
		WorkloadIdentity: true,
		Instance:         "prod",
	}
}

// managed are the labels of every Job of a launcher without an instance.
func managed(extra map[string]string) map[string]string {
	m := map[string]string{
		kube.LabelName:      "lancegate",
		kube.LabelComponent: "job",
		kube.LabelManagedBy: "lancegate-agent",
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func TestLaunchCreatesJob(t *testing.T) {
	oddSpec := agent.JobSpec{
		ID: jobID, Table: "Sales.Orders 2024 — ünïcode", Type: agent.JobIndex, Version: 0,
		Reason: "--not-a-flag",
	}
	tests := []struct {
		name string
		cfg  kube.Config
		spec agent.JobSpec

		wantName        *regexp.Regexp
		wantLabels      map[string]string
		wantPodLabels   map[string]string
		wantAnnotations map[string]string
		wantCommand     []string
		wantSA          string
		wantPull        corev1.PullPolicy
		wantResources   corev1.ResourceRequirements
		wantEnv         []corev1.EnvVar
		wantEnvFrom     []corev1.EnvFromSource
		wantNodeSel     map[string]string
		wantTolerations []corev1.Toleration
		wantBackoff     *int32
		wantDeadline    *int64
		wantTTL         *int32
	}{
		{
			name:     "defaults",
			cfg:      baseConfig(),
			spec:     spec("orders", agent.JobCompact, jobID),
			wantName: regexp.MustCompile(`^lancegate-compact-orders-[0-9a-f]{10}$`),
			wantLabels: managed(map[string]string{
				kube.LabelTable: "orders", kube.LabelJobType: "compact", kube.LabelJobID: jobID,
			}),
			wantPodLabels: managed(map[string]string{
				kube.LabelTable: "orders", kube.LabelJobType: "compact", kube.LabelJobID: jobID,
			}),
			wantAnnotations: map[string]string{
				kube.AnnotationTable: "orders", kube.AnnotationJobID: jobID,
				kube.AnnotationReason: "12 small fragments", kube.AnnotationVersion: "7",
				kube.AnnotationCreated: "2026-03-01T11:00:00Z",
			},
			wantCommand: []string{"lancegate", "job", "--type", "compact", "--table", "orders",
				"--job-id", jobID, "--version", "7", "--reason", "12 small fragments"},
			wantResources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("1Gi")},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("4Gi")},
			},
			wantBackoff:  new(int32(3)),
			wantDeadline: new(int64(7200)),
			wantTTL:      new(int32(3600)),
		},
		{
			name:     "full config",
			cfg:      fullConfig(),
			spec:     spec("orders", agent.JobCleanup, jobID),
			wantName: regexp.MustCompile(`^lancegate-cleanup-orders-[0-9a-f]{10}$`),
			wantLabels: managed(map[string]string{
				kube.LabelTable: "orders", kube.LabelJobType: "cleanup", kube.LabelJobID: jobID,
				kube.LabelInstance: "prod", "team": "data",
			}),
			wantPodLabels: managed(map[string]string{
				kube.LabelTable: "orders", kube.LabelJobType: "cleanup", kube.LabelJobID: jobID,
				kube.LabelInstance: "prod", "team": "data", kube.LabelWorkloadIdentity: "true",
			}),
			wantAnnotations: map[string]string{
				kube.AnnotationTable: "orders", kube.AnnotationJobID: jobID,
				kube.AnnotationReason: "12 small fragments", kube.AnnotationVersion: "7",
				kube.AnnotationCreated: "2026-03-01T11:00:00Z", "example.com/owner": "platform",
			},
			wantCommand: []string{"lancegate", "job", "--type", "cleanup", "--table", "orders",
				"--job-id", jobID, "--version", "7", "--reason", "12 small fragments",
				"--storage", "az://tables/prod", "--storage-option", "account_name=acct"},
			wantSA:          "lancegate-job",
			wantPull:        corev1.PullIfNotPresent,
			wantResources:   fullConfig().Resources,
			wantEnv:         fullConfig().Env,
			wantEnvFrom:     fullConfig().EnvFrom,
			wantNodeSel:     map[string]string{"agentpool": "batch"},
			wantTolerations: fullConfig().Tolerations,
			wantBackoff:     new(int32(0)),
			wantDeadline:    new(int64(1800)),
			wantTTL:         new(int32(600)),
		},
		{
			name: "odd table, no deadline, no TTL",
			cfg: func() kube.Config {
				c := baseConfig()
				c.ActiveDeadline, c.TTLAfterFinished = -1, -1
				return c
			}(),
			spec:     oddSpec,
			wantName: regexp.MustCompile(`^lancegate-index-sales-orders-2024-n-code-[0-9a-f]{10}$`),
			wantLabels: managed(map[string]string{
				kube.LabelTable: "Sales.Orders_2024____n_code", kube.LabelJobType: "index", kube.LabelJobID: jobID,
			}),
			wantPodLabels: managed(map[string]string{
				kube.LabelTable: "Sales.Orders_2024____n_code", kube.LabelJobType: "index", kube.LabelJobID: jobID,
			}),
			wantAnnotations: map[string]string{
				kube.AnnotationTable: oddSpec.Table, kube.AnnotationJobID: jobID,
				kube.AnnotationReason: "--not-a-flag", kube.AnnotationVersion: "0",
			},
			wantCommand: []string{"lancegate", "job", "--type", "index", "--table", oddSpec.Table,
				"--job-id", jobID, "--version", "0", "--reason", "--not-a-flag"},
			wantResources: kube.DefaultResources(),
			wantBackoff:   new(int32(3)),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, client := newLauncher(t, tt.cfg)
			if err := l.Launch(t.Context(), tt.spec); err != nil {
				t.Fatalf("Launch: %v", err)
			}
			j := getJob(t, l, client, tt.spec)

			if !tt.wantName.MatchString(j.Name) {
				t.Errorf("name = %q; want it to match %s", j.Name, tt.wantName)
			}
			same(t, "namespace", j.Namespace, ns)
			same(t, "labels", j.Labels, tt.wantLabels)
			same(t, "annotations", j.Annotations, tt.wantAnnotations)
			same(t, "backoffLimit", j.Spec.BackoffLimit, tt.wantBackoff)
			same(t, "activeDeadlineSeconds", j.Spec.ActiveDeadlineSeconds, tt.wantDeadline)
			same(t, "ttlSecondsAfterFinished", j.Spec.TTLSecondsAfterFinished, tt.wantTTL)

			pod := j.Spec.Template
			same(t, "pod labels", pod.Labels, tt.wantPodLabels)
			same(t, "pod annotations", pod.Annotations, tt.wantAnnotations)
			same(t, "restartPolicy", pod.Spec.RestartPolicy, corev1.RestartPolicyNever)
			same(t, "serviceAccountName", pod.Spec.ServiceAccountName, tt.wantSA)
			same(t, "automountServiceAccountToken", pod.Spec.AutomountServiceAccountToken, new(false))
			same(t, "nodeSelector", pod.Spec.NodeSelector, tt.wantNodeSel)
			same(t, "tolerations", pod.Spec.Tolerations, tt.wantTolerations)
			same(t, "pod securityContext", pod.Spec.SecurityContext, &corev1.PodSecurityContext{
				RunAsNonRoot: new(true), RunAsUser: new(int64(65532)), RunAsGroup: new(int64(65532)), FSGroup: new(int64(65532)),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			})
			same(t, "volumes", pod.Spec.Volumes, []corev1.Volume{{
				Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}},
			}})

			if len(pod.Spec.Containers) != 1 {
				t.Fatalf("containers = %d; want 1", len(pod.Spec.Containers))
			}
			c := pod.Spec.Containers[0]
			same(t, "container name", c.Name, "job")
			same(t, "image", c.Image, tt.cfg.Image)
			same(t, "imagePullPolicy", c.ImagePullPolicy, tt.wantPull)
			same(t, "command", c.Command, tt.wantCommand)
			same(t, "args", c.Args, []string(nil))
			same(t, "resources", c.Resources, tt.wantResources)
			same(t, "env", c.Env, tt.wantEnv)
			same(t, "envFrom", c.EnvFrom, tt.wantEnvFrom)
			same(t, "volumeMounts", c.VolumeMounts, []corev1.VolumeMount{{Name: "tmp", MountPath: "/tmp"}})
			same(t, "container securityContext", c.SecurityContext, &corev1.SecurityContext{
				RunAsNonRoot: new(true), RunAsUser: new(int64(65532)), RunAsGroup: new(int64(65532)),
				ReadOnlyRootFilesystem: new(true), AllowPrivilegeEscalation: new(false), Privileged: new(false),
				Capabilities:   &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			})
		})
	}
}

// TestConfigCopied: changing the caller's config after New changes no Job.
func TestConfigCopied(t *testing.T) {
	cfg := fullConfig()
	l, client := newLauncher(t, cfg)
	cfg.Args[1] = "az://elsewhere"
	cfg.Labels["team"] = "other"
	cfg.Env[0].Value = "changed"
	cfg.Resources.Limits[corev1.ResourceMemory] = resource.MustParse("1Mi")

	s := spec("orders", agent.JobCompact, jobID)
	if err := l.Launch(t.Context(), s); err != nil {
		t.Fatalf("Launch: %v", err)
	}
	j := getJob(t, l, client, s)
	c := j.Spec.Template.Spec.Containers[0]
	same(t, "command storage", c.Command[13], "az://tables/prod")
	same(t, "team label", j.Labels["team"], "data")
	same(t, "env", c.Env[0].Value, "debug")
	same(t, "memory limit", c.Resources.Limits[corev1.ResourceMemory], resource.MustParse("16Gi"))
}

func TestLaunchIdempotent(t *testing.T) {
	tests := []struct {
		name string
		// hideExisting makes the List before the second Create come back
		// empty, as when two agents race: Create then meets AlreadyExists.
		hideExisting bool
		wantCreates  int
	}{
		{name: "found by list", wantCreates: 1},
		{name: "create races", hideExisting: true, wantCreates: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, client := newLauncher(t, baseConfig())
			s := spec("orders", agent.JobCompact, jobID)
			if err := l.Launch(t.Context(), s); err != nil {
				t.Fatalf("first Launch: %v", err)
			}
			if tt.hideExisting {
				client.PrependReactor("list", "jobs", func(k8stesting.Action) (bool, runtime.Object, error) {
					return true, &batchv1.JobList{}, nil
				})
			}
			if err := l.Launch(t.Context(), s); err != nil {
				t.Fatalf("second Launch = %v; want nil", err)
			}
			if n := jobCount(t, client); n != 1 {
				t.Errorf("jobs = %d; want 1", n)
			}
			if n := len(actions(client, "create")); n != tt.wantCreates {
				t.Errorf("create calls = %d; want %d", n, tt.wantCreates)
			}
		})
	}
}

func TestLaunchActiveGuard(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	other := "20260301T100000.000000Z-ffffffff"
	deleting := lgJob("lancegate-compact-orders-deleting", "orders", agent.JobCompact, other, now, batchv1.JobStatus{Active: 1})
	deleting.DeletionTimestamp = &metav1.Time{Time: now}
	deleting.Finalizers = []string{"batch.kubernetes.io/job-tracking"}
	otherInstance := lgJob("lancegate-compact-orders-other", "orders", agent.JobCompact, other, now, batchv1.JobStatus{Active: 1})
	otherInstance.Labels[kube.LabelInstance] = "staging"
	// "orders 1" and "orders_1" share a label value; only the annotation
	// tells them apart.
	alike := lgJob("lancegate-compact-orders-1-x", "orders_1", agent.JobCompact, other, now, batchv1.JobStatus{Active: 1})
	alike.Annotations[kube.AnnotationTable] = "orders 1"

	tests := []struct {
		name     string
		cfg      kube.Config
		existing *batchv1.Job
		table    string
		want     error
	}{
		{name: "pending", existing: lgJob("a", "orders", agent.JobCompact, other, now, batchv1.JobStatus{}), want: kube.ErrJobActive},
		{name: "pod starting", existing: lgJob("a", "orders", agent.JobCompact, other, now, batchv1.JobStatus{Active: 1, Ready: new(int32(0))}), want: kube.ErrJobActive},
		{name: "running", existing: lgJob("a", "orders", agent.JobCompact, other, now, batchv1.JobStatus{Active: 1, Ready: new(int32(1))}), want: kube.ErrJobActive},
		{name: "between retries", existing: lgJob("a", "orders", agent.JobCompact, other, now, batchv1.JobStatus{Failed: 1}), want: kube.ErrJobActive},
		{name: "succeeded", existing: lgJob("a", "orders", agent.JobCompact, other, now, succeededAt(now))},
		{name: "failed", existing: lgJob("a", "orders", agent.JobCompact, other, now, failedAt(now))},
		{name: "being deleted", existing: deleting},
		{name: "other table", existing: lgJob("a", "customers", agent.JobCompact, other, now, batchv1.JobStatus{Active: 1})},
		{name: "other type", existing: lgJob("a", "orders", agent.JobCleanup, other, now, batchv1.JobStatus{Active: 1})},
		{name: "other instance", cfg: kube.Config{Instance: "prod"}, existing: otherInstance},
		{name: "alike label, other table", existing: alike, table: "orders_1"},
		{name: "alike label, same table", existing: alike, table: "orders 1", want: kube.ErrJobActive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := baseConfig()
			cfg.Instance = tt.cfg.Instance
			l, client := newLauncher(t, cfg, tt.existing.DeepCopy())
			table := tt.table
			if table == "" {
				table = "orders"
			}
			s := spec(table, agent.JobCompact, jobID)
			err := l.Launch(t.Context(), s)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Launch = %v; want %v", err, tt.want)
			}
			_, getErr := client.BatchV1().Jobs(ns).Get(t.Context(), l.JobName(s), metav1.GetOptions{})
			if created := getErr == nil; created != (tt.want == nil) {
				t.Errorf("job created = %v; want %v", created, tt.want == nil)
			}
		})
	}
}

func TestLaunchErrors(t *testing.T) {
	tests := []struct {
		name string
		verb string // the failing call; "" fails none
		spec agent.JobSpec
	}{
		{name: "list fails", verb: "list", spec: spec("orders", agent.JobCompact, jobID)},
		{name: "create fails", verb: "create", spec: spec("orders", agent.JobCompact, jobID)},
		{name: "no id", spec: spec("orders", agent.JobCompact, "")},
		{name: "no table", spec: spec("", agent.JobCompact, jobID)},
		{name: "no type", spec: spec("orders", "", jobID)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, client := newLauncher(t, baseConfig())
			if tt.verb != "" {
				client.PrependReactor(tt.verb, "jobs", func(k8stesting.Action) (bool, runtime.Object, error) {
					return true, nil, errBoom
				})
			}
			err := l.Launch(t.Context(), tt.spec)
			if err == nil {
				t.Fatal("Launch = nil; want an error")
			}
			if tt.verb != "" && !errors.Is(err, errBoom) {
				t.Errorf("Launch = %v; want it to wrap %v", err, errBoom)
			}
			if errors.Is(err, kube.ErrJobActive) {
				t.Errorf("Launch = %v; want no ErrJobActive", err)
			}
			if n := jobCount(t, client); n != 0 {
				t.Errorf("jobs = %d; want 0", n)
			}
		})
	}
}
