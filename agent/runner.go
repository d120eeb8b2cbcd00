package agent

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/lancegate/lancegate/storage/catalog"
	"github.com/lancegate/lancegate/storage/events"
	"github.com/lancegate/lancegate/storage/index/lanceindex"
	"github.com/lancegate/lancegate/storage/jobs"
	"github.com/lancegate/lancegate/storage/lance"
)

// Indexer builds and catches up a table's indexes under its index policy:
// the seam between the agent and the index kinds. IVFPQIndexer is the one
// lancegate has.
type Indexer interface {
	// NeedsIndex reports whether the table has indexes to build or catch
	// up under p, and why.
	NeedsIndex(ctx context.Context, ds *lance.Dataset, p IndexPolicy) (reason string, ok bool, err error)
	// BuildIndex builds or catches up the table's indexes and returns the
	// dataset as committed, with counters for the job's history.
	BuildIndex(ctx context.Context, ds *lance.Dataset, p IndexPolicy) (*lance.Dataset, map[string]int64, error)
}

// Runner runs jobs: the one place where a job's work is done, shared by
// the in-process launcher and `lancegate job` in a Kubernetes pod.
type Runner struct {
	cat     *catalog.Catalog
	hist    *jobs.History
	leases  *Leases
	pub     events.Publisher
	cfg     RunnerConfig
	logger  *slog.Logger
	indexer Indexer
}

// RunnerConfig configures a Runner.
type RunnerConfig struct {
	// Policy is the global policy; tables override it in their config.
	Policy Policy
	// LeaseTTL is how long a job's lease lasts without renewal; the job
	// renews it every third of that. A job that dies loses its lease after
	// at most LeaseTTL and the work can be retried. Default 2 minutes.
	LeaseTTL time.Duration
	// StorageURI is the storage root as configured, for the table URIs
	// of events.
	StorageURI string
	// Name names this runner in job records (default: the host name).
	Name string
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Logger receives job events (nil: slog.Default()).
	Logger *slog.Logger
	// Indexer builds indexes; nil makes index jobs fail with
	// ErrNoIndexer.
	Indexer Indexer
	// Publisher receives the events of the versions jobs commit; nil
	// publishes nothing.
	Publisher events.Publisher
}

func (c *RunnerConfig) defaults() {
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = 2 * time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Name == "" {
		c.Name, _ = os.Hostname()
	}
}

// ErrNoIndexer reports an index job in a build without an index builder.
var ErrNoIndexer = errors.New("index builds are not available")

// NewRunner returns a runner over the tables of cat, keeping job history
// and leases in cat's storage root.
func NewRunner(cat *catalog.Catalog, cfg RunnerConfig) *Runner {
	cfg.defaults()
	return &Runner{
		cat:     cat,
		hist:    jobs.NewHistory(cat.Store()),
		leases:  NewLeases(cat.Store(), cfg.Now),
		pub:     cfg.Publisher,
		cfg:     cfg,
		logger:  cfg.Logger,
		indexer: cfg.Indexer,
	}
}

// maxConflictRetries is how often a job re-plans on the newest version
// after its commit lost to a conflicting one.
const maxConflictRetries = 3

// Run runs one job to the end: it takes (or renews) the job's lease,
// records the job as running, does the work on the table's newest version,
// records the outcome, publishes the event of the version it committed
// and releases the lease. While another job holds the lease it returns an
// error wrapping ErrLeaseHeld and changes nothing. The returned record is
// the job's final history.
func (r *Runner) Run(ctx context.Context, spec JobSpec) (jobs.Record, error) {
	now := r.cfg.Now
	if err := r.leases.Acquire(ctx, spec.Table, spec.Type, spec.ID, r.cfg.LeaseTTL); err != nil {
		if !errors.Is(err, ErrLeaseHeld) {
			// The job cannot start (shutdown, storage trouble): let go of
			// the lease the agent may have taken in its name, rather than
			// leave the table blocked until that lease expires.
			r.release(spec)
		}
		return jobs.Record{}, err
	}
	rec := jobs.Record{
		ID: spec.ID, Table: spec.Table, Type: string(spec.Type), State: jobs.Running,
		Reason: spec.Reason, Created: spec.Created, Started: now().UTC(), Runner: r.cfg.Name,
	}
	if prev, err := r.hist.Get(ctx, spec.ID); err == nil {
		// The agent recorded the job as pending (or an earlier attempt
		// ran it): keep when and why it was decided.
		rec.Created, rec.Reason = prev.Created, cmp.Or(rec.Reason, prev.Reason)
	}
	if rec.Created.IsZero() {
		rec.Created = rec.Started
	}
	if err := r.hist.Put(ctx, rec); err != nil {
		r.release(spec)
		return rec, err
	}
	log := r.logger.With("job", spec.ID, "table", spec.Table, "type", spec.Type)
	log.Info("job started", "reason", spec.Reason)

	jobCtx, cancel := context.WithCancelCause(ctx)
	renewDone := make(chan struct{})
	go func() {
		defer close(renewDone)
		r.renew(jobCtx, spec, cancel)
	}()
	out, err := r.work(jobCtx, spec)
	cancel(nil)
	<-renewDone
	if cause := context.Cause(jobCtx); err != nil && cause != nil && !errors.Is(cause, context.Canceled) {
		err = cause
	}

	rec.ReadVersion, rec.Version, rec.Stats = out.readVersion, out.version, out.stats
	rec.Finished = now().UTC()
	rec.State = jobs.Succeeded
	if err != nil {
		rec.State, rec.Error = jobs.Failed, err.Error()
	}
	// The outcome is recorded before the lease is let go, so whoever
	// takes the lease next finds the record final. A context already
	// cancelled (shutdown) must not keep the record from being written.
	wctx, wcancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer wcancel()
	if perr := r.hist.Put(wctx, rec); perr != nil {
		log.Warn("could not record job outcome", "err", perr)
	}
	if out.event != nil && r.pub != nil {
		r.pub.Publish(*out.event)
	}
	r.release(spec)
	if err != nil {
		log.Warn("job failed", "err", err, "elapsed", rec.Finished.Sub(rec.Started))
		return rec, err
	}
	log.Info("job finished", "read_version", rec.ReadVersion, "version", rec.Version, "stats", rec.Stats, "elapsed", rec.Finished.Sub(rec.Started))
	return rec, nil
}

func (r *Runner) release(spec JobSpec) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.leases.Release(ctx, spec.Table, spec.Type, spec.ID); err != nil {
		r.logger.Warn("could not release job lease; it expires on its own", "job", spec.ID, "err", err)
	}
}

// errLeaseLost is the cause a job is cancelled with when another holder
// took its lease (it was not renewed in time).
var errLeaseLost = errors.New("job lost its lease")

// renew keeps the job's lease alive until ctx ends; losing it to another
// holder cancels the job.
func (r *Runner) renew(ctx context.Context, spec JobSpec, cancel context.CancelCauseFunc) {
	t := time.NewTicker(r.cfg.LeaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := r.leases.Acquire(ctx, spec.Table, spec.Type, spec.ID, r.cfg.LeaseTTL)
		switch {
		case errors.Is(err, ErrLeaseHeld):
			cancel(fmt.Errorf("%w: %v", errLeaseLost, err))
			return
		case err != nil && ctx.Err() == nil:
			r.logger.Warn("could not renew job lease", "job", spec.ID, "err", err)
		}
	}
}

// outcome is what a job's work produced.
type outcome struct {
	readVersion, version uint64
	stats                map[string]int64
	event                *events.Event
}

// work does the job's work on the table's newest version.
func (r *Runner) work(ctx context.Context, spec JobSpec) (outcome, error) {
	var out outcome
	if spec.Type == JobIndex && r.indexer == nil {
		return out, ErrNoIndexer
	}
	for attempt := 0; ; attempt++ {
		ds, err := r.cat.Open(ctx, spec.Table)
		if err != nil {
			return out, err
		}
		out.readVersion = ds.Version()
		policy, problems := r.cfg.Policy.Effective(ds.Config())
		for _, p := range problems {
			r.logger.Warn("ignoring table policy setting", "table", spec.Table, "err", p)
		}
		var next *lance.Dataset
		switch spec.Type {
		case JobCompact:
			next, out.stats, err = r.compact(ctx, ds, policy.Compaction)
		case JobCleanup:
			out.stats, err = r.cleanup(ctx, ds, policy.Cleanup)
		case JobIndex:
			next, out.stats, err = r.indexer.BuildIndex(ctx, ds, policy.Index)
		default:
			return out, fmt.Errorf("unknown job type %q", spec.Type)
		}
		if lance.IsConflict(err) && attempt < maxConflictRetries {
			r.logger.Info("job lost a commit race; planning again on the newest version", "job", spec.ID, "err", err)
			continue
		}
		if err != nil {
			return out, err
		}
		if next != nil && next.Version() != ds.Version() {
			out.version = next.Version()
			ev := events.FromCommit(spec.Table, r.cat.TableURI(ctx, r.cfg.StorageURI, spec.Table, next), string(spec.Type), spec.ID, ds, next)
			out.event = &ev
		}
		return out, nil
	}
}

func (r *Runner) compact(ctx context.Context, ds *lance.Dataset, p CompactionPolicy) (*lance.Dataset, map[string]int64, error) {
	// Fragments under vector indexes are compacted too when every index
	// of the table can be remapped (IVF_PQ); otherwise they are left alone.
	remap, err := lanceindex.Remapper(ctx, ds)
	if err != nil {
		return nil, nil, err
	}
	next, st, err := ds.Compact(ctx, lance.CompactOptions{
		TargetRowsPerFragment:         p.TargetRows,
		MaterializeDeletionsThreshold: p.MaxDeletedFraction,
		RemapIndex:                    remap,
	})
	if err != nil {
		return nil, nil, err
	}
	return next, map[string]int64{
		"fragments_removed": int64(st.FragmentsRemoved),
		"fragments_added":   int64(st.FragmentsAdded),
		"files_removed":     int64(st.FilesRemoved),
		"files_added":       int64(st.FilesAdded),
		"rows_rewritten":    int64(st.RowsRewritten),
		"indexes_remapped":  int64(st.IndexesRemapped),
	}, nil
}

func (r *Runner) cleanup(ctx context.Context, ds *lance.Dataset, p CleanupPolicy) (map[string]int64, error) {
	st, err := lance.CleanupOldVersions(ctx, ds.Store(), ds.Root(), lance.CleanupOptions{OlderThan: p.OlderThan, Now: r.cfg.Now()})
	if err != nil {
		return nil, err
	}
	return map[string]int64{
		"versions_removed": int64(st.VersionsRemoved),
		"files_removed":    int64(st.FilesRemoved),
		"bytes_removed":    int64(st.BytesRemoved),
	}, nil
}
