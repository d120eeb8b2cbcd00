package agent

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/catalog"
	"github.com/lancegate/lancegate/storage/events"
	"github.com/lancegate/lancegate/storage/jobs"
	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/objstore"
	"github.com/lancegate/lancegate/storage/objstore/objstoretest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var idSchema = arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)

// newTable creates table name with one single-row append (one fragment)
// per id in [0, n).
func newTable(t *testing.T, cat *catalog.Catalog, name string, n int) *lance.Dataset {
	t.Helper()
	ctx := context.Background()
	ds, err := cat.Create(ctx, name, idSchema, "")
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		ds = appendIDs(t, ds, int64(i))
	}
	return ds
}

func appendIDs(t *testing.T, ds *lance.Dataset, ids ...int64) *lance.Dataset {
	t.Helper()
	b := array.NewInt64Builder(memory.DefaultAllocator)
	b.AppendValues(ids, nil)
	col := b.NewArray()
	b.Release()
	rec := array.NewRecord(idSchema, []arrow.Array{col}, int64(len(ids)))
	col.Release()
	rr, err := array.NewRecordReader(idSchema, []arrow.Record{rec})
	rec.Release()
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()
	next, err := ds.Append(context.Background(), rr, lance.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return next
}

// ids reads the table's id column in order.
func ids(t *testing.T, ds *lance.Dataset) []int64 {
	t.Helper()
	sc, err := ds.Scan(lance.ScanOptions{Columns: []int{0}})
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	var out []int64
	for {
		rec, err := sc.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rec.Column(0).(*array.Int64).Int64Values()...)
		rec.Release()
	}
}

func wantIDs(t *testing.T, ds *lance.Dataset, n int) {
	t.Helper()
	got := ids(t, ds)
	if len(got) != n {
		t.Fatalf("%d rows, want %d", len(got), n)
	}
	for i, v := range got {
		if v != int64(i) {
			t.Fatalf("row %d = %d: order or content changed", i, v)
		}
	}
}

// testPolicy compacts at 4 small fragments, as often as asked.
func testPolicy() Policy {
	p := DefaultPolicy()
	p.Compaction.MinFragments = 4
	p.Compaction.MinInterval = 0
	return p
}

func newRunner(cat *catalog.Catalog, pub events.Publisher, clk *clock) *Runner {
	cfg := RunnerConfig{Policy: testPolicy(), Logger: quiet, Publisher: pub, Name: "test", StorageURI: "memory://"}
	if clk != nil {
		cfg.Now = clk.now
	}
	return NewRunner(cat, cfg)
}

func TestRunnerCompacts(t *testing.T) {
	objstoretest.EachBackend(t, func(t *testing.T, store objstore.Store) {
		ctx := context.Background()
		cat := catalog.New(store, nil)
		before := newTable(t, cat, "items", 20)
		bus := events.NewBus(16)
		r := newRunner(cat, bus, nil)
		spec := JobSpec{ID: jobs.NewID(time.Now()), Table: "items", Type: JobCompact, Reason: "test"}
		rec, err := r.Run(ctx, spec)
		if err != nil {
			t.Fatal(err)
		}
		if rec.State != jobs.Succeeded || rec.ReadVersion != before.Version() || rec.Version != before.Version()+1 || rec.Stats["fragments_removed"] != 20 || rec.Stats["fragments_added"] != 1 {
			t.Fatalf("record = %+v", rec)
		}
		stored, err := jobs.NewHistory(store).Get(ctx, spec.ID)
		if err != nil || stored.State != jobs.Succeeded || stored.Runner != "test" || stored.Started.IsZero() || stored.Finished.IsZero() {
			t.Fatalf("stored record = %+v, %v", stored, err)
		}
		after, err := cat.Open(ctx, "items")
		if err != nil {
			t.Fatal(err)
		}
		if len(after.Fragments()) != 1 {
			t.Fatalf("%d fragments after compaction, want 1", len(after.Fragments()))
		}
		wantIDs(t, after, 20)
		// The job published the version it committed.
		ds, err := bus.Fetch(ctx)
		if err != nil || len(ds) != 1 {
			t.Fatalf("fetch = %d events, %v", len(ds), err)
		}
		ev := ds[0].Event
		if ev.Table != "items" || ev.Op != "compact" || ev.Version != after.Version() || ev.PrevVersion != before.Version() || ev.Source != spec.ID || ev.URI != "memory://items.lance" {
			t.Fatalf("event = %+v", ev)
		}
		// The lease is free again.
		if h, _ := NewLeases(store, nil).Holder(ctx, "items", JobCompact); h != "" {
			t.Fatalf("lease still held by %q", h)
		}
		// Running it again finds nothing to do and commits nothing.
		rec, err = r.Run(ctx, JobSpec{ID: jobs.NewID(time.Now()), Table: "items", Type: JobCompact})
		if err != nil || rec.State != jobs.Succeeded || rec.Version != 0 {
			t.Fatalf("second run = %+v, %v", rec, err)
		}
	})
}

func TestRunnerLeaseHeld(t *testing.T) {
	ctx := context.Background()
	store := objstore.NewMemory()
	cat := catalog.New(store, nil)
	newTable(t, cat, "t", 5)
	if err := NewLeases(store, nil).Acquire(ctx, "t", JobCompact, "other", time.Minute); err != nil {
		t.Fatal(err)
	}
	r := newRunner(cat, nil, nil)
	spec := JobSpec{ID: "mine", Table: "t", Type: JobCompact}
	if _, err := r.Run(ctx, spec); !errors.Is(err, ErrLeaseHeld) {
		t.Fatalf("Run = %v, want ErrLeaseHeld", err)
	}
	if _, err := jobs.NewHistory(store).Get(ctx, "mine"); !errors.Is(err, jobs.ErrNotFound) {
		t.Fatalf("a job that did not start wrote a record: %v", err)
	}
	ds, _ := cat.Open(ctx, "t")
	if len(ds.Fragments()) != 5 {
		t.Fatal("the table changed")
	}
}

func TestRunnerFailureRecorded(t *testing.T) {
	ctx := context.Background()
	store := objstore.NewMemory()
	r := newRunner(catalog.New(store, nil), nil, nil)
	rec, err := r.Run(ctx, JobSpec{ID: "j", Table: "missing", Type: JobCompact})
	if !errors.Is(err, catalog.ErrNoTable) {
		t.Fatalf("Run = %v", err)
	}
	stored, _ := jobs.NewHistory(store).Get(ctx, "j")
	if rec.State != jobs.Failed || stored.State != jobs.Failed || !strings.Contains(stored.Error, "missing") {
		t.Fatalf("record = %+v", stored)
	}
	if h, _ := NewLeases(store, nil).Holder(ctx, "missing", JobCompact); h != "" {
		t.Fatal("a failed job kept its lease")
	}
	if _, err := r.Run(ctx, JobSpec{ID: "k", Table: "missing", Type: JobIndex}); !errors.Is(err, ErrNoIndexer) {
		t.Fatalf("index job without an indexer: %v", err)
	}
}

func TestRunnerCleanup(t *testing.T) {
	ctx := context.Background()
	store := objstore.NewMemory()
	cat := catalog.New(store, nil)
	ds := newTable(t, cat, "t", 6)
	clk := newClock()
	clk.t = time.Now().Add(8 * 24 * time.Hour)
	r := newRunner(cat, nil, clk)
	rec, err := r.Run(ctx, JobSpec{ID: "c", Table: "t", Type: JobCleanup})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Stats["versions_removed"] != int64(ds.Version()-1) {
		t.Fatalf("cleanup removed %d versions, want %d", rec.Stats["versions_removed"], ds.Version()-1)
	}
	vs, err := lance.ListVersions(ctx, store, ds.Root())
	if err != nil || len(vs) != 1 || vs[0].Version != ds.Version() {
		t.Fatalf("versions after cleanup = %+v, %v", vs, err)
	}
	latest, err := cat.Open(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, latest, 6)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func newAgent(cat *catalog.Catalog, src events.Source, pub events.Publisher, cfg Config) *Agent {
	if cfg.Policy == (Policy{}) {
		cfg.Policy = testPolicy()
	}
	runner := NewRunner(cat, RunnerConfig{Policy: cfg.Policy, Logger: quiet, Publisher: pub, Name: "test", StorageURI: "memory://"})
	cfg.Logger = quiet
	return New(cat, src, NewInProcess(runner, quiet), cfg)
}

// TestAgentCompactsOnEvents: commits publish events; the agent consumes
// them, compacts, and its own job's event comes back without launching
// anything more.
func TestAgentCompactsOnEvents(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	store := objstore.NewMemory()
	cat := catalog.New(store, nil)
	bus := events.NewBus(1024)
	a := newAgent(cat, bus, bus, Config{SweepInterval: time.Hour})
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()

	ds := newTable(t, cat, "t", 0)
	for i := range 10 {
		prev := ds
		ds = appendIDs(t, ds, int64(i))
		bus.Publish(events.Event{Table: "t", Version: ds.Version(), PrevVersion: prev.Version(), Op: "append", RowsAdded: 1})
	}
	hist := jobs.NewHistory(store)
	// Compactions run while the appends go on; once the last event is
	// handled, fewer small fragments are left than the policy's threshold.
	waitFor(t, 20*time.Second, "compaction to catch up", func() bool {
		ds, err := cat.Open(ctx, "t")
		return err == nil && len(ds.Fragments()) < 4
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	after, _ := cat.Open(context.Background(), "t")
	wantIDs(t, after, 10)
	if n := len(after.Fragments()); n >= 4 {
		t.Fatalf("%d fragments left", n)
	}
	recs, _ := hist.List(context.Background(), jobs.ListOptions{})
	for _, r := range recs {
		if r.State != jobs.Succeeded {
			t.Errorf("job %s ended %s: %s", r.ID, r.State, r.Error)
		}
	}
}

// TestSweep: without any event, a sweep compacts, cleans up old versions
// and marks a job that died (no lease) as failed.
func TestSweep(t *testing.T) {
	ctx := context.Background()
	store := objstore.NewMemory()
	cat := catalog.New(store, nil)
	newTable(t, cat, "t", 6)
	newTable(t, cat, "small", 2)
	hist := jobs.NewHistory(store)
	lost := jobs.Record{ID: jobs.NewID(time.Now()), Table: "small", Type: "compact", State: jobs.Running, Created: time.Now()}
	if err := hist.Put(ctx, lost); err != nil {
		t.Fatal(err)
	}
	p := testPolicy()
	p.Cleanup.OlderThan = time.Nanosecond
	a := newAgent(cat, nil, nil, Config{Policy: p})
	if err := a.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := hist.Get(ctx, lost.ID)
	if got.State != jobs.Failed || got.Error == "" {
		t.Fatalf("lost job = %+v", got)
	}
	ds, _ := cat.Open(ctx, "t")
	if len(ds.Fragments()) != 1 {
		t.Fatalf("%d fragments after the sweep", len(ds.Fragments()))
	}
	wantIDs(t, ds, 6)
	// A second sweep cleans up the versions the first one left behind.
	if err := a.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	vs, _ := lance.ListVersions(ctx, store, ds.Root())
	if len(vs) != 1 {
		t.Fatalf("%d versions after cleanup, want 1", len(vs))
	}
	recs, _ := hist.List(ctx, jobs.ListOptions{Table: "t"})
	var types []string
	for _, r := range recs {
		types = append(types, r.Type+":"+string(r.State))
	}
	if strings.Join(types, ",") != "cleanup:succeeded,compact:succeeded" {
		t.Fatalf("jobs of t = %v", types)
	}
}

// TestBlockedTableRechecked: work held back by another job's lease is
// done once that lease expires, without a new event.
func TestBlockedTableRechecked(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store := objstore.NewMemory()
	cat := catalog.New(store, nil)
	newTable(t, cat, "t", 5)
	if err := NewLeases(store, nil).Acquire(ctx, "t", JobCompact, "dead-job", 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	bus := events.NewBus(16)
	a := newAgent(cat, bus, nil, Config{SweepInterval: time.Hour, RecheckInterval: 20 * time.Millisecond})
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	bus.Publish(events.Event{Table: "t", Op: "append"})
	waitFor(t, 10*time.Second, "compaction after the lease expired", func() bool {
		ds, err := cat.Open(ctx, "t")
		return err == nil && len(ds.Fragments()) == 1
	})
	cancel()
	<-done
}

// failingStore fails manifest writes while broken is set: a job that
// dies at its commit.
type failingStore struct {
	objstore.Store
	broken atomic.Bool
}

var errInjected = errors.New("injected: process died")

func (s *failingStore) PutIfAbsent(ctx context.Context, key string, data []byte) error {
	if s.broken.Load() && strings.Contains(key, "_versions/") {
		return errInjected
	}
	return s.Store.PutIfAbsent(ctx, key, data)
}

// TestCrashedJobRetried: a job that fails at its commit leaves the table
// at its previous version, readable; the next reconciliation retries and
// succeeds.
func TestCrashedJobRetried(t *testing.T) {
	ctx := context.Background()
	store := &failingStore{Store: objstore.NewMemory()}
	cat := catalog.New(store, nil)
	before := newTable(t, cat, "t", 8)
	a := newAgent(cat, nil, nil, Config{})
	store.broken.Store(true)
	if _, err := a.Reconcile(ctx, "t", false); err != nil {
		t.Fatal(err)
	}
	ds, err := cat.Open(ctx, "t")
	if err != nil || ds.Version() != before.Version() {
		t.Fatalf("after the crashed job: version %v, %v", ds, err)
	}
	wantIDs(t, ds, 8)
	recs, _ := jobs.NewHistory(store).List(ctx, jobs.ListOptions{})
	if len(recs) != 1 || recs[0].State != jobs.Failed || !strings.Contains(recs[0].Error, "injected") {
		t.Fatalf("records = %+v", recs)
	}
	store.broken.Store(false)
	launched, err := a.Reconcile(ctx, "t", false)
	if err != nil || len(launched) != 1 {
		t.Fatalf("retry launched %d jobs, %v", len(launched), err)
	}
	ds, _ = cat.Open(ctx, "t")
	if len(ds.Fragments()) != 1 {
		t.Fatalf("%d fragments after the retry", len(ds.Fragments()))
	}
	wantIDs(t, ds, 8)
}

// TestRunnerKeepsPendingRecord: a job launched by the agent (a pending
// record) keeps when and why it was decided once it runs, as a job pod
// started later does.
func TestRunnerKeepsPendingRecord(t *testing.T) {
	ctx := context.Background()
	store := objstore.NewMemory()
	cat := catalog.New(store, nil)
	newTable(t, cat, "t", 5)
	decided := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	hist := jobs.NewHistory(store)
	if err := hist.Put(ctx, jobs.Record{ID: "j", Table: "t", Type: "compact", State: jobs.Pending, Reason: "5 small fragments", Created: decided}); err != nil {
		t.Fatal(err)
	}
	rec, err := newRunner(cat, nil, nil).Run(ctx, JobSpec{ID: "j", Table: "t", Type: JobCompact})
	if err != nil {
		t.Fatal(err)
	}
	if !rec.Created.Equal(decided) || rec.Reason != "5 small fragments" || rec.State != jobs.Succeeded || !rec.Started.After(decided) {
		t.Fatalf("record = %+v", rec)
	}
}

// TestCompactionMinInterval: a table compacted a moment ago is not
// compacted again before the policy's interval has passed, however many
// small fragments arrive; then it is.
func TestCompactionMinInterval(t *testing.T) {
	ctx := context.Background()
	store := objstore.NewMemory()
	cat := catalog.New(store, nil)
	ds := newTable(t, cat, "t", 5)
	clk := newClock()
	clk.t = time.Now()
	p := testPolicy()
	p.Compaction.MinInterval = time.Minute
	runner := NewRunner(cat, RunnerConfig{Policy: p, Logger: quiet, Now: clk.now})
	a := New(cat, nil, NewInProcess(runner, quiet), Config{Policy: p, Logger: quiet, Now: clk.now})
	if launched, err := a.Reconcile(ctx, "t", false); err != nil || len(launched) != 1 {
		t.Fatalf("first compaction: %d jobs, %v", len(launched), err)
	}
	ds, _ = cat.Open(ctx, "t")
	for i := 5; i < 10; i++ {
		ds = appendIDs(t, ds, int64(i))
	}
	clk.advance(30 * time.Second)
	if launched, err := a.Reconcile(ctx, "t", false); err != nil || len(launched) != 0 {
		t.Fatalf("30 s later: %d jobs, %v; want none", len(launched), err)
	}
	if !a.blocked["t"] {
		t.Fatal("the deferred table is not queued for another look")
	}
	clk.advance(31 * time.Second)
	if launched, err := a.Reconcile(ctx, "t", false); err != nil || len(launched) != 1 {
		t.Fatalf("61 s later: %d jobs, %v; want one", len(launched), err)
	}
	ds, _ = cat.Open(ctx, "t")
	if len(ds.Fragments()) != 1 {
		t.Fatalf("%d fragments", len(ds.Fragments()))
	}
	wantIDs(t, ds, 10)
}

// TestJobThatCannotStartFreesTheTable: the agent takes a job's lease and
// launches it, but the job cannot start (the process is stopping): the
// lease is let go at once instead of blocking the table until it expires.
func TestJobThatCannotStartFreesTheTable(t *testing.T) {
	store := objstore.NewMemory()
	cat := catalog.New(store, nil)
	newTable(t, cat, "t", 5)
	leases := NewLeases(store, nil)
	if err := leases.Acquire(context.Background(), "t", JobCompact, "j", time.Hour); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := newRunner(cat, nil, nil).Run(ctx, JobSpec{ID: "j", Table: "t", Type: JobCompact}); err == nil {
		t.Fatal("a job with a cancelled context ran")
	}
	if h, _ := leases.Holder(context.Background(), "t", JobCompact); h != "" {
		t.Fatalf("the lease is still held by %q", h)
	}
}
