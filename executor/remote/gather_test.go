package remote

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/exectest"
	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/spec"
	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/storage/objstore"
)

// checkCode fails unless err is a *sqlstate.Error of code.
func checkCode(t testing.TB, err error, code sqlstate.Code) {
	t.Helper()
	var e *sqlstate.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *sqlstate.Error; want SQLSTATE %s", err, err, code)
	}
	if got := sqlstate.CodeOf(err); got != code {
		t.Fatalf("error %v has SQLSTATE %s; want %s", err, got, code)
	}
}

// runInts runs frag on cl and returns its int columns and statistics.
func runInts(t testing.TB, cl *Cluster, frag *spec.Fragment) ([][]int64, []spec.Stats, int, int) {
	t.Helper()
	g, err := cl.Run(context.Background(), frag)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	cols, err := drainInts(t, g)
	if err != nil {
		t.Fatal(err)
	}
	stats, retries, fallbacks := g.ExecutorStats()
	return cols, stats, retries, fallbacks
}

// checkTable checks that cols are the test table's id, g and x columns
// of every row, in id order.
func checkTable(t testing.TB, cols [][]int64, rows int64) {
	t.Helper()
	if len(cols) != 3 {
		t.Fatalf("%d columns", len(cols))
	}
	if int64(len(cols[0])) != rows {
		t.Fatalf("%d rows, want %d", len(cols[0]), rows)
	}
	for i, id := range cols[0] {
		if id != int64(i) || cols[1][i] != id%7 || cols[2][i] != 3*id {
			t.Fatalf("row %d is (%d, %d, %d); want (%d, %d, %d)", i, id, cols[1][i], cols[2][i], i, i%7, 3*i)
		}
	}
}

func TestGatherScan(t *testing.T) {
	mem := checkedMem(t)
	tt := makeTable(t, 12, 1000)
	_, addrs := startExecutors(t, tt.store, 3)
	cl := newCluster(t, addrs, Options{Mem: mem})
	cols, stats, retries, fallbacks := runInts(t, cl, tt.build(t, fragSpec{}))
	checkTable(t, cols, 12000)
	if retries != 0 || fallbacks != 0 {
		t.Errorf("%d retries, %d fallbacks", retries, fallbacks)
	}
	want := map[string]int{}
	for i := range 12 {
		want[tt.owner(i, addrs)]++
	}
	var rowsRead, rows int64
	pieces := 0
	for _, s := range stats {
		if s.Pieces != want[s.Executor] {
			t.Errorf("executor %s ran %d pieces; rendezvous gives it %d", s.Executor, s.Pieces, want[s.Executor])
		}
		if s.RowsRead != int64(1000*s.Pieces) || s.Rows != s.RowsRead {
			t.Errorf("executor %s: %+v", s.Executor, s)
		}
		rowsRead += s.RowsRead
		rows += s.Rows
		pieces += s.Pieces
	}
	if len(stats) != len(want) || rowsRead != 12000 || rows != 12000 || pieces != 12 {
		t.Errorf("stats %+v: want %d executors, 12000 rows read, 12 pieces", stats, len(want))
	}
	if !sort.SliceIsSorted(stats, func(i, j int) bool { return stats[i].Executor < stats[j].Executor }) {
		t.Errorf("stats not sorted by executor: %+v", stats)
	}
}

func TestGatherFilterProject(t *testing.T) {
	mem := checkedMem(t)
	tt := makeTable(t, 12, 1000)
	_, addrs := startExecutors(t, tt.store, 3)
	cl := newCluster(t, addrs, Options{Mem: mem})
	// WHERE id % 1000 = 17, SELECT x
	frag := tt.build(t, fragSpec{
		filter:  call(t, "=", call(t, "%", colID, int8Const(1000)), int8Const(17)),
		project: []expr.Expr{colX},
		names:   []string{"x"},
	})
	cols, stats, _, _ := runInts(t, cl, frag)
	var want []int64
	for k := range int64(12) {
		want = append(want, 3*(1000*k+17))
	}
	if len(cols) != 1 || !slices.Equal(cols[0], want) {
		t.Fatalf("got %v; want %v", cols, want)
	}
	var rowsRead, rows int64
	for _, s := range stats {
		rowsRead += s.RowsRead
		rows += s.Rows
	}
	if rowsRead != 12000 || rows != 12 {
		t.Errorf("stats: %d rows read, %d sent; want 12000, 12", rowsRead, rows)
	}
}

func TestGatherPartialAggregate(t *testing.T) {
	mem := checkedMem(t)
	tt := makeTable(t, 12, 1000)
	_, addrs := startExecutors(t, tt.store, 3)
	cl := newCluster(t, addrs, Options{Mem: mem})
	count, sum := aggCall(t, "count"), aggCall(t, "sum", colX)
	frag := tt.build(t, fragSpec{
		groupBy:  []expr.Expr{colG},
		aggs:     []expr.AggCall{count, sum},
		aggNames: []string{"g", "count", "sum"},
	})
	g, err := cl.Run(context.Background(), frag)
	if err != nil {
		t.Fatal(err)
	}
	env := &expr.Env{Mem: mem}
	final, err := executor.NewHashAggregate(env, g, executor.HashAggregateConfig{
		GroupBy: []expr.Expr{&expr.Column{Index: 0, T: pgtype.Int4}},
		Aggs: []expr.AggCall{
			{Agg: count.Agg, Args: []expr.Expr{&expr.Column{Index: 1, T: count.Agg.Result}}},
			{Agg: sum.Agg, Args: []expr.Expr{&expr.Column{Index: 2, T: sum.Agg.Result}}},
		},
		Names: []string{"g", "count", "sum"},
		Mode:  executor.AggFinal,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer final.Close()
	recs, err := exectest.Drain(context.Background(), final)
	if err != nil {
		t.Fatal(err)
	}
	rows := exectest.Rows(recs)
	exectest.Release(recs)
	sort.Slice(rows, func(i, j int) bool { return rows[i][0].(int64) < rows[j][0].(int64) })
	var want [][]any
	for k := range int64(7) {
		var n, s int64
		for id := k; id < 12000; id += 7 {
			n++
			s += 3 * id
		}
		want = append(want, []any{k, n, fmt.Sprint(s)})
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Fatalf("got %v\nwant %v", rows, want)
	}
	stats, retries, _ := g.ExecutorStats()
	var read int64
	for _, s := range stats {
		read += s.RowsRead
	}
	if read != 12000 || retries != 0 {
		t.Errorf("%d rows read, %d retries", read, retries)
	}
}

func TestGatherTopK(t *testing.T) {
	mem := checkedMem(t)
	tt := makeTable(t, 12, 1000)
	_, addrs := startExecutors(t, tt.store, 3)
	cl := newCluster(t, addrs, Options{Mem: mem})
	frag := tt.build(t, fragSpec{topk: []topKey{{x: colX, desc: true}}, limit: 5})
	g, err := cl.Run(context.Background(), frag)
	if err != nil {
		t.Fatal(err)
	}
	top, err := executor.NewTopK(&expr.Env{Mem: mem}, g, executor.TopKConfig{
		Keys:  []executor.SortKey{{Expr: colX, Desc: true, Nulls: executor.NullsLast}},
		Limit: 5,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer top.Close()
	cols, err := drainInts(t, top)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{11999, 11998, 11997, 11996, 11995}; !slices.Equal(cols[0], want) {
		t.Fatalf("ids %v; want %v", cols[0], want)
	}
	stats, _, _ := g.ExecutorStats()
	var rows int64
	for _, s := range stats {
		rows += s.Rows
		if s.Rows > 5 {
			t.Errorf("executor %s sent %d rows for a top-5", s.Executor, s.Rows)
		}
	}
	if rows < 5 {
		t.Errorf("executors sent %d rows", rows)
	}
}

func TestGatherSQLError(t *testing.T) {
	mem := checkedMem(t)
	tt := makeTable(t, 12, 1000)
	_, addrs := startExecutors(t, tt.store, 3)
	cl := newCluster(t, addrs, Options{Mem: mem})
	// WHERE 1 / (id - 5) > 0: division by zero at id 5.
	frag := tt.build(t, fragSpec{
		filter: call(t, ">", call(t, "/", int8Const(1), call(t, "-", colID, int8Const(5))), int8Const(0)),
	})
	g, err := cl.Run(context.Background(), frag)
	if err == nil {
		_, err = drainInts(t, g)
		_, retries, fallbacks := g.ExecutorStats()
		g.Close()
		if retries != 0 || fallbacks != 0 {
			t.Errorf("a SQL error was retried: %d retries, %d fallbacks", retries, fallbacks)
		}
	}
	checkCode(t, err, sqlstate.DivisionByZero)
	for _, m := range cl.Members() {
		if !m.Alive || m.Failures != 0 {
			t.Errorf("member %+v marked down by a SQL error", m)
		}
	}
	// The cluster keeps working.
	cols, _, retries, _ := runInts(t, cl, tt.build(t, fragSpec{}))
	checkTable(t, cols, 12000)
	if retries != 0 {
		t.Errorf("%d retries", retries)
	}
}

func TestGatherHungExecutor(t *testing.T) {
	mem := checkedMem(t)
	tt := makeTable(t, 12, 1000)
	var stores []*hangStore
	var addrs []string
	for range 3 {
		s := newHangStore(tt.store)
		stores = append(stores, s)
		addrs = append(addrs, startExecutor(t, s, "", nil).addr)
		// Runs before the executor's stop: its stuck reads return.
		t.Cleanup(func() { close(s.release) })
	}
	// Hang the owner of the first piece. Its pings still answer (only
	// its disk hangs), so probing is slowed down to keep the mark of the
	// failed stream observable.
	hung := tt.owner(0, addrs)
	stores[slices.Index(addrs, hung)].hang.Store(true)
	cl := newCluster(t, addrs, Options{Mem: mem, StreamTimeout: 300 * time.Millisecond, Probe: time.Hour})
	start := time.Now()
	cols, stats, retries, fallbacks := runInts(t, cl, tt.build(t, fragSpec{}))
	checkTable(t, cols, 12000)
	if retries < 1 || fallbacks != 0 {
		t.Errorf("%d retries, %d fallbacks; want ≥ 1, 0", retries, fallbacks)
	}
	for _, s := range stats {
		if s.Executor == hung {
			t.Errorf("stats of the hung executor: %+v", s)
		}
	}
	if alive, _ := memberAlive(cl, hung); alive {
		t.Errorf("hung executor %s still alive: %+v", hung, cl.Members())
	}
	if stores[slices.Index(addrs, hung)].blocked.Load() == 0 {
		t.Error("the hung executor never read a data file")
	}
	t.Logf("fragment over a hung executor took %v", time.Since(start))
}

// TestGatherHungExecutorProbed shows that pings do not detect a hung
// disk: with the normal probe, the hung executor is alive again soon
// after its stream timed out (and the next statement waits for its
// StreamTimeout again), yet every statement returns the right rows.
func TestGatherHungExecutorProbed(t *testing.T) {
	tt := makeTable(t, 12, 1000)
	hs := newHangStore(tt.store)
	_, addrs := startExecutors(t, tt.store, 2)
	addrs = append(addrs, startExecutor(t, hs, "", nil).addr)
	// Runs before the executor's stop (Serve waits for its streams).
	t.Cleanup(func() { close(hs.release) })
	hung := addrs[2]
	hs.hang.Store(true)
	cl := newCluster(t, addrs, Options{StreamTimeout: 200 * time.Millisecond})
	for range 2 {
		cols, _, _, _ := runInts(t, cl, tt.build(t, fragSpec{}))
		checkTable(t, cols, 12000)
		waitFor(t, 5*time.Second, "the hung executor answers pings again", func() bool {
			alive, _ := memberAlive(cl, hung)
			return alive
		})
	}
}

func TestGatherDeadExecutor(t *testing.T) {
	mem := checkedMem(t)
	tt := makeTable(t, 12, 1000)
	procs, addrs := startExecutors(t, tt.store, 3)
	cl := newCluster(t, addrs, Options{Mem: mem})
	dead := tt.owner(0, addrs)
	procs[slices.Index(addrs, dead)].stop(t)
	cols, stats, _, fallbacks := runInts(t, cl, tt.build(t, fragSpec{}))
	checkTable(t, cols, 12000)
	if fallbacks != 0 {
		t.Errorf("%d fallbacks", fallbacks)
	}
	for _, s := range stats {
		if s.Executor == dead {
			t.Errorf("stats of the stopped executor: %+v", s)
		}
	}
	if alive, _ := memberAlive(cl, dead); alive {
		t.Errorf("stopped executor %s alive: %+v", dead, cl.Members())
	}
}

// TestGatherDeadExecutorRetried stops an executor after the
// cluster saw it alive, so the statement's stream to it fails and is
// retried (rather than the prober removing it first).
func TestGatherDeadExecutorRetried(t *testing.T) {
	tt := makeTable(t, 12, 1000)
	procs, addrs := startExecutors(t, tt.store, 3)
	cl := newCluster(t, addrs, Options{Probe: time.Hour})
	waitFor(t, 5*time.Second, "the first probe", func() bool {
		for _, m := range cl.Members() {
			if !m.Alive {
				return false
			}
		}
		return true
	})
	dead := tt.owner(0, addrs)
	procs[slices.Index(addrs, dead)].stop(t)
	cols, _, retries, fallbacks := runInts(t, cl, tt.build(t, fragSpec{}))
	checkTable(t, cols, 12000)
	if retries < 1 || fallbacks != 0 {
		t.Errorf("%d retries, %d fallbacks; want ≥ 1, 0", retries, fallbacks)
	}
	if alive, _ := memberAlive(cl, dead); alive {
		t.Errorf("stopped executor %s alive: %+v", dead, cl.Members())
	}
}

func TestGatherAllExecutorsDead(t *testing.T) {
	mem := checkedMem(t)
	tt := makeTable(t, 12, 1000)
	procs, addrs := startExecutors(t, tt.store, 3)
	for _, p := range procs {
		p.stop(t)
	}
	t.Run("no fallback", func(t *testing.T) {
		cl := newCluster(t, addrs, Options{Mem: mem})
		g, err := cl.Run(context.Background(), tt.build(t, fragSpec{}))
		if err == nil {
			_, err = drainInts(t, g)
			g.Close()
		}
		checkCode(t, err, sqlstate.CannotConnectNow)
	})
	t.Run("fallback", func(t *testing.T) {
		cl := newCluster(t, addrs, Options{Mem: mem, Fallback: NewStoreOpener(tt.store, nil, 0)})
		cols, stats, _, fallbacks := runInts(t, cl, tt.build(t, fragSpec{}))
		checkTable(t, cols, 12000)
		if fallbacks < 1 {
			t.Errorf("%d fallbacks", fallbacks)
		}
		var read int64
		for _, s := range stats {
			if s.Executor != localName {
				t.Errorf("stats of %s: %+v", s.Executor, s)
			}
			read += s.RowsRead
		}
		if read != 12000 {
			t.Errorf("query node read %d rows", read)
		}
	})
}

func TestGatherRejoin(t *testing.T) {
	tt := makeTable(t, 12, 1000)
	procs, addrs := startExecutors(t, tt.store, 3)
	cl := newCluster(t, addrs, Options{})
	back := tt.owner(0, addrs)
	procs[slices.Index(addrs, back)].stop(t)
	waitFor(t, 5*time.Second, "the stopped executor is marked down", func() bool {
		alive, known := memberAlive(cl, back)
		return known && !alive
	})
	cols, stats, _, _ := runInts(t, cl, tt.build(t, fragSpec{}))
	checkTable(t, cols, 12000)
	for _, s := range stats {
		if s.Executor == back {
			t.Fatalf("stats of the stopped executor: %+v", s)
		}
	}
	startExecutor(t, tt.store, back, nil)
	waitFor(t, 10*time.Second, "the restarted executor is alive", func() bool {
		alive, _ := memberAlive(cl, back)
		return alive
	})
	cols, stats, retries, _ := runInts(t, cl, tt.build(t, fragSpec{}))
	checkTable(t, cols, 12000)
	found := false
	for _, s := range stats {
		found = found || s.Executor == back && s.Pieces > 0
	}
	if !found || retries != 0 {
		t.Errorf("after its return, executor %s is not used (%d retries): %+v", back, retries, stats)
	}
}

// TestGatherResume kills the executor of the current piece mid-stream:
// the piece resumes on the other executor past the rows already
// delivered.
func TestGatherResume(t *testing.T) {
	mem := checkedMem(t)
	tt := makeTable(t, 4, 50000)
	procs, addrs := startExecutors(t, tt.store, 2)
	cl := newCluster(t, addrs, Options{Mem: mem, Buffer: 1})
	g, err := cl.Run(context.Background(), tt.build(t, fragSpec{}))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	cols := make([][]int64, 3)
	rec, err := g.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	appendInts(t, cols, rec)
	rec.Release()
	if int64(len(cols[0])) >= 50000 {
		t.Fatalf("first batch holds the whole first piece (%d rows)", len(cols[0]))
	}
	victim := tt.owner(0, addrs)
	procs[slices.Index(addrs, victim)].kill(t)
	rest, err := drainInts(t, g)
	if err != nil {
		t.Fatal(err)
	}
	for c := range cols {
		cols[c] = append(cols[c], rest[c]...)
	}
	checkTable(t, cols, 200000)
	stats, retries, fallbacks := g.ExecutorStats()
	if retries < 1 || fallbacks != 0 {
		t.Errorf("%d retries, %d fallbacks; want ≥ 1, 0 (stats %+v)", retries, fallbacks, stats)
	}
	var skipped bool
	for _, s := range stats {
		if s.Executor == victim {
			t.Errorf("stats of the killed executor: %+v", s)
		}
		// The resumed piece sends fewer rows than it reads.
		skipped = skipped || s.Rows < s.RowsRead
	}
	if !skipped {
		t.Errorf("no executor resumed a piece past delivered rows: %+v", stats)
	}
	if alive, _ := memberAlive(cl, victim); alive {
		t.Errorf("killed executor %s alive", victim)
	}
}

// TestGatherResumeReduction kills an executor during a top-k: the
// reduction restarts elsewhere and the answer is exact.
func TestGatherResumeReduction(t *testing.T) {
	mem := checkedMem(t)
	tt := makeTable(t, 12, 1000)
	var stores []*hangStore
	var procs []*executorProc
	var addrs []string
	for range 3 {
		s := newHangStore(tt.store)
		p := startExecutor(t, s, "", nil)
		t.Cleanup(func() { close(s.release) })
		stores, procs, addrs = append(stores, s), append(procs, p), append(addrs, p.addr)
	}
	i := slices.Index(addrs, tt.owner(0, addrs))
	hs, hungProc := stores[i], procs[i]
	hs.hang.Store(true)
	cl := newCluster(t, addrs, Options{Mem: mem, Probe: time.Hour})
	frag := tt.build(t, fragSpec{topk: []topKey{{x: colX, desc: true}}, limit: 3})
	// Kill the hung executor once its stream is open (Run may be
	// waiting for it: it waits for the first stream's schema, and a
	// reduction sends its schema with its result).
	killed := make(chan struct{})
	go func() {
		defer close(killed)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for hs.blocked.Load() == 0 {
			<-tick.C
		}
		hungProc.killed = true
		hungProc.ln.killAll()
	}()
	start := time.Now()
	g, err := cl.Run(context.Background(), frag)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	select {
	case <-killed:
	case <-time.After(5 * time.Second):
		t.Fatal("the hung executor never read")
	}
	top, err := executor.NewTopK(&expr.Env{Mem: mem}, g, executor.TopKConfig{
		Keys: []executor.SortKey{{Expr: colX, Desc: true}}, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	cols, err := drainInts(t, top)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{11999, 11998, 11997}; !slices.Equal(cols[0], want) {
		t.Fatalf("ids %v; want %v", cols[0], want)
	}
	if _, retries, _ := g.ExecutorStats(); retries < 1 {
		t.Errorf("%d retries", retries)
	}
	// The loss was noticed from the broken connection, not the 5 s
	// StreamTimeout.
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v", d)
	}
	// top.Close closes g; the deferred Close must be harmless.
	top.Close()
}

// TestGatherCancel cancels the statement mid-stream: Next returns the
// context's error, Close returns promptly, and every goroutine (query
// node and executors) ends.
func TestGatherCancel(t *testing.T) {
	mem := checkedMem(t)
	tt := makeTable(t, 4, 50000)
	_, addrs := startExecutors(t, tt.store, 3)
	cl := newCluster(t, addrs, Options{Mem: mem})
	// Warm up: connections and server goroutines exist from now on.
	cols, _, _, _ := runInts(t, cl, tt.build(t, fragSpec{}))
	checkTable(t, cols, 200000)
	base := runtime.NumGoroutine()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g, err := cl.Run(ctx, tt.build(t, fragSpec{}))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := g.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rec.Release()
	cancel()
	// Batches already queued may still come out (Next selects between
	// them and the context); the error must follow within the buffer.
	for i := 0; ; i++ {
		rec, err := g.Next(ctx)
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Next after cancel: %v; want context.Canceled", err)
			}
			break
		}
		rec.Release()
		if i > 10 {
			t.Fatal("Next keeps returning batches after cancel")
		}
	}
	closed := make(chan struct{})
	go func() { g.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not return 2 s after cancel")
	}
	var now int
	waitFor(t, 5*time.Second, "goroutines return to the baseline", func() bool {
		now = runtime.NumGoroutine()
		return now <= base
	})
}

// TestGatherCloseEarly closes a gather mid-stream without cancelling,
// as a LIMIT does: queued batches are released, nothing leaks.
func TestGatherCloseEarly(t *testing.T) {
	mem := checkedMem(t)
	tt := makeTable(t, 12, 1000)
	_, addrs := startExecutors(t, tt.store, 3)
	cl := newCluster(t, addrs, Options{Mem: mem})
	for _, frag := range []*spec.Fragment{
		tt.build(t, fragSpec{}),
		tt.build(t, fragSpec{topk: []topKey{{x: colX}}, limit: 2000}),
	} {
		g, err := cl.Run(context.Background(), frag)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := g.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		rec.Release()
		g.Close()
	}
}

// TestGatherNextContext: an operator honours the context Next is called
// with, not only the one it was started with.
func TestGatherNextContext(t *testing.T) {
	tt := makeTable(t, 12, 1000)
	_, addrs := startExecutors(t, tt.store, 2)
	cl := newCluster(t, addrs, Options{})
	g, err := cl.Run(context.Background(), tt.build(t, fragSpec{}))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec, err := g.Next(ctx)
	if err == nil {
		rec.Release()
		t.Fatal("Gather.Next returned a batch for a cancelled context")
	}
	if !errors.Is(err, context.Canceled) && sqlstate.CodeOf(err) != sqlstate.QueryCanceled {
		t.Fatalf("Next(cancelled ctx): %v", err)
	}
}

// TestStoreOpener opens one snapshot once and refuses what it cannot open.
func TestStoreOpener(t *testing.T) {
	tt := makeTable(t, 2, 10)
	o := NewStoreOpener(tt.store, nil, 0)
	a, err := o.Open(context.Background(), tt.ref)
	if err != nil {
		t.Fatal(err)
	}
	b, err := o.Open(context.Background(), tt.ref)
	if err != nil || a != b {
		t.Fatalf("second Open: %p, %v; want the cached %p", b, err, a)
	}
	if _, err := o.Open(context.Background(), spec.TableRef{Location: "memory://elsewhere", Root: "x.lance", Version: 1}); !errors.Is(err, ErrNoLocations) {
		t.Fatalf("Open outside the root without a Locator: %v", err)
	}
	if _, err := o.Open(context.Background(), spec.TableRef{Root: "missing.lance", Version: 1}); err == nil {
		t.Fatal("Open of a missing dataset succeeded")
	}
}

// slowStore delays every read of a data file, as a busy disk does.
type slowStore struct {
	objstore.Store
	delay time.Duration
}

func (s slowStore) GetRange(ctx context.Context, key string, off, length int64) ([]byte, error) {
	if strings.Contains(key, "/data/") {
		select {
		case <-time.After(s.delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return s.Store.GetRange(ctx, key, off, length)
}

// TestGatherSlowExecutor runs a reduction on an executor that works
// steadily but needs longer than StreamTimeout for its whole share: it is
// not hung, and the statement must succeed.
func TestGatherSlowExecutor(t *testing.T) {
	tt := makeTable(t, 12, 1000)
	p := startExecutor(t, slowStore{tt.store, 40 * time.Millisecond}, "", nil)
	cl := newCluster(t, []string{p.addr}, Options{StreamTimeout: 300 * time.Millisecond})
	count := aggCall(t, "count")
	frag := tt.build(t, fragSpec{aggs: []expr.AggCall{count}, aggNames: []string{"count"}})
	start := time.Now()
	g, err := cl.Run(context.Background(), frag)
	if sqlstate.CodeOf(err) == sqlstate.CannotConnectNow {
		t.Fatalf("an executor busy for %v without output was taken for hung (StreamTimeout 300ms): %v", time.Since(start), err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if _, err := drainInts(t, g); err != nil {
		t.Fatal(err)
	}
}

// TestGatherHedge runs a top-k whose pieces include a slow executor's:
// with Options.Hedge its pieces start on the next executor too, and the
// faster answer is used.
func TestGatherHedge(t *testing.T) {
	for _, first := range []bool{false, true} {
		t.Run(fmt.Sprintf("slow owns the first piece=%v", first), func(t *testing.T) {
			mem := checkedMem(t)
			tt := makeTable(t, 12, 1000)
			var addrs []string
			var stores []*slowSwitch
			for range 3 {
				s := &slowSwitch{Store: tt.store}
				stores = append(stores, s)
				addrs = append(addrs, startExecutor(t, s, "", nil).addr)
			}
			// The slow executor owns the first piece, or owns pieces but
			// not the first.
			owned := map[string]int{}
			for i := range 12 {
				owned[tt.owner(i, addrs)]++
			}
			victim := ""
			for _, a := range addrs {
				if (a == tt.owner(0, addrs)) == first && owned[a] > 0 {
					victim = a
					break
				}
			}
			if victim == "" {
				t.Skip("no executor fits this placement")
			}
			stores[slices.Index(addrs, victim)].delay.Store(int64(60 * time.Millisecond))
			// The Cluster is stopped but not closed at the end: an
			// abandoned hedge's goroutine is not joined by Gather.Close,
			// and Cluster.Close then races with its use of the member's
			// client (reported).
			cl, err := NewCluster(context.Background(), Options{Executors: strings.Join(addrs, ","), Probe: 50 * time.Millisecond,
				Mem: mem, Hedge: 50 * time.Millisecond, Logger: quietLogger})
			if err != nil {
				t.Fatal(err)
			}
			ctx, stop := context.WithCancel(context.Background())
			cl.Start(ctx)
			t.Cleanup(stop)
			frag := tt.build(t, fragSpec{topk: []topKey{{x: colX, desc: true}}, limit: 5})
			g, err := cl.Run(ctx, frag)
			if err != nil {
				t.Fatal(err)
			}
			top, err := executor.NewTopK(&expr.Env{Mem: mem}, g, executor.TopKConfig{
				Keys: []executor.SortKey{{Expr: colX, Desc: true}}, Limit: 5})
			if err != nil {
				t.Fatal(err)
			}
			cols, err := drainInts(t, top)
			top.Close()
			// An abandoned stream's goroutine outlives Close (abandon
			// does not wait for it); it must end soon, and before the
			// Cluster closes its connections under it (reported).
			waitFor(t, 5*time.Second, "the streams' goroutines ended", func() bool { return tasksRunning() == 0 })
			if err != nil {
				t.Fatal(err)
			}
			if want := []int64{11999, 11998, 11997, 11996, 11995}; !slices.Equal(cols[0], want) {
				t.Fatalf("ids %v; want %v", cols[0], want)
			}
			started, won := g.Hedged()
			if won < 1 {
				t.Errorf("%d hedges started, %d won; want a winning hedge", started, won)
			}
			if _, retries, _ := g.ExecutorStats(); retries != 0 {
				t.Errorf("%d retries: a slow executor is not a failed one", retries)
			}
			if alive, _ := memberAlive(cl, victim); !alive {
				t.Error("the slow executor was marked down")
			}
		})
	}
}

// slowSwitch delays reads of data files once delay is set.
type slowSwitch struct {
	objstore.Store
	delay atomic.Int64
}

func (s *slowSwitch) GetRange(ctx context.Context, key string, off, length int64) ([]byte, error) {
	if d := time.Duration(s.delay.Load()); d > 0 && strings.Contains(key, "/data/") {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return s.Store.GetRange(ctx, key, off, length)
}
