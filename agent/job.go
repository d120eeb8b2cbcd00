package agent

import (
	"context"
	"time"
)

// JobType names what a job does to a table.
type JobType string

// The job types.
const (
	// JobCompact rewrites small fragments, and fragments with many deleted
	// rows, into fewer, larger ones (a Lance Rewrite commit).
	JobCompact JobType = "compact"
	// JobCleanup deletes versions older than the retention, and the files
	// only they referenced.
	JobCleanup JobType = "cleanup"
	// JobIndex builds or catches up a table's indexes (the vector-index
	// work fills it in).
	JobIndex JobType = "index"
)

// JobSpec is one unit of maintenance work on one table. A job is
// idempotent: running a spec twice, or after a crashed run, leaves the
// table valid and at most does the work again.
type JobSpec struct {
	// ID names the job; its history record is stored under it.
	ID string `json:"id"`
	// Table is the table's name in the catalog.
	Table string `json:"table"`
	// Type is what the job does.
	Type JobType `json:"type"`
	// Version is the table version the decision was made on.
	Version uint64 `json:"version"`
	// Reason says why the agent decided on the job, for the history.
	Reason string `json:"reason"`
	// Created is when the agent decided on the job.
	Created time.Time `json:"created"`
}

// Launcher starts jobs: in the agent's process (the embedded default) or
// as Kubernetes Jobs running `lancegate job`. Launch returns once the job
// has been handed over; the job writes its own history record.
type Launcher interface {
	Launch(ctx context.Context, spec JobSpec) error
}
