package kube

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Defaults applied by New to the zero values of Config.
const (
	// DefaultBackoffLimit is how many times Kubernetes retries a failed job
	// pod before it marks the Job failed.
	DefaultBackoffLimit int32 = 3
	// DefaultActiveDeadline bounds a Job's whole run, retries included.
	DefaultActiveDeadline = 2 * time.Hour
	// DefaultTTLAfterFinished is how long a finished Job (and its pods, with
	// their logs) stays before the TTL controller deletes it.
	DefaultTTLAfterFinished = time.Hour
)

// Config says how the Launcher shapes the Jobs it creates. The zero value of
// every optional field means the documented default.
type Config struct {
	// Namespace is where Jobs are created and listed. Required (NewInCluster
	// fills in the agent pod's own namespace when it is empty).
	Namespace string
	// Image is the lancegate image the job pods run, e.g.
	// "myregistry.azurecr.io/lancegate:v0.4.0". Required.
	Image string
	// ImagePullPolicy of the job container; empty leaves Kubernetes' default
	// (Always for :latest, IfNotPresent otherwise).
	ImagePullPolicy corev1.PullPolicy
	// ServiceAccount runs the job pods. With WorkloadIdentity it is the
	// service account federated with the Azure managed identity that may
	// read and write the storage account. Empty means "default".
	ServiceAccount string
	// Args follow the job's own flags on every job's command line, after
	// `lancegate job --type … --table … --job-id … --version … --reason …`:
	// the storage and event flags the job needs, e.g.
	// "--storage", "az://tables/prod", "--storage-option", "account_name=…".
	Args []string
	// Env is added to the job container, e.g. LANCEGATE_* flags or
	// AZURE_STORAGE_ACCOUNT_NAME; values may come from secrets.
	Env []corev1.EnvVar
	// EnvFrom adds whole secrets or config maps to the job container.
	EnvFrom []corev1.EnvFromSource
	// Resources of the job container. If it has neither requests nor limits,
	// DefaultResources applies (requests 500m CPU and 1Gi memory, limits 2
	// CPUs and 4Gi); otherwise it is used exactly as given.
	Resources corev1.ResourceRequirements
	// Labels are added to every Job and its pod template. They may not
	// replace the labels the Launcher sets itself (see the package doc).
	Labels map[string]string
	// Annotations are added to every Job and its pod template.
	Annotations map[string]string
	// NodeSelector and Tolerations place the job pods, e.g. on a node pool
	// set aside for batch work.
	NodeSelector map[string]string
	// Tolerations of the job pods.
	Tolerations []corev1.Toleration
	// BackoffLimit is how many failed pods Kubernetes retries before the Job
	// fails; nil means DefaultBackoffLimit. 0 means no retry.
	BackoffLimit *int32
	// ActiveDeadline bounds a Job's run, retries included; 0 means
	// DefaultActiveDeadline, a negative value means no deadline.
	ActiveDeadline time.Duration
	// TTLAfterFinished is how long a finished Job stays; 0 means
	// DefaultTTLAfterFinished, a negative value keeps it until Cleanup or an
	// operator deletes it.
	TTLAfterFinished time.Duration
	// WorkloadIdentity adds the pod label azure.workload.identity/use=true,
	// so the AKS workload-identity webhook injects the Azure federated token
	// and AZURE_* variables for ServiceAccount.
	WorkloadIdentity bool
	// Instance is the release name (app.kubernetes.io/instance). When set it
	// is a label of every Job, and the Launcher only sees its own instance's
	// Jobs, so two releases can share a namespace.
	Instance string
}

// DefaultResources returns the job container's resources when
// Config.Resources is empty: requests of 500m CPU and 1Gi of memory, limits
// of 2 CPUs and 4Gi. Compaction reads and rewrites whole fragments, and an
// index build trains on a sample of vectors, so memory rather than CPU
// bounds them; set Resources for tables with very large fragments.
func DefaultResources() corev1.ResourceRequirements {
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("500m"),
			corev1.ResourceMemory: resource.MustParse("1Gi"),
		},
		Limits: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("2"),
			corev1.ResourceMemory: resource.MustParse("4Gi"),
		},
	}
}

// withDefaults returns a deep copy of c with defaults filled in, so that a
// caller changing its maps or slices later cannot race with Launch.
func (c Config) withDefaults() Config {
	d := c
	d.Args = slices.Clone(c.Args)
	d.Env = make([]corev1.EnvVar, len(c.Env))
	for i := range c.Env {
		c.Env[i].DeepCopyInto(&d.Env[i])
	}
	d.EnvFrom = make([]corev1.EnvFromSource, len(c.EnvFrom))
	for i := range c.EnvFrom {
		c.EnvFrom[i].DeepCopyInto(&d.EnvFrom[i])
	}
	d.Tolerations = make([]corev1.Toleration, len(c.Tolerations))
	for i := range c.Tolerations {
		c.Tolerations[i].DeepCopyInto(&d.Tolerations[i])
	}
	d.Labels = maps.Clone(c.Labels)
	d.Annotations = maps.Clone(c.Annotations)
	d.NodeSelector = maps.Clone(c.NodeSelector)
	if len(c.Resources.Requests) == 0 && len(c.Resources.Limits) == 0 && len(c.Resources.Claims) == 0 {
		d.Resources = DefaultResources()
	} else {
		d.Resources = *c.Resources.DeepCopy()
	}
	if c.BackoffLimit == nil {
		d.BackoffLimit = new(DefaultBackoffLimit)
	} else {
		d.BackoffLimit = new(*c.BackoffLimit)
	}
	if c.ActiveDeadline == 0 {
		d.ActiveDeadline = DefaultActiveDeadline
	}
	if c.TTLAfterFinished == 0 {
		d.TTLAfterFinished = DefaultTTLAfterFinished
	}
	return d
}

// validate reports every problem of a defaulted config at once.
func (c Config) validate() error {
	var errs []error
	bad := func(field string, format string, args ...any) {
		errs = append(errs, fmt.Errorf("kube: config %s: %s", field, fmt.Sprintf(format, args...)))
	}
	switch {
	case c.Namespace == "":
		bad("Namespace", "required")
	default:
		for _, m := range validation.IsDNS1123Label(c.Namespace) {
			bad("Namespace", "%q: %s", c.Namespace, m)
		}
	}
	if c.Image == "" {
		bad("Image", "required")
	}
	switch c.ImagePullPolicy {
	case "", corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
	default:
		bad("ImagePullPolicy", "%q: want Always, IfNotPresent or Never", c.ImagePullPolicy)
	}
	if c.ServiceAccount != "" {
		for _, m := range validation.IsDNS1123Subdomain(c.ServiceAccount) {
			bad("ServiceAccount", "%q: %s", c.ServiceAccount, m)
		}
	}
	if c.Instance != "" {
		for _, m := range validation.IsValidLabelValue(c.Instance) {
			bad("Instance", "%q: %s", c.Instance, m)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(c.Labels)) {
		if reservedLabel(k) {
			bad("Labels", "%q is set by the launcher", k)
		}
		for _, m := range validation.IsQualifiedName(k) {
			bad("Labels", "key %q: %s", k, m)
		}
		for _, m := range validation.IsValidLabelValue(c.Labels[k]) {
			bad("Labels", "%q=%q: %s", k, c.Labels[k], m)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(c.Annotations)) {
		if reservedAnnotation(k) {
			bad("Annotations", "%q is set by the launcher", k)
		}
		for _, m := range validation.IsQualifiedName(k) {
			bad("Annotations", "key %q: %s", k, m)
		}
	}
	if *c.BackoffLimit < 0 {
		bad("BackoffLimit", "%d is negative", *c.BackoffLimit)
	}
	for _, name := range slices.Sorted(maps.Keys(c.Resources.Requests)) {
		req := c.Resources.Requests[name]
		if lim, ok := c.Resources.Limits[name]; ok && req.Cmp(lim) > 0 {
			bad("Resources", "%s request %s exceeds its limit %s", name, req.String(), lim.String())
		}
	}
	return errors.Join(errs...)
}
