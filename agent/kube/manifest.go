package kube

import (
	"maps"
	"math"
	"strconv"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lancegate/lancegate/agent"
)

// The job pod's fixed shape.
const (
	containerName = "job"
	tmpVolume     = "tmp"
	tmpPath       = "/tmp"
	// nonRootUID is the "nonroot" user of distroless images.
	nonRootUID int64 = 65532
)

// selector returns the labels every Job of this launcher carries: the ones
// Active and Cleanup select on.
func (l *Launcher) selector() map[string]string {
	s := map[string]string{
		LabelName:      appName,
		LabelComponent: component,
		LabelManagedBy: managedBy,
	}
	if l.cfg.Instance != "" {
		s[LabelInstance] = l.cfg.Instance
	}
	return s
}

// specSelector narrows selector to the Jobs of spec's table and type. The
// table label is shortened, so callers compare AnnotationTable too.
func (l *Launcher) specSelector(spec agent.JobSpec) map[string]string {
	s := l.selector()
	s[LabelTable] = labelValue(spec.Table)
	s[LabelJobType] = labelValue(string(spec.Type))
	return s
}

// command is the job container's command line.
func (l *Launcher) command(spec agent.JobSpec) []string {
	cmd := []string{
		"lancegate", "job",
		"--type", string(spec.Type),
		"--table", spec.Table,
		"--job-id", spec.ID,
		"--version", strconv.FormatUint(spec.Version, 10),
		"--reason", spec.Reason,
	}
	return append(cmd, l.cfg.Args...)
}

// manifest builds the Job that runs spec. It works on a deep copy of the
// (already defaulted) config, so the object can be handed to the client
// and kept without sharing a map or slice with the Launcher.
func (l *Launcher) manifest(spec agent.JobSpec) *batchv1.Job {
	c := l.cfg.withDefaults()

	jobLabels := maps.Clone(c.Labels)
	if jobLabels == nil {
		jobLabels = map[string]string{}
	}
	maps.Copy(jobLabels, l.specSelector(spec))
	jobLabels[LabelJobID] = labelValue(spec.ID)

	podLabels := maps.Clone(jobLabels)
	if c.WorkloadIdentity {
		podLabels[LabelWorkloadIdentity] = "true"
	}

	annotations := maps.Clone(c.Annotations)
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[AnnotationTable] = spec.Table
	annotations[AnnotationJobID] = spec.ID
	annotations[AnnotationReason] = spec.Reason
	annotations[AnnotationVersion] = strconv.FormatUint(spec.Version, 10)
	if !spec.Created.IsZero() {
		annotations[AnnotationCreated] = spec.Created.UTC().Format(time.RFC3339Nano)
	}

	job := &batchv1.Job{
		TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        l.JobName(spec),
			Namespace:   c.Namespace,
			Labels:      jobLabels,
			Annotations: annotations,
		},
		Spec: batchv1.JobSpec{
			BackoffLimit: c.BackoffLimit,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{
					Labels:      podLabels,
					Annotations: maps.Clone(annotations),
				},
				Spec: l.podSpec(c, spec),
			},
		},
	}
	if c.ActiveDeadline > 0 {
		job.Spec.ActiveDeadlineSeconds = new(seconds(c.ActiveDeadline))
	}
	if c.TTLAfterFinished > 0 {
		job.Spec.TTLSecondsAfterFinished = new(int32(min(seconds(c.TTLAfterFinished), math.MaxInt32)))
	}
	return job
}

// podSpec is the job pod: one non-root container with a read-only root
// file system and a writable /tmp.
func (l *Launcher) podSpec(c Config, spec agent.JobSpec) corev1.PodSpec {
	return corev1.PodSpec{
		RestartPolicy:      corev1.RestartPolicyNever,
		ServiceAccountName: c.ServiceAccount,
		// The job never calls the Kubernetes API; the workload-identity
		// webhook projects its own token, so the API token stays out.
		AutomountServiceAccountToken: new(false),
		NodeSelector:                 c.NodeSelector,
		Tolerations:                  c.Tolerations,
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot:   new(true),
			RunAsUser:      new(nonRootUID),
			RunAsGroup:     new(nonRootUID),
			FSGroup:        new(nonRootUID),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		Containers: []corev1.Container{{
			Name:            containerName,
			Image:           c.Image,
			ImagePullPolicy: c.ImagePullPolicy,
			Command:         l.command(spec),
			Env:             c.Env,
			EnvFrom:         c.EnvFrom,
			Resources:       c.Resources,
			VolumeMounts:    []corev1.VolumeMount{{Name: tmpVolume, MountPath: tmpPath}},
			SecurityContext: &corev1.SecurityContext{
				RunAsNonRoot:             new(true),
				RunAsUser:                new(nonRootUID),
				RunAsGroup:               new(nonRootUID),
				ReadOnlyRootFilesystem:   new(true),
				AllowPrivilegeEscalation: new(false),
				Privileged:               new(false),
				Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
				SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
		}},
		Volumes: []corev1.Volume{{
			Name:         tmpVolume,
			VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}},
		}},
	}
}

// seconds rounds d up to whole seconds, at least one.
func seconds(d time.Duration) int64 {
	s := int64((d + time.Second - 1) / time.Second)
	return max(s, 1)
}
