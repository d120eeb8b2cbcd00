package kube_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/lancegate/lancegate/agent"
	"github.com/lancegate/lancegate/agent/kube"
)

// ns is the namespace every test works in.
const ns = "lancegate"

// errBoom is what failing fake reactors return.
var errBoom = errors.New("boom")

// baseConfig is the smallest valid config.
func baseConfig() kube.Config {
	return kube.Config{Namespace: ns, Image: "lancegate:test"}
}

// newLauncher returns a Launcher over a fake clientset holding objs.
func newLauncher(t *testing.T, cfg kube.Config, objs ...runtime.Object) (*kube.Launcher, *fake.Clientset) {
	t.Helper()
	client := fake.NewClientset(objs...)
	l, err := kube.New(client, cfg, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return l, client
}

// spec returns a job spec for table and type with the given id.
func spec(table string, typ agent.JobType, id string) agent.JobSpec {
	return agent.JobSpec{
		ID: id, Table: table, Type: typ, Version: 7, Reason: "12 small fragments",
		Created: time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC),
	}
}

// getJob fetches the Job the launcher created for s.
func getJob(t *testing.T, l *kube.Launcher, client *fake.Clientset, s agent.JobSpec) *batchv1.Job {
	t.Helper()
	j, err := client.BatchV1().Jobs(ns).Get(t.Context(), l.JobName(s), metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get job %s: %v", l.JobName(s), err)
	}
	return j
}

// jobCount returns how many Jobs the namespace holds, asking the fake's
// tracker directly so that failing reactors do not get in the way.
func jobCount(t *testing.T, client *fake.Clientset) int {
	t.Helper()
	obj, err := client.Tracker().List(batchv1.SchemeGroupVersion.WithResource("jobs"), batchv1.SchemeGroupVersion.WithKind("Job"), ns)
	if err != nil {
		t.Fatalf("list jobs: %v", err)
	}
	return len(obj.(*batchv1.JobList).Items)
}

// actions returns the client's recorded actions of verb on jobs.
func actions(client *fake.Clientset, verb string) []k8stesting.Action {
	var out []k8stesting.Action
	for _, a := range client.Actions() {
		if a.GetVerb() == verb && a.GetResource().Resource == "jobs" {
			out = append(out, a)
		}
	}
	return out
}

// same reports a difference between got and want, compared the way the
// API server would (resource quantities by value, times by instant).
func same(t *testing.T, what string, got, want any) {
	t.Helper()
	g, gok := got.(time.Time)
	w, wok := want.(time.Time)
	if gok && wok && g.Equal(w) || !gok && equality.Semantic.DeepEqual(got, want) {
		return
	}
	t.Errorf("%s = %s; want %s", what, js(got), js(want))
}

func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// succeededAt is the status of a Job that completed at at.
func succeededAt(at time.Time) batchv1.JobStatus {
	return batchv1.JobStatus{
		Succeeded:      1,
		CompletionTime: &metav1.Time{Time: at},
		Conditions: []batchv1.JobCondition{
			{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Time{Time: at}},
			{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Time{Time: at}},
		},
	}
}

// failedAt is the status of a Job that failed at at.
func failedAt(at time.Time) batchv1.JobStatus {
	return batchv1.JobStatus{
		Failed: 4,
		Conditions: []batchv1.JobCondition{
			{Type: batchv1.JobFailureTarget, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Time{Time: at}},
			{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Time{Time: at}, Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit"},
		},
	}
}

// lgJob builds a Job as the launcher labels them, for seeding the fake.
func lgJob(name, table string, typ agent.JobType, id string, created time.Time, st batchv1.JobStatus) *batchv1.Job {
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Name:      name,
			Namespace: ns,
			UID:       types.UID("uid-" + name),
			Labels: map[string]string{
				kube.LabelName:      "lancegate",
				kube.LabelComponent: "job",
				kube.LabelManagedBy: "lancegate-agent",
				kube.LabelTable:     table,
				kube.LabelJobType:   string(typ),
				kube.LabelJobID:     id,
			},
			Annotations: map[string]string{
				kube.AnnotationTable:   table,
				kube.AnnotationJobID:   id,
				kube.AnnotationReason:  "because",
				kube.AnnotationVersion: "42",
			},
			CreationTimestamp: metav1.Time{Time: created},
		},
		Status: st,
	}
}
