package kube_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/lancegate/lancegate/agent"
	"github.com/lancegate/lancegate/agent/kube"
)

// now0 is "now" in the status tests.
func now0() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

func TestActive(t *testing.T) {
	t0 := now0()
	ago := func(d time.Duration) time.Time { return t0.Add(-d) }
	tests := []struct {
		name string
		job  *batchv1.Job
		want kube.State
	}{
		{name: "new", job: lgJob("j1", "t1", agent.JobCompact, "id1", ago(9*time.Minute), batchv1.JobStatus{}), want: kube.StatePending},
		{name: "pod starting", job: lgJob("j2", "t2", agent.JobCompact, "id2", ago(8*time.Minute), batchv1.JobStatus{Active: 1, Ready: new(int32(0))}), want: kube.StatePending},
		{name: "running", job: lgJob("j3", "t3", agent.JobCleanup, "id3", ago(7*time.Minute), batchv1.JobStatus{Active: 1, Ready: new(int32(1))}), want: kube.StateRunning},
		{name: "running, old cluster", job: lgJob("j4", "t4", agent.JobIndex, "id4", ago(6*time.Minute), batchv1.JobStatus{Active: 1}), want: kube.StateRunning},
		{name: "waiting to retry", job: lgJob("j5", "t5", agent.JobCompact, "id5", ago(5*time.Minute), batchv1.JobStatus{Failed: 2}), want: kube.StatePending},
		{name: "suspended", job: lgJob("j6", "t6", agent.JobCompact, "id6", ago(4*time.Minute), batchv1.JobStatus{
			Conditions: []batchv1.JobCondition{{Type: batchv1.JobSuspended, Status: corev1.ConditionTrue}},
		}), want: kube.StatePending},
		{name: "succeeded", job: lgJob("j7", "t7", agent.JobCompact, "id7", ago(3*time.Minute), succeededAt(ago(time.Minute))), want: kube.StateSucceeded},
		{name: "failed", job: lgJob("j8", "t8", agent.JobCompact, "id8", ago(2*time.Minute), failedAt(ago(time.Minute))), want: kube.StateFailed},
		{name: "failing, pods terminating", job: lgJob("j9", "t9", agent.JobCompact, "id9", ago(time.Minute), batchv1.JobStatus{
			Active: 1, Conditions: []batchv1.JobCondition{{Type: batchv1.JobFailureTarget, Status: corev1.ConditionTrue}},
		}), want: kube.StateRunning},
		{name: "condition not holding", job: lgJob("j10", "t10", agent.JobCompact, "id10", ago(0), batchv1.JobStatus{
			Active: 1, Ready: new(int32(1)), Conditions: []batchv1.JobCondition{{Type: batchv1.JobFailed, Status: corev1.ConditionFalse}},
		}), want: kube.StateRunning},
	}
	objs := []runtime.Object{
		// Not ours: no labels, and another instance's.
		&batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "foreign", Namespace: ns}},
		func() *batchv1.Job {
			j := lgJob("staging", "t", agent.JobCompact, "id", t0, batchv1.JobStatus{})
			j.Labels[kube.LabelInstance] = "staging"
			return j
		}(),
	}
	for _, tt := range tests {
		objs = append(objs, tt.job)
	}
	l, _ := newLauncher(t, baseConfig(), objs...)
	got, err := l.Active(t.Context())
	if err != nil {
		t.Fatalf("Active: %v", err)
	}
	// Without an instance the launcher sees the staging Job too; it is the
	// newest, so it comes last.
	if len(got) != len(tests)+1 {
		t.Fatalf("Active = %d jobs; want %d", len(got), len(tests)+1)
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := got[i]
			same(t, "Name", g.Name, tt.job.Name)
			same(t, "State", g.State, tt.want)
			same(t, "Finished()", g.State.Finished(), tt.want == kube.StateSucceeded || tt.want == kube.StateFailed)
			same(t, "ID", g.ID, tt.job.Labels[kube.LabelJobID])
			same(t, "Table", g.Table, tt.job.Annotations[kube.AnnotationTable])
			same(t, "Type", g.Type, agent.JobType(tt.job.Labels[kube.LabelJobType]))
			same(t, "Version", g.Version, uint64(42))
			same(t, "Reason", g.Reason, "because")
			same(t, "Failures", g.Failures, tt.job.Status.Failed)
			same(t, "Created", g.Created.UTC(), tt.job.CreationTimestamp.UTC())
			switch tt.want {
			case kube.StateSucceeded, kube.StateFailed:
				same(t, "Finished", g.Finished.UTC(), ago(time.Minute))
			default:
				same(t, "Finished", g.Finished, time.Time{})
			}
			wantMsg := ""
			if tt.want == kube.StateFailed {
				wantMsg = "Job has reached the specified backoff limit"
			}
			same(t, "Message", g.Message, wantMsg)
		})
	}
	same(t, "last", got[len(got)-1].Name, "staging")

	t.Run("instance", func(t *testing.T) {
		cfg := baseConfig()
		cfg.Instance = "staging"
		l, _ := newLauncher(t, cfg, objs...)
		got, err := l.Active(t.Context())
		if err != nil {
			t.Fatalf("Active: %v", err)
		}
		if len(got) != 1 || got[0].Name != "staging" {
			t.Errorf("Active = %+v; want only the staging Job", got)
		}
	})
}

func TestCleanup(t *testing.T) {
	t0 := now0()
	ago := func(d time.Duration) time.Time { return t0.Add(-d) }
	noCompletion := lgJob("old-failed-no-times", "t", agent.JobCompact, "id6", ago(48*time.Hour), batchv1.JobStatus{
		Conditions: []batchv1.JobCondition{{Type: batchv1.JobFailed, Status: corev1.ConditionTrue}},
	})
	foreign := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "foreign", Namespace: ns, CreationTimestamp: metav1.Time{Time: ago(48 * time.Hour)}},
		Status:     succeededAt(ago(24 * time.Hour)),
	}
	seed := func() []runtime.Object {
		return []runtime.Object{
			lgJob("old-succeeded", "t", agent.JobCompact, "id1", ago(3*time.Hour), succeededAt(ago(2*time.Hour))),
			lgJob("old-failed", "t", agent.JobCleanup, "id2", ago(4*time.Hour), failedAt(ago(3*time.Hour))),
			lgJob("recent-succeeded", "t", agent.JobCompact, "id3", ago(time.Hour), succeededAt(ago(30*time.Minute))),
			lgJob("at-cutoff", "t", agent.JobCompact, "id4", ago(2*time.Hour), succeededAt(ago(time.Hour))),
			lgJob("old-running", "t", agent.JobIndex, "id5", ago(5*time.Hour), batchv1.JobStatus{Active: 1, Ready: new(int32(1))}),
			noCompletion.DeepCopy(),
			foreign.DeepCopy(),
		}
	}
	tests := []struct {
		name      string
		olderThan time.Duration
		want      []string // deleted, in list order
	}{
		{name: "hour", olderThan: time.Hour, want: []string{"old-failed", "old-failed-no-times", "old-succeeded"}},
		{name: "zero", olderThan: 0, want: []string{"at-cutoff", "old-failed", "old-failed-no-times", "old-succeeded", "recent-succeeded"}},
		{name: "day", olderThan: 24 * time.Hour, want: []string{"old-failed-no-times"}},
		{name: "week", olderThan: 7 * 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, client := newLauncher(t, baseConfig(), seed()...)
			defer kube.SetNow(l, func() time.Time { return t0 })()
			n, err := l.Cleanup(t.Context(), tt.olderThan)
			if err != nil {
				t.Fatalf("Cleanup: %v", err)
			}
			if n != len(tt.want) {
				t.Errorf("Cleanup = %d; want %d", n, len(tt.want))
			}
			var deleted []string
			for _, a := range actions(client, "delete") {
				d := a.(k8stesting.DeleteAction)
				deleted = append(deleted, d.GetName())
				opts := d.GetDeleteOptions()
				same(t, "propagationPolicy of "+d.GetName(), opts.PropagationPolicy, new(metav1.DeletePropagationBackground))
				if opts.Preconditions == nil || opts.Preconditions.UID == nil || string(*opts.Preconditions.UID) != "uid-"+d.GetName() {
					t.Errorf("preconditions of %s = %+v; want its UID", d.GetName(), opts.Preconditions)
				}
				if d.GetNamespace() != ns {
					t.Errorf("delete namespace = %q; want %q", d.GetNamespace(), ns)
				}
			}
			slices.Sort(deleted)
			same(t, "deleted", deleted, tt.want)
			if got, want := jobCount(t, client), 7-len(tt.want); got != want {
				t.Errorf("jobs left = %d; want %d", got, want)
			}
		})
	}
}

func TestCleanupErrors(t *testing.T) {
	t0 := now0()
	old := func(name string) *batchv1.Job {
		return lgJob(name, "t", agent.JobCompact, name, t0.Add(-3*time.Hour), succeededAt(t0.Add(-2*time.Hour)))
	}
	tests := []struct {
		name      string
		verb      string
		olderThan time.Duration
		// failOn names the Job whose delete fails; others go through.
		failOn string
		want   int
	}{
		{name: "list fails", verb: "list", olderThan: time.Hour},
		{name: "one delete fails", verb: "delete", failOn: "b", olderThan: time.Hour, want: 2},
		{name: "negative age", olderThan: -time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, client := newLauncher(t, baseConfig(), old("a"), old("b"), old("c"))
			defer kube.SetNow(l, func() time.Time { return t0 })()
			if tt.verb != "" {
				client.PrependReactor(tt.verb, "jobs", func(a k8stesting.Action) (bool, runtime.Object, error) {
					if d, ok := a.(k8stesting.DeleteAction); ok && d.GetName() != tt.failOn {
						return false, nil, nil
					}
					return true, nil, errBoom
				})
			}
			n, err := l.Cleanup(t.Context(), tt.olderThan)
			if err == nil {
				t.Fatal("Cleanup = nil error; want one")
			}
			if tt.verb != "" && !errors.Is(err, errBoom) {
				t.Errorf("Cleanup = %v; want it to wrap %v", err, errBoom)
			}
			if n != tt.want {
				t.Errorf("Cleanup = %d; want %d", n, tt.want)
			}
		})
	}
}

func TestActiveError(t *testing.T) {
	l, client := newLauncher(t, baseConfig())
	client.PrependReactor("list", "jobs", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errBoom
	})
	if _, err := l.Active(t.Context()); !errors.Is(err, errBoom) {
		t.Errorf("Active = %v; want it to wrap %v", err, errBoom)
	}
}
