package kube_test

import (
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"

	"github.com/lancegate/lancegate/agent/kube"
)

func TestNewValidation(t *testing.T) {
	tests := []struct {
		name    string
		change  func(c *kube.Config)
		noCli   bool
		wantErr bool
	}{
		{name: "smallest", change: func(*kube.Config) {}},
		{name: "full", change: func(c *kube.Config) { *c = fullConfig() }},
		{name: "zero backoff", change: func(c *kube.Config) { c.BackoffLimit = new(int32(0)) }},
		{name: "no deadline, no TTL", change: func(c *kube.Config) { c.ActiveDeadline, c.TTLAfterFinished = -1, -1 }},
		{name: "request equals limit", change: func(c *kube.Config) {
			c.Resources = corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1000m")},
			}
		}},
		{name: "nil client", change: func(*kube.Config) {}, noCli: true, wantErr: true},
		{name: "no namespace", change: func(c *kube.Config) { c.Namespace = "" }, wantErr: true},
		{name: "bad namespace", change: func(c *kube.Config) { c.Namespace = "Lance_Gate" }, wantErr: true},
		{name: "no image", change: func(c *kube.Config) { c.Image = "" }, wantErr: true},
		{name: "bad pull policy", change: func(c *kube.Config) { c.ImagePullPolicy = "Sometimes" }, wantErr: true},
		{name: "bad service account", change: func(c *kube.Config) { c.ServiceAccount = "Job SA" }, wantErr: true},
		{name: "bad instance", change: func(c *kube.Config) { c.Instance = "prod/eu" }, wantErr: true},
		{name: "reserved label", change: func(c *kube.Config) { c.Labels = map[string]string{kube.LabelManagedBy: "helm"} }, wantErr: true},
		{name: "lancegate.io label", change: func(c *kube.Config) { c.Labels = map[string]string{"lancegate.io/owner": "x"} }, wantErr: true},
		{name: "workload identity label", change: func(c *kube.Config) { c.Labels = map[string]string{kube.LabelWorkloadIdentity: "true"} }, wantErr: true},
		{name: "bad label key", change: func(c *kube.Config) { c.Labels = map[string]string{"bad key": "x"} }, wantErr: true},
		{name: "bad label value", change: func(c *kube.Config) { c.Labels = map[string]string{"team": "data team"} }, wantErr: true},
		{name: "reserved annotation", change: func(c *kube.Config) { c.Annotations = map[string]string{kube.AnnotationReason: "x"} }, wantErr: true},
		{name: "bad annotation key", change: func(c *kube.Config) { c.Annotations = map[string]string{"-x": "y"} }, wantErr: true},
		{name: "negative backoff", change: func(c *kube.Config) { c.BackoffLimit = new(int32(-1)) }, wantErr: true},
		{name: "request above limit", change: func(c *kube.Config) {
			c.Resources = corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("8Gi")},
				Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("4Gi")},
			}
		}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := baseConfig()
			tt.change(&cfg)
			var client kubernetes.Interface
			if !tt.noCli {
				client = fake.NewClientset()
			}
			l, err := kube.New(client, cfg, nil)
			if (err != nil) != tt.wantErr {
				t.Fatalf("New = %v; want error %v", err, tt.wantErr)
			}
			if (l == nil) != tt.wantErr {
				t.Errorf("New = %v launcher; want one only without error", l)
			}
		})
	}
}

func TestDefaultResources(t *testing.T) {
	r := kube.DefaultResources()
	same(t, "cpu request", r.Requests[corev1.ResourceCPU], resource.MustParse("500m"))
	same(t, "memory request", r.Requests[corev1.ResourceMemory], resource.MustParse("1Gi"))
	same(t, "cpu limit", r.Limits[corev1.ResourceCPU], resource.MustParse("2"))
	same(t, "memory limit", r.Limits[corev1.ResourceMemory], resource.MustParse("4Gi"))
	// Each call returns its own maps.
	r.Limits[corev1.ResourceCPU] = resource.MustParse("1m")
	same(t, "cpu limit after a change", kube.DefaultResources().Limits[corev1.ResourceCPU], resource.MustParse("2"))
}

func TestNewInClusterOutside(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBERNETES_SERVICE_PORT", "")
	if _, err := kube.NewInCluster(baseConfig(), nil); !errors.Is(err, rest.ErrNotInCluster) {
		t.Errorf("NewInCluster outside a cluster = %v; want it to wrap %v", err, rest.ErrNotInCluster)
	}
}
