package remote

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/spec"
	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/objstore"
)

// quietLogger drops the package's logs (executors going down is what the
// tests do on purpose).
var quietLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

// testTable is a dataset of columns id int8, g int4 (id % 7), x int8
// (id * 3), id counting from 0, in fragments of equal size.
type testTable struct {
	store *objstore.Memory
	ds    *lance.Dataset
	ref   spec.TableRef
	rows  int64
}

const tableRoot = "t.lance"

// Column expressions of the test table (as the scan reads them).
var (
	colID = &expr.Column{Index: 0, T: pgtype.Int8, Name: "id"}
	colG  = &expr.Column{Index: 1, T: pgtype.Int4, Name: "g"}
	colX  = &expr.Column{Index: 2, T: pgtype.Int8, Name: "x"}
)

// makeTable writes frags fragments of rowsPer rows to a memory store.
func makeTable(t testing.TB, frags, rowsPer int) *testTable {
	t.Helper()
	var fields []arrow.Field
	for _, c := range []*expr.Column{colID, colG, colX} {
		f, err := pgtype.Field(c.Name, c.T, false)
		if err != nil {
			t.Fatal(err)
		}
		fields = append(fields, f)
	}
	schema := arrow.NewSchema(fields, nil)
	mem := memory.NewGoAllocator()
	total := frags * rowsPer
	const chunk = 10000
	var recs []arrow.Record
	for start := 0; start < total; start += chunk {
		n := min(chunk, total-start)
		b := array.NewRecordBuilder(mem, schema)
		for i := start; i < start+n; i++ {
			b.Field(0).(*array.Int64Builder).Append(int64(i))
			b.Field(1).(*array.Int32Builder).Append(int32(i % 7))
			b.Field(2).(*array.Int64Builder).Append(int64(i) * 3)
		}
		recs = append(recs, b.NewRecord())
		b.Release()
	}
	rdr, err := array.NewRecordReader(schema, recs)
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Release()
	for _, r := range recs {
		r.Release()
	}
	store := objstore.NewMemory()
	ds, err := lance.Create(context.Background(), store, tableRoot, schema, rdr, lance.WriteOptions{MaxRowsPerFile: rowsPer})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(ds.Fragments()); got != frags {
		t.Fatalf("dataset has %d fragments, want %d", got, frags)
	}
	return &testTable{store: store, ds: ds, ref: spec.TableRef{Root: tableRoot, Version: ds.Version(), Committed: ds.Timestamp().UnixNano()}, rows: int64(total)}
}

// pieces lists every fragment of the table.
func (tt *testTable) pieces() []spec.Piece {
	var out []spec.Piece
	for _, f := range tt.ds.Fragments() {
		out = append(out, spec.Piece{ID: f.ID})
	}
	return out
}

// pieceKey is the placement key of the table's fragment id.
func (tt *testTable) pieceKey(id uint64) string {
	return tt.ref.Key() + "/" + strconv.FormatUint(id, 10)
}

// owner is the executor rendezvous hashing gives piece i of the table
// among addrs.
func (tt *testTable) owner(i int, addrs []string) string {
	return rank(tt.pieceKey(tt.pieces()[i].ID), addrs)[0]
}

// executorProc is one in-process executor.
type executorProc struct {
	addr   string
	ln     *killListener
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	killed bool
}

// startExecutor serves the store's snapshots on addr ("" for a new
// loopback port), until stopped or the test ends.
func startExecutor(t testing.TB, store objstore.Store, addr string, mod func(*ServerConfig)) *executorProc {
	t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var ln net.Listener
	var err error
	// A restarted executor may have to wait for its old port.
	for deadline := time.Now().Add(5 * time.Second); ; {
		if ln, err = net.Listen("tcp", addr); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	kl := &killListener{Listener: ln}
	cfg := ServerConfig{Name: ln.Addr().String(), Open: NewStoreOpener(store, nil, 0), Logger: quietLogger}
	if mod != nil {
		mod(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &executorProc{addr: ln.Addr().String(), ln: kl, cancel: cancel, done: make(chan error, 1)}
	go func() { p.done <- NewServer(cfg).Serve(ctx, kl) }()
	t.Cleanup(func() { p.stop(t) })
	return p
}

// stop cancels Serve's context and waits for it to return.
func (p *executorProc) stop(t testing.TB) {
	t.Helper()
	p.once.Do(func() {
		p.cancel()
		select {
		case err := <-p.done:
			if err != nil && !p.killed {
				t.Errorf("executor %s: Serve: %v", p.addr, err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("executor %s: Serve did not return 10 s after its context ended", p.addr)
		}
	})
}

// kill severs every connection of the executor at once, as a crashed
// process would, then stops it.
func (p *executorProc) kill(t testing.TB) {
	t.Helper()
	p.killed = true
	p.ln.killAll()
	p.stop(t)
}

// killListener is a listener whose accepted connections can be closed at
// once: Serve stops gracefully, letting streams finish, so a crash
// mid-stream cannot be caused through it.
type killListener struct {
	net.Listener
	mu     sync.Mutex
	conns  []net.Conn
	killed bool
}

func (l *killListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.killed {
		c.Close()
		return nil, net.ErrClosed
	}
	l.conns = append(l.conns, c)
	return c, nil
}

func (l *killListener) killAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.killed = true
	l.Listener.Close()
	for _, c := range l.conns {
		c.Close()
	}
}

// startExecutors starts n executors over store.
func startExecutors(t testing.TB, store objstore.Store, n int) ([]*executorProc, []string) {
	t.Helper()
	var procs []*executorProc
	var addrs []string
	for range n {
		p := startExecutor(t, store, "", nil)
		procs = append(procs, p)
		addrs = append(addrs, p.addr)
	}
	return procs, addrs
}

// newCluster builds and starts a Cluster over addrs; opts.Executors is
// set from addrs, Probe defaults to 50 ms and StreamTimeout to 5 s.
func newCluster(t testing.TB, addrs []string, opts Options) *Cluster {
	t.Helper()
	if opts.Executors == "" {
		opts.Executors = strings.Join(addrs, ",")
	}
	if opts.Probe == 0 {
		opts.Probe = 50 * time.Millisecond
	}
	if opts.StreamTimeout == 0 {
		opts.StreamTimeout = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = quietLogger
	}
	cl, err := NewCluster(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	cl.Start(context.Background())
	t.Cleanup(cl.Close)
	return cl
}

// checkedMem returns a checked allocator that must be back at zero when
// the test's cleanups ran (register it before the Cluster).
func checkedMem(t testing.TB) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// call resolves name over args, casting them as the planner does.
func call(t testing.TB, name string, args ...expr.Expr) expr.Expr {
	t.Helper()
	types := make([]pgtype.Type, len(args))
	for i, a := range args {
		types[i] = a.Type()
	}
	f, err := expr.Resolve(name, types)
	if err != nil {
		t.Fatalf("Resolve(%s %v): %v", name, types, err)
	}
	for i, a := range args {
		if a.Type().OID != f.Args[i].OID {
			args[i] = &expr.Cast{Arg: a, To: f.Args[i]}
		}
	}
	return &expr.Call{Func: f, Args: args}
}

// aggCall resolves an aggregate over args.
func aggCall(t testing.TB, name string, args ...expr.Expr) expr.AggCall {
	t.Helper()
	types := make([]pgtype.Type, len(args))
	for i, a := range args {
		types[i] = a.Type()
	}
	a, err := expr.ResolveAggregate(name, types)
	if err != nil {
		t.Fatalf("ResolveAggregate(%s): %v", name, err)
	}
	return expr.AggCall{Agg: a, Args: args}
}

func int8Const(v int64) *expr.Const {
	return &expr.Const{Value: scalar.NewInt64Scalar(v), T: pgtype.Int8}
}

// fragSpec describes a fragment over the test table in bound
// expressions; build encodes it.
type fragSpec struct {
	filter   expr.Expr
	project  []expr.Expr
	names    []string
	groupBy  []expr.Expr
	aggs     []expr.AggCall
	aggNames []string
	topk     []topKey
	limit    int64
	pieces   []spec.Piece
}

// topKey is a pushed-down sort key.
type topKey struct {
	x    expr.Expr
	desc bool
}

func (tt *testTable) build(t testing.TB, fs fragSpec) *spec.Fragment {
	t.Helper()
	enc := spec.NewEncoder()
	must := func(x *spec.Expr, err error) *spec.Expr {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	f := &spec.Fragment{Table: tt.ref, Pieces: fs.pieces, Columns: []string{"id", "g", "x"}}
	if f.Pieces == nil {
		f.Pieces = tt.pieces()
	}
	if fs.filter != nil {
		f.Filter = must(enc.Expr(fs.filter))
	}
	for _, p := range fs.project {
		f.Project = append(f.Project, must(enc.Expr(p)))
	}
	f.Names = fs.names
	if fs.aggs != nil {
		f.Agg = &spec.PartialAgg{Names: fs.aggNames}
		for _, g := range fs.groupBy {
			f.Agg.GroupBy = append(f.Agg.GroupBy, must(enc.Expr(g)))
		}
		for _, c := range fs.aggs {
			a, err := enc.AggCall(c)
			if err != nil {
				t.Fatal(err)
			}
			f.Agg.Aggs = append(f.Agg.Aggs, a)
		}
	}
	if fs.topk != nil {
		f.TopK = &spec.TopK{Limit: fs.limit}
		for _, k := range fs.topk {
			f.TopK.Keys = append(f.TopK.Keys, spec.SortKey{Expr: must(enc.Expr(k.x)), Desc: k.desc})
		}
	}
	consts, err := enc.Consts(memory.NewGoAllocator())
	if err != nil {
		t.Fatal(err)
	}
	f.Consts = consts
	if f.Env, err = spec.EncodeEnv(&expr.Env{Mem: memory.NewGoAllocator()}, nil); err != nil {
		t.Fatal(err)
	}
	return f
}

// operator is executor.Operator.
type operator interface {
	Schema() *arrow.Schema
	Next(ctx context.Context) (arrow.Record, error)
	Close()
}

// drainInts reads op to the end and returns its int64 columns (int32
// widened).
func drainInts(t testing.TB, op operator) ([][]int64, error) {
	t.Helper()
	cols := make([][]int64, op.Schema().NumFields())
	for {
		rec, err := op.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return cols, nil
		}
		if err != nil {
			return cols, err
		}
		if rec.NumRows() == 0 {
			t.Errorf("empty batch")
		}
		appendInts(t, cols, rec)
		rec.Release()
	}
}

func appendInts(t testing.TB, cols [][]int64, rec arrow.Record) {
	t.Helper()
	for c := range cols {
		switch a := rec.Column(c).(type) {
		case *array.Int64:
			cols[c] = append(cols[c], a.Int64Values()...)
		case *array.Int32:
			for _, v := range a.Int32Values() {
				cols[c] = append(cols[c], int64(v))
			}
		default:
			t.Fatalf("column %d is %T", c, a)
		}
	}
}

// waitFor polls cond every 10 ms until it holds or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(timeout)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out after %v waiting until %s", timeout, what)
		}
	}
}

// memberAlive reports whether addr is a live member of cl.
func memberAlive(cl *Cluster, addr string) (alive, known bool) {
	for _, m := range cl.Members() {
		if m.Addr == addr {
			return m.Alive, true
		}
	}
	return false, false
}

// hangStore wraps a store; once hang is set, every read of a data file
// blocks until release is closed, ignoring its context, as a hung disk
// does.
type hangStore struct {
	objstore.Store
	hang    atomic.Bool
	release chan struct{}
	blocked atomic.Int64
}

func newHangStore(s objstore.Store) *hangStore {
	return &hangStore{Store: s, release: make(chan struct{})}
}

func (h *hangStore) GetRange(ctx context.Context, key string, off, length int64) ([]byte, error) {
	if h.hang.Load() && strings.Contains(key, "/data/") {
		h.blocked.Add(1)
		<-h.release
	}
	return h.Store.GetRange(ctx, key, off, length)
}

// tasksRunning counts the goroutines running or draining a fragment's
// stream on the query node.
func tasksRunning() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), "remote.(*Cluster).runTask(") + strings.Count(string(buf[:n]), "remote.abandon.func")
		}
		buf = make([]byte, 2*len(buf))
	}
}
