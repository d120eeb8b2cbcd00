package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/lancegate/lancegate/storage/catalog"
	"github.com/lancegate/lancegate/storage/events"
	"github.com/lancegate/lancegate/storage/jobs"
	"github.com/lancegate/lancegate/storage/lance"
)

// Config configures an Agent.
type Config struct {
	// Policy is the global maintenance policy; tables override it in
	// their dataset config.
	Policy Policy
	// SweepInterval is how often every table is reconciled whatever the
	// events say (default 10 minutes); the first sweep runs at start.
	SweepInterval time.Duration
	// FirstSweepDelay is how long after start the first sweep runs
	// (default 0: at once); replicas restarting together can spread their
	// first sweeps with it.
	FirstSweepDelay time.Duration
	// PendingTTL is how long the lease the agent takes for a job it
	// launches lasts before the job renews it: the time a job may take to
	// start (a pod to be scheduled). Default 10 minutes.
	PendingTTL time.Duration
	// RecheckInterval is how often tables whose work was blocked by a
	// running job (its lease) are looked at again (default 30 seconds), so
	// work that arrives while a job runs, or whose job died, waits for
	// neither the next event nor the next sweep.
	RecheckInterval time.Duration
	// Concurrency is how many tables of one event batch are reconciled at
	// once (default 4); with the in-process launcher it bounds the jobs
	// running at once as well.
	Concurrency int
	// HistoryRetention is how long finished job records are kept (default
	// 30 days).
	HistoryRetention time.Duration
	// Indexer decides index jobs; nil decides none.
	Indexer Indexer
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Logger receives the agent's decisions (nil: slog.Default()).
	Logger *slog.Logger
}

func (c *Config) defaults() {
	if c.SweepInterval <= 0 {
		c.SweepInterval = 10 * time.Minute
	}
	if c.PendingTTL <= 0 {
		c.PendingTTL = 10 * time.Minute
	}
	if c.RecheckInterval <= 0 {
		c.RecheckInterval = 30 * time.Second
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 4
	}
	if c.HistoryRetention <= 0 {
		c.HistoryRetention = 30 * 24 * time.Hour
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Agent reconciles tables against their maintenance policy and launches
// the jobs that bring them back to it.
type Agent struct {
	cat      *catalog.Catalog
	src      events.Source
	launcher Launcher
	hist     *jobs.History
	leases   *Leases
	cfg      Config
	logger   *slog.Logger

	mu sync.Mutex
	// blocked holds the tables whose work a running job's lease held
	// back; recheckLoop looks at them again.
	blocked map[string]bool
}

// New returns an agent over the tables of cat that consumes src (nil:
// sweeps only) and launches jobs with launcher.
func New(cat *catalog.Catalog, src events.Source, launcher Launcher, cfg Config) *Agent {
	cfg.defaults()
	return &Agent{
		cat:      cat,
		src:      src,
		launcher: launcher,
		hist:     jobs.NewHistory(cat.Store()),
		leases:   NewLeases(cat.Store(), cfg.Now),
		cfg:      cfg,
		logger:   cfg.Logger,
		blocked:  map[string]bool{},
	}
}

// Run consumes events and sweeps until ctx ends. Each event batch is
// reconciled table by table and its offsets are committed once the
// decisions are made (jobs launched or none needed); a table whose
// reconciliation keeps failing is left to the next sweep.
func (a *Agent) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() { a.sweepLoop(ctx) })
	wg.Go(func() { a.recheckLoop(ctx) })
	defer wg.Wait()
	if a.src == nil {
		<-ctx.Done()
		return nil
	}
	for {
		ds, err := a.src.Fetch(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			a.logger.Warn("fetching write events", "err", err)
			if err := sleep(ctx, time.Second); err != nil {
				return nil
			}
			continue
		}
		a.HandleEvents(ctx, ds)
		if ctx.Err() != nil {
			// Stopped mid-batch: the batch is not done, so it is not
			// committed; the partitions' next owner gets it again.
			return nil
		}
		if err := a.src.Commit(ctx, ds); err != nil {
			// Uncommitted events come again; reconciling twice is
			// harmless.
			a.logger.Warn("committing event offsets", "err", err)
		}
	}
}

// HandleEvents reconciles each table the deliveries name, once per table,
// Concurrency tables at a time, and returns when all are decided.
func (a *Agent) HandleEvents(ctx context.Context, ds []events.Delivery) {
	seen := map[string]bool{}
	sem := make(chan struct{}, a.cfg.Concurrency)
	var wg sync.WaitGroup
	for _, d := range ds {
		t := d.Event.Table
		if t == "" || seen[t] {
			continue
		}
		seen[t] = true
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			a.reconcileRetrying(ctx, t, false)
		})
	}
	wg.Wait()
}

// recheckLoop reconciles the blocked tables every RecheckInterval.
func (a *Agent) recheckLoop(ctx context.Context) {
	t := time.NewTicker(a.cfg.RecheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		a.mu.Lock()
		tables := make([]string, 0, len(a.blocked))
		for name := range a.blocked {
			tables = append(tables, name)
		}
		clear(a.blocked)
		a.mu.Unlock()
		for _, name := range tables {
			if _, err := a.Reconcile(ctx, name, false); err != nil && ctx.Err() == nil {
				a.logger.Warn("could not reconcile table", "table", name, "err", err)
			}
		}
	}
}

// reconcileRetrying reconciles a table, retrying transient failures a
// few times before leaving the table to the sweep.
func (a *Agent) reconcileRetrying(ctx context.Context, table string, full bool) {
	wait := 200 * time.Millisecond
	for attempt := 1; ; attempt++ {
		_, err := a.Reconcile(ctx, table, full)
		if err == nil || ctx.Err() != nil {
			return
		}
		if attempt == 4 {
			a.logger.Warn("could not reconcile table; the next sweep tries again", "table", table, "err", err)
			return
		}
		if sleep(ctx, wait) != nil {
			return
		}
		wait *= 4
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (a *Agent) sweepLoop(ctx context.Context) {
	if sleep(ctx, a.cfg.FirstSweepDelay) != nil {
		return
	}
	t := time.NewTicker(a.cfg.SweepInterval)
	defer t.Stop()
	for {
		if err := a.Sweep(ctx); err != nil && ctx.Err() == nil {
			a.logger.Warn("sweep", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sweep reconciles every table, including the time-based policies
// (cleanup) that events do not trigger, marks jobs that died without
// finishing as failed, and prunes old job records.
func (a *Agent) Sweep(ctx context.Context) error {
	if err := a.reap(ctx); err != nil {
		a.logger.Warn("checking for lost jobs", "err", err)
	}
	names, err := a.cat.List(ctx)
	if err != nil {
		return fmt.Errorf("listing tables: %w", err)
	}
	for _, name := range names {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if _, err := a.Reconcile(ctx, name, true); err != nil {
			a.logger.Warn("could not reconcile table", "table", name, "err", err)
		}
	}
	if _, err := a.hist.Prune(ctx, a.cfg.Now().Add(-a.cfg.HistoryRetention)); err != nil {
		a.logger.Warn("pruning job history", "err", err)
	}
	return nil
}

// Reconcile reads the table's newest version, decides which jobs its
// policy calls for and launches those not already running. full adds the
// time-based policies (cleanup), which need the version history; events
// only call for the others. It returns the jobs launched.
func (a *Agent) Reconcile(ctx context.Context, table string, full bool) ([]JobSpec, error) {
	ds, err := a.cat.Open(ctx, table)
	if errors.Is(err, catalog.ErrNoTable) || errors.Is(err, lance.ErrNotFound) {
		return nil, nil // dropped since the event
	}
	if err != nil {
		return nil, err
	}
	policy, problems := a.cfg.Policy.Effective(ds.Config())
	for _, p := range problems {
		a.logger.Warn("ignoring table policy setting", "table", table, "err", p)
	}
	type want struct {
		typ    JobType
		reason string
	}
	var wants []want
	if reason, ok := decideCompaction(ds.Fragments(), policy.Compaction); ok {
		soon, err := a.tooSoon(ctx, table, JobCompact, policy.Compaction.MinInterval)
		if err != nil {
			return nil, err
		}
		if !soon {
			wants = append(wants, want{JobCompact, reason})
		}
	}
	if a.cfg.Indexer != nil {
		reason, ok, err := a.cfg.Indexer.NeedsIndex(ctx, ds, policy.Index)
		if err != nil {
			return nil, fmt.Errorf("table %s: deciding index work: %w", table, err)
		}
		if ok {
			wants = append(wants, want{JobIndex, reason})
		}
	}
	if full && policy.Cleanup.Enabled {
		versions, err := lance.ListVersions(ctx, ds.Store(), ds.Root())
		if err != nil {
			return nil, fmt.Errorf("table %s: listing versions: %w", table, err)
		}
		tagged, err := lance.TaggedVersions(ctx, ds.Store(), ds.Root())
		if err != nil {
			return nil, fmt.Errorf("table %s: listing tags: %w", table, err)
		}
		if reason, ok := decideCleanup(versions, tagged, policy.Cleanup, a.cfg.Now()); ok {
			// Cleanup waits for a running compaction or index build: it
			// may delete the files of the version they read.
			busy, err := a.busy(ctx, table)
			if err != nil {
				return nil, err
			}
			if !busy {
				wants = append(wants, want{JobCleanup, reason})
			}
		}
	}
	var launched []JobSpec
	for _, w := range wants {
		spec := JobSpec{ID: jobs.NewID(a.cfg.Now()), Table: table, Type: w.typ, Version: ds.Version(), Reason: w.reason, Created: a.cfg.Now().UTC()}
		ok, err := a.launch(ctx, spec)
		if err != nil {
			return launched, err
		}
		if ok {
			launched = append(launched, spec)
		}
	}
	return launched, nil
}

// tooSoon reports whether the last job of table and type ended less than
// interval ago; the table is then looked at again by the recheck loop.
func (a *Agent) tooSoon(ctx context.Context, table string, typ JobType, interval time.Duration) (bool, error) {
	if interval <= 0 {
		return false, nil
	}
	ended, err := a.leases.Released(ctx, table, typ)
	if err != nil || ended.IsZero() || a.cfg.Now().Sub(ended) >= interval {
		return false, err
	}
	a.mu.Lock()
	a.blocked[table] = true
	a.mu.Unlock()
	return true, nil
}

// busy reports whether a compaction or index job holds the table.
func (a *Agent) busy(ctx context.Context, table string) (bool, error) {
	for _, t := range []JobType{JobCompact, JobIndex} {
		h, err := a.leases.Holder(ctx, table, t)
		if err != nil {
			return false, err
		}
		if h != "" {
			return true, nil
		}
	}
	return false, nil
}

// launch takes the job's lease in its name, records it as pending and
// hands it to the launcher. It reports false when another job of the same
// table and type holds the lease: that job is doing the work already, and
// the event of its commit brings the table back for another look.
func (a *Agent) launch(ctx context.Context, spec JobSpec) (bool, error) {
	err := a.leases.Acquire(ctx, spec.Table, spec.Type, spec.ID, a.cfg.PendingTTL)
	if errors.Is(err, ErrLeaseHeld) {
		a.mu.Lock()
		a.blocked[spec.Table] = true
		a.mu.Unlock()
		return false, nil
	}
	if err != nil {
		return false, err
	}
	rec := jobs.Record{ID: spec.ID, Table: spec.Table, Type: string(spec.Type), State: jobs.Pending, Reason: spec.Reason, Created: spec.Created, ReadVersion: spec.Version}
	if err := a.hist.Put(ctx, rec); err != nil {
		_ = a.leases.Release(context.WithoutCancel(ctx), spec.Table, spec.Type, spec.ID)
		return false, err
	}
	a.logger.Info("launching job", "job", spec.ID, "table", spec.Table, "type", spec.Type, "reason", spec.Reason)
	if err := a.launcher.Launch(ctx, spec); err != nil {
		rec.State, rec.Error, rec.Finished = jobs.Failed, "launch: "+err.Error(), a.cfg.Now().UTC()
		wctx := context.WithoutCancel(ctx)
		_ = a.hist.Put(wctx, rec)
		_ = a.leases.Release(wctx, spec.Table, spec.Type, spec.ID)
		return false, fmt.Errorf("launching %s job for %s: %w", spec.Type, spec.Table, err)
	}
	return true, nil
}

// reapWindow bounds how many recent job records reap looks at.
const reapWindow = 500

// reap marks as failed the jobs recorded as pending or running whose lease
// is gone: their process died (or never started) without finishing. The
// work itself is retried by reconciliation, which sees the table still
// needs it.
func (a *Agent) reap(ctx context.Context) error {
	recs, err := a.hist.List(ctx, jobs.ListOptions{Limit: reapWindow})
	if err != nil {
		return err
	}
	for _, r := range recs {
		if r.Done() {
			continue
		}
		holder, err := a.leases.Holder(ctx, r.Table, JobType(r.Type))
		if err != nil {
			return err
		}
		if holder == r.ID {
			continue
		}
		// Read again: the job may have finished since the listing.
		cur, err := a.hist.Get(ctx, r.ID)
		if err != nil || cur.Done() {
			continue
		}
		cur.State, cur.Finished = jobs.Failed, a.cfg.Now().UTC()
		cur.Error = "the job stopped without finishing (its lease expired); the table is reconciled again"
		if err := a.hist.Put(ctx, cur); err != nil {
			return err
		}
		a.logger.Warn("job lost", "job", r.ID, "table", r.Table, "type", r.Type)
	}
	return nil
}
