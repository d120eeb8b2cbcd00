package kube

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lancegate/lancegate/agent"
)

// State is where a Kubernetes Job stands. It is the cluster's view, which
// the job's own history record in storage refines.
type State string

// The states.
const (
	// StatePending: no pod of the Job is running yet — being scheduled,
	// pulling its image, suspended, or waiting out the backoff between
	// retries.
	StatePending State = "pending"
	// StateRunning: a pod of the Job is running.
	StateRunning State = "running"
	// StateSucceeded: the Job completed (a pod exited 0).
	StateSucceeded State = "succeeded"
	// StateFailed: the Job failed: its pods failed BackoffLimit+1 times, or
	// it passed its ActiveDeadline.
	StateFailed State = "failed"
)

// Finished reports whether s is final.
func (s State) Finished() bool { return s == StateSucceeded || s == StateFailed }

// JobStatus describes one lancegate Job in the cluster.
type JobStatus struct {
	// Name is the Kubernetes Job's name (`kubectl logs job/<Name>`).
	Name string
	// ID, Table, Type, Version and Reason are the job spec's, read back
	// from the Job's annotations and labels.
	ID      string
	Table   string
	Type    agent.JobType
	Version uint64
	Reason  string
	// State is the Job's state.
	State State
	// Message says why a failed Job failed (its condition's message).
	Message string
	// Failures counts the Job's failed pods so far.
	Failures int32
	// Created is when the Job was created; Finished when it reached its
	// final state (zero while it has not).
	Created  time.Time
	Finished time.Time
}

// Active lists the lancegate Jobs of this launcher that the cluster still
// holds, oldest first: those pending or running, and finished ones the TTL
// controller or Cleanup has not yet removed, each with its State.
func (l *Launcher) Active(ctx context.Context) ([]JobStatus, error) {
	jobs, err := l.list(ctx, l.selector())
	if err != nil {
		return nil, fmt.Errorf("kube: active: %w", err)
	}
	out := make([]JobStatus, 0, len(jobs))
	for i := range jobs {
		out = append(out, status(&jobs[i]))
	}
	slices.SortFunc(out, func(a, b JobStatus) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.Name, b.Name))
	})
	return out, nil
}

// Cleanup deletes the finished lancegate Jobs of this launcher that
// finished more than olderThan ago, with background propagation so their
// pods go too, and returns how many it deleted. It is for clusters where
// the TTL controller is off or TTLAfterFinished is negative. Jobs that
// vanish meanwhile are skipped; other failures do not stop the sweep and
// are returned together.
func (l *Launcher) Cleanup(ctx context.Context, olderThan time.Duration) (int, error) {
	if olderThan < 0 {
		return 0, fmt.Errorf("kube: cleanup: negative age %v", olderThan)
	}
	jobs, err := l.list(ctx, l.selector())
	if err != nil {
		return 0, fmt.Errorf("kube: cleanup: %w", err)
	}
	cutoff := l.now().Add(-olderThan)
	deleted := 0
	var errs []error
	for i := range jobs {
		j := &jobs[i]
		if !finished(j) || j.DeletionTimestamp != nil {
			continue
		}
		at := finishedAt(j)
		if at.IsZero() {
			at = j.CreationTimestamp.Time
		}
		if !at.Before(cutoff) {
			continue
		}
		err := l.client.BatchV1().Jobs(l.cfg.Namespace).Delete(ctx, j.Name, metav1.DeleteOptions{
			PropagationPolicy: new(metav1.DeletePropagationBackground),
			// Only this Job: not a namesake created since the list.
			Preconditions: &metav1.Preconditions{UID: new(j.UID)},
		})
		switch {
		case apierrors.IsNotFound(err), apierrors.IsConflict(err):
			continue
		case err != nil:
			errs = append(errs, fmt.Errorf("delete job %s: %w", j.Name, err))
			continue
		}
		deleted++
		l.logger.Info("deleted finished kubernetes job", "k8s_job", j.Name, "job", j.Annotations[AnnotationJobID], "namespace", l.cfg.Namespace)
	}
	if err := errors.Join(errs...); err != nil {
		return deleted, fmt.Errorf("kube: cleanup: %w", err)
	}
	return deleted, nil
}

// status reads a Job back into a JobStatus.
func status(j *batchv1.Job) JobStatus {
	s := JobStatus{
		Name:     j.Name,
		ID:       cmp.Or(j.Annotations[AnnotationJobID], j.Labels[LabelJobID]),
		Table:    cmp.Or(j.Annotations[AnnotationTable], j.Labels[LabelTable]),
		Type:     agent.JobType(j.Labels[LabelJobType]),
		Reason:   j.Annotations[AnnotationReason],
		State:    state(j),
		Failures: j.Status.Failed,
		Created:  j.CreationTimestamp.Time,
	}
	s.Version, _ = strconv.ParseUint(j.Annotations[AnnotationVersion], 10, 64)
	if s.State.Finished() {
		s.Finished = finishedAt(j)
	}
	if c := condition(j, batchv1.JobFailed); c != nil {
		s.Message = c.Message
	}
	return s
}

// state derives a Job's State from its conditions and pod counts.
func state(j *batchv1.Job) State {
	switch {
	case condition(j, batchv1.JobComplete) != nil:
		return StateSucceeded
	case condition(j, batchv1.JobFailed) != nil:
		return StateFailed
	case j.Status.Ready != nil && *j.Status.Ready > 0:
		return StateRunning
	case j.Status.Ready == nil && j.Status.Active > 0:
		// Clusters before 1.24 do not count ready pods.
		return StateRunning
	}
	return StatePending
}

// finished reports whether the Job has reached a final state.
func finished(j *batchv1.Job) bool { return state(j).Finished() }

// finishedAt is when the Job reached its final state: its completion time
// if it succeeded, else the final condition's transition time.
func finishedAt(j *batchv1.Job) time.Time {
	if j.Status.CompletionTime != nil {
		return j.Status.CompletionTime.Time
	}
	for _, t := range []batchv1.JobConditionType{batchv1.JobComplete, batchv1.JobFailed} {
		if c := condition(j, t); c != nil {
			return c.LastTransitionTime.Time
		}
	}
	return time.Time{}
}

// condition returns the Job's condition of type t if it holds, else nil.
func condition(j *batchv1.Job, t batchv1.JobConditionType) *batchv1.JobCondition {
	for i := range j.Status.Conditions {
		if c := &j.Status.Conditions[i]; c.Type == t && c.Status == corev1.ConditionTrue {
			return c
		}
	}
	return nil
}
