package sqltests

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lancegate/lancegate/sqltests/slt"
)

// TestLogicDistributed runs every logic/*.slt file against a query node
// with three plan executors, separate processes over Azurite, over the
// simple and the extended query protocol.
func TestLogicDistributed(t *testing.T) {
	files, err := filepath.Glob("logic/*.slt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no logic test files: %v", err)
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".slt"), func(t *testing.T) {
			t.Parallel()
			f, err := slt.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, mode := range []slt.Mode{slt.Simple, slt.Extended} {
				t.Run(mode.String(), func(t *testing.T) {
					c := startCluster(t, storageArgs(t, true), 3)
					slt.RunShape(context.Background(), t, c.connect(t), mode, f, slt.Distributed, false)
				})
			}
		})
	}
}

// failoverTable creates t with 12 fragments of 1,000 rows (id 0…11999,
// g = id % 7, x = id * 3), so that every executor owns some.
func failoverTable(t *testing.T, conn *pgx.Conn) {
	t.Helper()
	ctx := context.Background()
	if _, err := conn.Exec(ctx, "CREATE TABLE t (id bigint, g int, x bigint)"); err != nil {
		t.Fatal(err)
	}
	for f := 0; f < 12; f++ {
		if _, err := conn.Exec(ctx, "INSERT INTO t SELECT i, (i % 7)::int, i * 3 FROM generate_series($1::bigint, $2::bigint) AS s(i)", f*1000, f*1000+999); err != nil {
			t.Fatal(err)
		}
	}
}

// checkQueries runs the failover workload once: a streaming scan, a
// partial aggregate and a top-k, each checked against the known answer.
func checkQueries(ctx context.Context, conn *pgx.Conn) error {
	var n, sum int64
	if err := conn.QueryRow(ctx, "SELECT count(*), sum(x) FROM t WHERE g <> 3").Scan(&n, &sum); err != nil {
		return err
	}
	var wantN, wantSum int64
	for i := int64(0); i < 12000; i++ {
		if i%7 != 3 {
			wantN++
			wantSum += i * 3
		}
	}
	if n != wantN || sum != wantSum {
		return fmt.Errorf("WRONG RESULT: count %d sum %d, want %d %d", n, sum, wantN, wantSum)
	}
	rows, err := conn.Query(ctx, "SELECT id FROM t WHERE id % 1000 = 17")
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	if len(ids) != 12 {
		return fmt.Errorf("WRONG RESULT: %d rows, want 12", len(ids))
	}
	for i, id := range ids {
		if id != int64(i*1000+17) {
			return fmt.Errorf("WRONG RESULT: row %d is %d, want %d (scan order)", i, id, i*1000+17)
		}
	}
	rows, err = conn.Query(ctx, "SELECT id FROM t ORDER BY x DESC LIMIT 3")
	if err != nil {
		return err
	}
	top, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	if fmt.Sprint(top) != "[11999 11998 11997]" {
		return fmt.Errorf("WRONG RESULT: top-3 %v", top)
	}
	return nil
}

// TestExecutorFailover kills one of three executors while clients run
// queries: every query either returns the right rows or fails with a
// retryable SQLSTATE (57P03), never wrong rows, and the restarted
// executor serves its share again.
func TestExecutorFailover(t *testing.T) {
	c := startCluster(t, storageArgs(t, true), 3)
	ctx := context.Background()
	failoverTable(t, c.connect(t))

	const clients = 4
	var (
		ok, retry atomic.Int64
		wg        sync.WaitGroup
		mu        sync.Mutex
		progress  = sync.NewCond(&mu)
		done      int64 // workloads finished, under mu
		failures  []error
	)
	stop := make(chan struct{})
	for i := 0; i < clients; i++ {
		conn := c.connect(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				err := checkQueries(ctx, conn)
				var pgErr *pgconn.PgError
				switch {
				case err == nil:
					ok.Add(1)
				case errors.As(err, &pgErr) && pgErr.Code == "57P03":
					retry.Add(1)
				default:
					mu.Lock()
					failures = append(failures, err)
					mu.Unlock()
				}
				mu.Lock()
				done++
				progress.Broadcast()
				mu.Unlock()
			}
		}()
	}
	// waitFor waits until n workloads finished and returns the count.
	waitFor := func(n int64) int64 {
		mu.Lock()
		defer mu.Unlock()
		for done < n {
			progress.Wait()
		}
		return done
	}
	waitFor(20)
	victim := c.executors[1]
	victim.kill()
	killedAt := waitFor(0)
	waitFor(killedAt + 40)
	close(stop)
	wg.Wait()
	for _, err := range failures {
		t.Errorf("query failed: %v", err)
	}
	t.Logf("%d workloads ok, %d failed retryably (57P03); executor killed after %d", ok.Load(), retry.Load(), killedAt)
	if ok.Load() < 40 {
		t.Errorf("only %d workloads succeeded", ok.Load())
	}
	if !strings.Contains(c.query.logs(), `msg="executor down" executor=`+victim.addr) {
		t.Errorf("the query node never noticed that %s died:\n%s", victim.addr, c.query.logs())
	}

	// The dead executor is reported down; once restarted it is used again.
	conn := c.connect(t)
	var alive bool
	if err := conn.QueryRow(ctx, "SELECT alive FROM lancegate.executors WHERE address = $1", victim.addr).Scan(&alive); err != nil {
		t.Fatal(err)
	}
	if alive {
		t.Errorf("killed executor %s still reported alive", victim.addr)
	}
	victim.restart()
	// The query node pings its executors every second: poll its view.
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second)
	for !alive {
		select {
		case <-deadline:
			t.Fatalf("restarted executor %s not back after 30 s", victim.addr)
		case <-tick.C:
		}
		if err := conn.QueryRow(ctx, "SELECT alive FROM lancegate.executors WHERE address = $1", victim.addr).Scan(&alive); err != nil {
			t.Fatal(err)
		}
	}
	if err := checkQueries(ctx, conn); err != nil {
		t.Fatal(err)
	}
	plan := explainAnalyze(t, conn, "SELECT count(*) FROM t")
	if !strings.Contains(plan, "Executor "+victim.addr) {
		t.Errorf("restarted executor %s serves no pieces:\n%s", victim.addr, plan)
	}
}

// explainAnalyze returns the EXPLAIN ANALYZE text of a query.
func explainAnalyze(t *testing.T, conn *pgx.Conn, sql string) string {
	t.Helper()
	rows, err := conn.Query(context.Background(), "EXPLAIN ANALYZE "+sql)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// TestDistributedVectorIndex runs vector searches an IVF_PQ index serves
// on three executors: each probes the partitions it owns. With every
// partition probed and a large refine factor the answer equals exact
// search; EXPLAIN ANALYZE shows the executors; a prefiltered search runs
// on the query node and says so.
func TestDistributedVectorIndex(t *testing.T) {
	// --role all: the query node's agent builds the index.
	c := startCluster(t, storageArgs(t, true), 3, "--role", "all")
	ctx := context.Background()
	conn := c.connect(t)
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec("CREATE TABLE v (id bigint, e vector(8))")
	// Pseudo-random components: (i·p_c) mod 1009 / 1009 for primes p_c.
	comp := func(p int) string { return fmt.Sprintf("((i * %d) %% 1009)::text", p) }
	var parts []string
	for _, p := range []int{7919, 104729, 1299709, 15485863, 179424673, 2038074743, 87178291, 452930477} {
		parts = append(parts, comp(p))
	}
	vec := "('[' || " + strings.Join(parts, " || ',' || ") + " || ']')::vector"
	for f := 0; f < 3; f++ {
		exec("INSERT INTO v SELECT i, "+vec+" FROM generate_series($1::bigint, $2::bigint) AS s(i)", f*4000, f*4000+3999)
	}
	queries := []string{"[1,2,3,4,5,6,7,8]", "[900,10,500,20,800,30,700,40]", "[500,500,500,500,500,500,500,500]"}
	topIDs := func(q string) []int64 {
		t.Helper()
		rows, err := conn.Query(ctx, "SELECT id FROM v ORDER BY e <-> $1::vector, id LIMIT 10", q)
		if err != nil {
			t.Fatal(err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	exec("CREATE INDEX vi ON v USING ivf_pq (e vector_l2_ops) WITH (num_partitions = 16, num_sub_vectors = 4, wait = true)")
	// Rows after the build stay unindexed and are searched exactly.
	exec("INSERT INTO v SELECT i, " + vec + " FROM generate_series(12000::bigint, 12999::bigint) AS s(i)")
	exec("SET lancegate.nprobes = 16")
	exec("SET lancegate.refine_factor = 2000")
	plan := explainAnalyze(t, conn, "SELECT id FROM v ORDER BY e <-> '[1,2,3,4,5,6,7,8]' LIMIT 10")
	if !strings.Contains(plan, "Gather: top-k on executors") || !strings.Contains(plan, "using vi (IVF_PQ") || strings.Count(plan, "Executor ") < 2 {
		t.Fatalf("the indexed search did not run on the executors:\n%s", plan)
	}
	// Every partition and 20,000 candidates per executor: exact answers,
	// compared with exact search over a copy without the index.
	exec("CREATE TABLE w (id bigint, e vector(8))")
	exec("INSERT INTO w SELECT id, e FROM v")
	for _, q := range queries {
		got := topIDs(q)
		rows, err := conn.Query(ctx, "SELECT id FROM w ORDER BY e <-> $1::vector, id LIMIT 10", q)
		if err != nil {
			t.Fatal(err)
		}
		want, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("query %s: index on executors gave %v, exact search %v", q, got, want)
		}
	}
	plan = explainAnalyze(t, conn, "SELECT id FROM v WHERE id % 2 = 0 ORDER BY e <-> '[1,2,3,4,5,6,7,8]' LIMIT 10")
	if !strings.Contains(plan, "Not distributed: a prefiltered vector search runs on the query node") {
		t.Errorf("prefiltered search plan:\n%s", plan)
	}
}
