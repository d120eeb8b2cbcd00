package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/jackc/pgx/v5"

	"github.com/lancegate/lancegate/internal/benchdata"
	"github.com/lancegate/lancegate/storage/index/distance"
	"github.com/lancegate/lancegate/storage/index/hnsw"
	"github.com/lancegate/lancegate/storage/index/ivfpq"
	"github.com/lancegate/lancegate/storage/index/lanceindex"
	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/objstore"
)

const (
	tableName = "bench"
	vecColumn = "embedding"
	indexName = "bench_embedding_idx"
)

// benchSchema is bench(id bigint, embedding vector(dim)) as lancegate
// stores it (executor/pgtype: bigint is int64, vector(n) is
// fixed_size_list<float32, n>).
func benchSchema(dim int) *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: vecColumn, Type: arrow.FixedSizeListOf(int32(dim), arrow.PrimitiveTypes.Float32), Nullable: true},
	}, nil)
}

// vecReader streams the set's rows as 64k-row records, built lazily so
// the Arrow copy of the vectors never exists whole.
type vecReader struct {
	schema *arrow.Schema
	base   []float32
	dim    int
	next   int
	cur    arrow.Record
	refs   int64
}

const writeBatchRows = 1 << 16

func (r *vecReader) Retain()               { atomic.AddInt64(&r.refs, 1) }
func (r *vecReader) Release()              { r.release() }
func (r *vecReader) Schema() *arrow.Schema { return r.schema }
func (r *vecReader) Record() arrow.Record  { return r.cur }
func (r *vecReader) Err() error            { return nil }

func (r *vecReader) release() {
	if atomic.AddInt64(&r.refs, -1) == 0 && r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
}

func (r *vecReader) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	n := len(r.base) / r.dim
	if r.next >= n {
		return false
	}
	lo, hi := r.next, min(n, r.next+writeBatchRows)
	r.next = hi
	bld := array.NewRecordBuilder(memory.NewGoAllocator(), r.schema)
	defer bld.Release()
	ib := bld.Field(0).(*array.Int64Builder)
	lb := bld.Field(1).(*array.FixedSizeListBuilder)
	vb := lb.ValueBuilder().(*array.Float32Builder)
	ib.Reserve(hi - lo)
	for i := lo; i < hi; i++ {
		ib.UnsafeAppend(int64(i))
	}
	valid := make([]bool, hi-lo)
	for i := range valid {
		valid[i] = true
	}
	lb.AppendValues(valid)
	vb.AppendValues(r.base[lo*r.dim:hi*r.dim], nil)
	r.cur = bld.NewRecord()
	return true
}

// writeLancegateTable (re)creates <root>/bench.lance from the set with the
// Go Lance writer.
func writeLancegateTable(ctx context.Context, root string, set *benchdata.Set) (*lance.Dataset, time.Duration, error) {
	if err := os.RemoveAll(filepath.Join(root, tableName+".lance")); err != nil {
		return nil, 0, err
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, 0, err
	}
	store, err := objstore.NewLocal(root)
	if err != nil {
		return nil, 0, err
	}
	dim := set.Params.Dim
	rr := &vecReader{schema: benchSchema(dim), base: set.Base, dim: dim, refs: 1}
	defer rr.Release()
	t0 := time.Now()
	ds, err := lance.Create(ctx, store, tableName+".lance", rr.schema, rr, lance.WriteOptions{})
	return ds, time.Since(t0), err
}

// rowAddresses returns the row address of every row of ds in write order
// (fragment id << 32 | offset): the row ids the index must hold.
func rowAddresses(ds *lance.Dataset) []uint64 {
	var out []uint64
	for _, f := range ds.Fragments() {
		for off := range f.PhysicalRows {
			out = append(out, f.ID<<32|off)
		}
	}
	return out
}

// buildIndexAPI trains lancegate's IVF_PQ over the set's vectors and
// commits it to the dataset in Lance's layout (as agent.IVFPQIndexer does).
func buildIndexAPI(ctx context.Context, ds *lance.Dataset, set *benchdata.Set, c *config) (train, write time.Duration, err error) {
	addrs := rowAddresses(ds)
	if len(addrs) != set.Params.N {
		return 0, 0, fmt.Errorf("dataset has %d rows, the set %d", len(addrs), set.Params.N)
	}
	t0 := time.Now()
	if c.indexType == "ivf_hnsw_sq" {
		hx, err := hnsw.Build(ctx, set.Base, addrs, set.Params.Dim, hnsw.BuildOptions{
			Metric: set.Metric, NumPartitions: c.partitions, M: c.m, EfConstruction: c.efc, SingleRange: true,
		})
		if err != nil {
			return 0, 0, err
		}
		train = time.Since(t0)
		t0 = time.Now()
		if _, err := lanceindex.WriteHNSWSQ(ctx, ds, vecColumn, hx, indexName); err != nil {
			return train, 0, err
		}
		return train, time.Since(t0), nil
	}
	ix, err := ivfpq.Build(ctx, set.Base, addrs, set.Params.Dim, ivfpq.BuildOptions{
		Metric: set.Metric, NumPartitions: c.partitions, NumSubVectors: c.subVectors,
	})
	if err != nil {
		return 0, 0, err
	}
	train = time.Since(t0)
	t0 = time.Now()
	if _, err := lanceindex.WriteIVFPQ(ctx, ds, vecColumn, ix, indexName); err != nil {
		return train, 0, err
	}
	return train, time.Since(t0), nil
}

// opclass and operator of each metric (pgvector's names).
func sqlOperator(m distance.Metric) (op, opclass string) {
	switch m {
	case distance.Cosine:
		return "<=>", "vector_cosine_ops"
	case distance.Dot:
		return "<#>", "vector_ip_ops"
	}
	return "<->", "vector_l2_ops"
}

// buildIndexSQL sends CREATE INDEX … WITH (wait = true) over the wire:
// the statement returns once the agent has committed the index (or its
// build failed), within timeout (statement_timeout).
func buildIndexSQL(ctx context.Context, dsn string, m distance.Metric, c *config) (time.Duration, error) {
	timeout := c.timeout
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, fmt.Sprintf("SET statement_timeout = '%dms'", timeout.Milliseconds())); err != nil {
		return 0, err
	}
	_, opclass := sqlOperator(m)
	stmt := fmt.Sprintf("CREATE INDEX %s ON %s USING ivf_pq (%s %s) WITH (num_partitions = %d, num_sub_vectors = %d, wait = true)",
		indexName, tableName, vecColumn, opclass, c.partitions, c.subVectors)
	if c.indexType == "ivf_hnsw_sq" {
		stmt = fmt.Sprintf("CREATE INDEX %s ON %s USING ivf_hnsw_sq (%s %s) WITH (num_partitions = %d, m = %d, ef_construction = %d, wait = true)",
			indexName, tableName, vecColumn, opclass, c.partitions, c.m, c.efc)
	}
	t0 := time.Now()
	if _, err := conn.Exec(ctx, stmt); err != nil {
		return 0, fmt.Errorf("%s: %w", stmt, err)
	}
	return time.Since(t0), nil
}

// server is a `lancegate serve` subprocess.
type server struct {
	cmd  *exec.Cmd
	dsn  string
	done chan error
	log  *os.File
}

// buildLancegate compiles ./cmd/lancegate of the module this harness
// belongs to into dir and returns the binary.
func buildLancegate(ctx context.Context, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	mod := strings.TrimSpace(string(out))
	if err != nil || mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("cannot find the lancegate module (run from its checkout, or pass -lancegate-bin): %v", err)
	}
	bin := filepath.Join(dir, "lancegate")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/lancegate")
	cmd.Dir = filepath.Dir(mod)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/lancegate: %w", err)
	}
	return bin, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startServer runs `lancegate serve --role query` (extra flags after) over root on a free
// port and waits until it accepts connections.
func startServer(ctx context.Context, bin, root, logPath, cpus string, extra []string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	args := append([]string{"serve", "--storage", root, "--listen", addr, "--role", "query", "--log-level", "warn"}, extra...)
	cmd := exec.Command(bin, args...)
	if cpus != "" {
		cmd = exec.Command("taskset", append([]string{"-c", cpus, bin}, args...)...)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	s := &server{cmd: cmd, dsn: fmt.Sprintf("postgres://lancegate@%s/lancegate?sslmode=disable", addr), done: make(chan error, 1), log: logf}
	go func() { s.done <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := pgx.Connect(ctx, s.dsn)
		if err == nil {
			c.Close(ctx)
			return s, nil
		}
		select {
		case werr := <-s.done:
			s.done <- werr
			s.stop()
			return nil, fmt.Errorf("lancegate serve exited (%v); see %s", werr, logPath)
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("lancegate serve not accepting connections on %s after 60s; see %s", addr, logPath)
		}
	}
}

// stop terminates the subprocess (SIGTERM, then SIGKILL after 10 s).
func (s *server) stop() {
	if s == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.log.Close()
}

// vectorText is pgvector's text form of v, with float32 round-trip
// precision.
func vectorText(v []float32) string {
	b := make([]byte, 0, len(v)*12)
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, float64(x), 'g', -1, 32)
	}
	return string(append(b, ']'))
}

// pgRunner runs the query set through C pgx connections.
type pgRunner struct {
	conns []*pgx.Conn
	texts []string
	k     int
	hnsw  bool // the sweep's second value is ef, not refine_factor
}

func newPGRunner(ctx context.Context, dsn string, set *benchdata.Set, clients, k int) (*pgRunner, error) {
	op, _ := sqlOperator(set.Metric)
	sql := fmt.Sprintf("SELECT id FROM %s ORDER BY %s %s $1 LIMIT %d", tableName, vecColumn, op, k)
	r := &pgRunner{k: k}
	for range clients {
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			r.close()
			return nil, err
		}
		r.conns = append(r.conns, c)
		if _, err := c.Prepare(ctx, "knn", sql); err != nil {
			r.close()
			return nil, fmt.Errorf("prepare %q: %w", sql, err)
		}
	}
	for q := range set.Params.Queries {
		r.texts = append(r.texts, vectorText(set.Query(q)))
	}
	return r, nil
}

func (r *pgRunner) close() {
	for _, c := range r.conns {
		c.Close(context.Background())
	}
}

// set applies the sweep point's settings on every connection.
func (r *pgRunner) set(ctx context.Context, nprobes, refine int) error {
	second := fmt.Sprintf("SET lancegate.refine_factor = %d", max(1, refine))
	if r.hnsw {
		second = fmt.Sprintf("SET lancegate.ef = %d", refine) // the sweep's ef
	}
	for _, c := range r.conns {
		for _, s := range []string{
			fmt.Sprintf("SET lancegate.nprobes = %d", nprobes),
			second,
		} {
			if _, err := c.Exec(ctx, s); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
	}
	return nil
}

// run sends queries qs (indexes into the set) over all connections, each
// connection taking the next query when it is free. It returns every
// query's ids and latency, and the wall time.
func (r *pgRunner) run(ctx context.Context, qs []int) (ids [][]int64, lat []time.Duration, wall time.Duration, err error) {
	ids = make([][]int64, len(qs))
	lat = make([]time.Duration, len(qs))
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, len(r.conns))
	t0 := time.Now()
	for ci, c := range r.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(qs) || ctx.Err() != nil {
					return
				}
				start := time.Now()
				rows, err := c.Query(ctx, "knn", r.texts[qs[i]])
				if err != nil {
					errs[ci] = err
					return
				}
				got := make([]int64, 0, r.k)
				for rows.Next() {
					var id int64
					if err := rows.Scan(&id); err != nil {
						rows.Close()
						errs[ci] = err
						return
					}
					got = append(got, id)
				}
				if err := rows.Err(); err != nil {
					errs[ci] = err
					return
				}
				lat[i] = time.Since(start)
				ids[i] = got
			}
		}()
	}
	wg.Wait()
	wall = time.Since(t0)
	if err := errors.Join(errs...); err != nil {
		return nil, nil, 0, err
	}
	return ids, lat, wall, ctx.Err()
}
