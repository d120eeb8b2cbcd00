package sqltests

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/jackc/pgx/v5"

	"github.com/lancegate/lancegate/internal/benchdata"
	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/objstore"
	"github.com/lancegate/lancegate/storage/objstore/azuritetest"
)

// Distributed execution over Azurite (issue 7): the same queries cold
// (every cache empty) and warm on a query node with three plan executors,
// then "disk-warm" (executors restarted: RAM tier empty, disk tier kept),
// against a single-process server (--role all, no executors) over the
// same container; and the scan-bound query on one executor against three.
//
//	LANCEGATE_AZURITE=…/azurite-blob go test -run '^$' -bench Distributed -benchtime 1x -count 5 -timeout 30m -v ./sqltests/
//
// Also measured, to explain cold time: the cold query on executors with
// 4 MiB cache blocks, and the single process without its query cache.
// Cache figures come from the executors' Prometheus counters
// (lancegate_cache_*), read before and after each phase. ns/op includes
// starting the processes and means nothing; the reported metrics and the
// markdown tables logged at the end (medians over -count runs, with the
// range) are the results.

const (
	benchFactsRows      = 2_000_000
	benchFactsFragments = 20
	benchItemsRows      = 200_000
	benchItemsFragments = 10
	benchDim            = 128
	benchWarmRuns       = 10
)

// benchQuery is one measured statement and a check of its answer.
type benchQuery struct {
	name  string
	sql   string
	args  []any
	check func(rows [][]any) error
}

// cacheCounters are an executor's lancegate_cache_* counters.
type cacheCounters struct {
	ramHits, ramMisses, diskHits, diskMisses float64
	storageBytes, servedBytes                float64
}

func (c cacheCounters) sub(o cacheCounters) cacheCounters {
	return cacheCounters{c.ramHits - o.ramHits, c.ramMisses - o.ramMisses, c.diskHits - o.diskHits, c.diskMisses - o.diskMisses, c.storageBytes - o.storageBytes, c.servedBytes - o.servedBytes}
}

func (c cacheCounters) add(o cacheCounters) cacheCounters {
	return cacheCounters{c.ramHits + o.ramHits, c.ramMisses + o.ramMisses, c.diskHits + o.diskHits, c.diskMisses + o.diskMisses, c.storageBytes + o.storageBytes, c.servedBytes + o.servedBytes}
}

// hitRate is the share of block lookups the cache (RAM or disk) answered.
func (c cacheCounters) hitRate() float64 {
	lookups := c.ramHits + c.ramMisses
	if lookups == 0 {
		return 0
	}
	return (c.ramHits + c.diskHits) / lookups
}

// byteHitRate is the share of bytes served from the cache.
func (c cacheCounters) byteHitRate() float64 {
	if c.storageBytes+c.servedBytes == 0 {
		return 0
	}
	return c.servedBytes / (c.storageBytes + c.servedBytes)
}

func (c cacheCounters) String() string {
	return fmt.Sprintf("ram %0.f/%0.f hits, disk %0.f/%0.f hits, storage %s, cache %s",
		c.ramHits, c.ramHits+c.ramMisses, c.diskHits, c.diskHits+c.diskMisses, mib(c.storageBytes), mib(c.servedBytes))
}

func mib(b float64) string { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }

// benchExecutor is an executor process and its metrics address.
type benchExecutor struct {
	p       *proc
	metrics string
}

// freePort returns a loopback address nothing listens on (executors do
// not log their --metrics-listen address, so the benchmark picks it).
func freePort(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func (e *benchExecutor) counters(tb testing.TB) cacheCounters {
	tb.Helper()
	resp, err := http.Get("http://" + e.metrics + "/metrics")
	if err != nil {
		tb.Fatalf("metrics of %s: %v", e.p.addr, err)
	}
	defer resp.Body.Close()
	var c cacheCounters
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			continue
		}
		switch name {
		case "lancegate_cache_ram_hits_total":
			c.ramHits = v
		case "lancegate_cache_ram_misses_total":
			c.ramMisses = v
		case "lancegate_cache_disk_hits_total":
			c.diskHits = v
		case "lancegate_cache_disk_misses_total":
			c.diskMisses = v
		case "lancegate_cache_storage_read_bytes_total":
			c.storageBytes = v
		case "lancegate_cache_served_bytes_total":
			c.servedBytes = v
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return c
}

// benchCluster is a query node with n executors of 2 GiB RAM cache and a
// fresh disk cache each.
type benchCluster struct {
	*cluster
	execs []*benchExecutor
	conn  *pgx.Conn
}

func startBenchCluster(tb testing.TB, storage []string, n int, execFlags ...string) *benchCluster {
	tb.Helper()
	bc := &benchCluster{cluster: &cluster{}}
	var addrs []string
	for i := 0; i < n; i++ {
		e := &benchExecutor{metrics: freePort(tb)}
		args := append([]string{"serve", "--role", "executor", "--executor-listen", "127.0.0.1:0",
			"--cache-ram", "2GiB", "--cache-dir", tb.TempDir(), "--cache-disk", "10GiB",
			"--metrics-listen", e.metrics}, storage...)
		args = append(args, execFlags...)
		e.p = startProc(tb, args...)
		bc.execs = append(bc.execs, e)
		bc.executors = append(bc.executors, e.p)
		addrs = append(addrs, e.p.addr)
	}
	args := append([]string{"serve", "--role", "query", "--listen", "127.0.0.1:0", "--executors", strings.Join(addrs, ","), "--executor-timeout", "30s", "--executor-fallback", "error"}, storage...)
	bc.query = startProc(tb, args...)
	bc.conn = bc.connect(tb)
	bc.waitAlive(tb, true)
	return bc
}

// startBaseline starts a single-process server (query node and agent,
// no executors; compaction off so the fragments stay as written).
func startBaseline(tb testing.TB, storage []string, extra ...string) *benchCluster {
	tb.Helper()
	args := append([]string{"serve", "--role", "all", "--listen", "127.0.0.1:0", "--policy", "compaction.enabled=false"}, storage...)
	args = append(args, extra...)
	bc := &benchCluster{cluster: &cluster{query: startProc(tb, args...)}}
	bc.conn = bc.connect(tb)
	return bc
}

func (bc *benchCluster) counters(tb testing.TB) cacheCounters {
	var c cacheCounters
	for _, e := range bc.execs {
		c = c.add(e.counters(tb))
	}
	return c
}

// waitAlive polls lancegate.executors until every executor is alive (or
// every one down).
func (bc *benchCluster) waitAlive(tb testing.TB, alive bool) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		if err := bc.conn.QueryRow(context.Background(), "SELECT count(*) FROM lancegate.executors WHERE alive = $1", alive).Scan(&n); err != nil {
			tb.Fatal(err)
		}
		if n == len(bc.execs) {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("after 30 s, %d of %d executors alive=%v", n, len(bc.execs), alive)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// restartExecutors kills every executor and starts it again on its
// address, flags and --cache-dir: RAM tier empty, disk tier warm.
func (bc *benchCluster) restartExecutors(tb testing.TB) {
	tb.Helper()
	for _, e := range bc.execs {
		e.p.kill()
	}
	bc.waitAlive(tb, false)
	for _, e := range bc.execs {
		e.p.restart()
	}
	bc.waitAlive(tb, true)
}

// run executes q once, checks its answer and returns the client-side time.
func (bc *benchCluster) run(tb testing.TB, q benchQuery) time.Duration {
	tb.Helper()
	start := time.Now()
	rows, err := bc.conn.Query(context.Background(), q.sql, q.args...)
	if err != nil {
		bc.fail(tb, q, start, err)
	}
	var got [][]any
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			tb.Fatalf("%s: %v", q.name, err)
		}
		got = append(got, vals)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		bc.fail(tb, q, start, err)
	}
	d := time.Since(start)
	if err := q.check(got); err != nil {
		tb.Fatalf("%s: WRONG RESULT: %v", q.name, err)
	}
	return d
}

// explainArgs returns the EXPLAIN ANALYZE text of q (with its
// parameters), or the error.
func explainArgs(conn *pgx.Conn, q benchQuery) string {
	rows, err := conn.Query(context.Background(), "EXPLAIN ANALYZE "+q.sql, q.args...)
	if err != nil {
		return "EXPLAIN ANALYZE failed: " + err.Error()
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "EXPLAIN ANALYZE failed: " + err.Error()
	}
	return strings.Join(lines, "\n")
}

// fail ends the benchmark on a failed statement, with every process's log.
func (bc *benchCluster) fail(tb testing.TB, q benchQuery, start time.Time, err error) {
	tb.Helper()
	tb.Logf("query node log:\n%s", bc.query.logs())
	for _, e := range bc.execs {
		tb.Logf("executor %s log:\n%s", e.p.addr, e.p.logs())
	}
	tb.Fatalf("%s: after %s: %v", q.name, time.Since(start).Round(time.Millisecond), err)
}

// logWarnings logs the processes' warnings and errors (retries, slow or
// failed streams), which explain outliers.
func (bc *benchCluster) logWarnings(tb testing.TB) {
	tb.Helper()
	procs := append([]*proc{bc.query}, bc.executors...)
	for _, p := range procs {
		n := 0
		for _, line := range strings.Split(p.logs(), "\n") {
			if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
				if n++; n <= 10 {
					tb.Logf("%s: %s", p.addr, line)
				}
			}
		}
		if n > 10 {
			tb.Logf("%s: … %d warnings in all", p.addr, n)
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// nearestRank returns the p-th percentile (nearest rank) of ds.
func nearestRank(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(0, min(len(s)-1, i-1))]
}

// writeBenchData writes facts and items into the container under db/ and
// returns the queries with their expected answers.
func writeBenchData(tb testing.TB, store objstore.Store) []benchQuery {
	tb.Helper()
	ctx := context.Background()
	start := time.Now()

	// facts: id int8, g int4 = id % 100, x float8 uniform in [0, 1).
	rng := rand.New(rand.NewPCG(7, 7))
	factsSchema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "g", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	var recs []arrow.Record
	var scanCount int64
	groupCount := make([]int64, 100)
	const batch = 100_000
	for lo := 0; lo < benchFactsRows; lo += batch {
		bld := array.NewRecordBuilder(memory.DefaultAllocator, factsSchema)
		for i := lo; i < lo+batch; i++ {
			x := rng.Float64()
			bld.Field(0).(*array.Int64Builder).Append(int64(i))
			bld.Field(1).(*array.Int32Builder).Append(int32(i % 100))
			bld.Field(2).(*array.Float64Builder).Append(x)
			if x*2 > 1.5 {
				scanCount++
			}
			groupCount[i%100]++
		}
		recs = append(recs, bld.NewRecord())
		bld.Release()
	}
	rr, err := array.NewRecordReader(factsSchema, recs)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := lance.Create(ctx, store, "facts.lance", factsSchema, rr, lance.WriteOptions{MaxRowsPerFile: benchFactsRows / benchFactsFragments}); err != nil {
		tb.Fatal(err)
	}
	rr.Release()
	for _, r := range recs {
		r.Release()
	}
	tb.Logf("facts: %d rows in %d fragments written to Azurite in %s", benchFactsRows, benchFactsFragments, time.Since(start).Round(time.Millisecond))

	// items: id int8, v 128-d float32 from the hard benchmark set.
	start = time.Now()
	p := benchdata.Default(benchItemsRows, benchDim, 5, 1)
	base, queries, err := benchdata.Generate(p)
	if err != nil {
		tb.Fatal(err)
	}
	itemsSchema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "v", Type: arrow.FixedSizeListOf(benchDim, arrow.PrimitiveTypes.Float32)},
	}, nil)
	recs = recs[:0]
	const ibatch = 20_000
	for lo := 0; lo < benchItemsRows; lo += ibatch {
		bld := array.NewRecordBuilder(memory.DefaultAllocator, itemsSchema)
		for i := lo; i < lo+ibatch; i++ {
			bld.Field(0).(*array.Int64Builder).Append(int64(i))
			lb := bld.Field(1).(*array.FixedSizeListBuilder)
			lb.Append(true)
			lb.ValueBuilder().(*array.Float32Builder).AppendValues(base[i*benchDim:(i+1)*benchDim], nil)
		}
		recs = append(recs, bld.NewRecord())
		bld.Release()
	}
	rr, err = array.NewRecordReader(itemsSchema, recs)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := lance.Create(ctx, store, "items.lance", itemsSchema, rr, lance.WriteOptions{MaxRowsPerFile: benchItemsRows / benchItemsFragments}); err != nil {
		tb.Fatal(err)
	}
	rr.Release()
	for _, r := range recs {
		r.Release()
	}
	tb.Logf("items: %d × %d float32 in %d fragments generated and written to Azurite in %s", benchItemsRows, benchDim, benchItemsFragments, time.Since(start).Round(time.Millisecond))

	// Exact top-10 of the first held-out query, computed here.
	q := queries[:benchDim]
	type cand struct {
		id int64
		d  float32
	}
	var best []cand
	for i := 0; i < benchItemsRows; i++ {
		var d float32
		for j, x := range base[i*benchDim : (i+1)*benchDim] {
			diff := x - q[j]
			d += diff * diff
		}
		if len(best) < 10 || d < best[len(best)-1].d {
			best = append(best, cand{int64(i), d})
			slices.SortFunc(best, func(a, b cand) int {
				if a.d != b.d {
					if a.d < b.d {
						return -1
					}
					return 1
				}
				return int(a.id - b.id)
			})
			if len(best) > 10 {
				best = best[:10]
			}
		}
	}
	wantTop := make([]int64, len(best))
	for i, c := range best {
		wantTop[i] = c.id
	}

	return []benchQuery{
		{
			name: "aggregation",
			sql:  "SELECT g, count(*), sum(x), avg(x) FROM facts GROUP BY g",
			check: func(rows [][]any) error {
				if len(rows) != 100 {
					return fmt.Errorf("%d groups, want 100", len(rows))
				}
				for _, r := range rows {
					g, n := fmt.Sprint(r[0]), fmt.Sprint(r[1])
					gi, _ := strconv.Atoi(g)
					if gi < 0 || gi >= 100 || n != fmt.Sprint(groupCount[gi]) {
						return fmt.Errorf("group %s count %s", g, n)
					}
				}
				return nil
			},
		},
		{
			name: "scan-filter-count",
			sql:  "SELECT count(*) FROM facts WHERE x * 2 > 1.5",
			check: func(rows [][]any) error {
				if len(rows) != 1 || fmt.Sprint(rows[0][0]) != fmt.Sprint(scanCount) {
					return fmt.Errorf("got %v, want %d", rows, scanCount)
				}
				return nil
			},
		},
		{
			name: "vector-top10",
			sql:  "SELECT id FROM items ORDER BY v <-> $1 LIMIT 10",
			args: []any{vecLiteral(q)},
			check: func(rows [][]any) error {
				got := make([]int64, len(rows))
				for i, r := range rows {
					got[i], _ = r[0].(int64)
				}
				if !slices.Equal(got, wantTop) {
					return fmt.Errorf("top-10 %v, want %v", got, wantTop)
				}
				return nil
			},
		},
	}
}

// cacheResult is one query's cold/warm figures.
type cacheResult struct {
	name                       string
	cold, warmP50, warmP99     time.Duration
	diskWarm                   time.Duration
	coldC, warmC, diskC        cacheCounters
	baseCold, baseP50, baseP99 time.Duration
	explain                    string
	// single process without its RAM cache (--query-cache 0): reads
	// go straight to the store in the reader's own ranges.
	rawCold, rawP50 time.Duration
	// three executors with 4 MiB cache blocks: cold only.
	bigCold  time.Duration
	bigColdC cacheCounters
	// hist holds every run's figures (ms or ratios), for -count > 1.
	hist map[string][]float64
}

func (r *cacheResult) rec(kv ...any) {
	if r.hist == nil {
		r.hist = map[string][]float64{}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		r.hist[kv[i].(string)] = append(r.hist[kv[i].(string)], kv[i+1].(float64))
	}
}

// median returns the median of the key's runs.
func (r *cacheResult) median(k string) float64 {
	s := slices.Clone(r.hist[k])
	if len(s) == 0 {
		return 0
	}
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// fig renders the key's median, with the range of the runs when there
// are several: "226.1 (201.1–227.1)".
func (r *cacheResult) fig(k, format string) string {
	s := r.hist[k]
	out := fmt.Sprintf(format, r.median(k))
	if len(s) > 1 {
		out += fmt.Sprintf(" ("+format+"–"+format+")", slices.Min(s), slices.Max(s))
	}
	return out
}

func BenchmarkDistributed(b *testing.B) {
	az := azuritetest.Shared(b)
	name := azuritetest.NewContainerName()
	if err := az.CreateContainer(context.Background(), name); err != nil {
		b.Fatal(err)
	}
	cfg := az.Config(name)
	cfg.Prefix = "db"
	store, err := objstore.NewAzure(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	storage := []string{
		"--storage", "az://" + name + "/db",
		"--storage-option", "account_name=" + objstore.EmulatorAccount,
		"--storage-option", "account_key=" + objstore.EmulatorKey,
		"--storage-option", "endpoint=" + az.Endpoint(),
		"--storage-option", "allow_http=true",
	}
	queries := writeBenchData(b, store)
	lancegateBinary(b)

	var results []*cacheResult
	for _, q := range queries {
		r := &cacheResult{name: q.name}
		results = append(results, r)
		b.Run("cache/"+q.name, func(b *testing.B) {
			for b.Loop() {
				measureCache(b, storage, q, r)
			}
			r.rec("cold", ms(r.cold), "p50", ms(r.warmP50), "p99", ms(r.warmP99), "ratio", float64(r.warmP50)/float64(r.cold), "disk", ms(r.diskWarm))
			b.ReportMetric(ms(r.cold), "cold-ms")
			b.ReportMetric(ms(r.warmP50), "warm-p50-ms")
			b.ReportMetric(ms(r.warmP99), "warm-p99-ms")
			b.ReportMetric(float64(r.warmP50)/float64(r.cold), "warm/cold")
			b.ReportMetric(ms(r.diskWarm), "disk-warm-ms")
			b.ReportMetric(r.warmC.hitRate(), "warm-hit-rate")
			b.ReportMetric(r.diskC.hitRate(), "disk-warm-hit-rate")
			b.ReportMetric(r.coldC.storageBytes/(1<<20), "cold-storage-MiB")
		})
		b.Run("baseline/"+q.name, func(b *testing.B) {
			for b.Loop() {
				srv := startBaseline(b, storage)
				r.baseCold = srv.run(b, q)
				var warm []time.Duration
				for range benchWarmRuns {
					warm = append(warm, srv.run(b, q))
				}
				r.baseP50, r.baseP99 = nearestRank(warm, 50), nearestRank(warm, 99)
				srv.query.kill()
			}
			r.rec("bcold", ms(r.baseCold), "bp50", ms(r.baseP50), "bp99", ms(r.baseP99), "bratio", float64(r.baseP50)/float64(r.baseCold))
			b.ReportMetric(ms(r.baseCold), "cold-ms")
			b.ReportMetric(ms(r.baseP50), "warm-p50-ms")
			b.ReportMetric(ms(r.baseP99), "warm-p99-ms")
			b.ReportMetric(float64(r.baseP50)/float64(r.baseCold), "warm/cold")
		})
		b.Run("baseline-no-query-cache/"+q.name, func(b *testing.B) {
			for b.Loop() {
				srv := startBaseline(b, storage, "--query-cache", "0")
				r.rawCold = srv.run(b, q)
				var warm []time.Duration
				for range benchWarmRuns {
					warm = append(warm, srv.run(b, q))
				}
				r.rawP50 = nearestRank(warm, 50)
				srv.query.kill()
			}
			r.rec("rcold", ms(r.rawCold), "rp50", ms(r.rawP50))
			b.ReportMetric(ms(r.rawCold), "cold-ms")
			b.ReportMetric(ms(r.rawP50), "warm-p50-ms")
		})
		b.Run("cache-block-4MiB/"+q.name, func(b *testing.B) {
			for b.Loop() {
				c := startBenchCluster(b, storage, 3, "--cache-block", "4MiB")
				before := c.counters(b)
				r.bigCold = c.run(b, q)
				r.bigColdC = c.counters(b).sub(before)
				c.query.kill()
				for _, e := range c.execs {
					e.p.kill()
				}
			}
			r.rec("gcold", ms(r.bigCold))
			b.ReportMetric(ms(r.bigCold), "cold-ms")
			b.ReportMetric(r.bigColdC.storageBytes/(1<<20), "cold-storage-MiB")
		})
	}

	// One query node, 1 vs 3 executors, scan-bound query, both warm; the
	// runs alternate between the clusters so drift hits both alike.
	scan := queries[1]
	var p50s [2]time.Duration
	var p99s [2]time.Duration
	ex := &cacheResult{}
	b.Run("executors/scan-filter-count", func(b *testing.B) {
		for b.Loop() {
			cs := []*benchCluster{startBenchCluster(b, storage, 1), startBenchCluster(b, storage, 3)}
			var lat [2][]time.Duration
			for _, c := range cs {
				for range 3 {
					c.run(b, scan) // warm up
				}
			}
			for range 2 * benchWarmRuns {
				for i, c := range cs {
					lat[i] = append(lat[i], c.run(b, scan))
				}
			}
			for i, c := range cs {
				p50s[i], p99s[i] = nearestRank(lat[i], 50), nearestRank(lat[i], 99)
				b.Logf("%d executor(s): %s", len(c.execs), explainArgs(c.conn, scan))
				c.query.kill()
				for _, e := range c.execs {
					e.p.kill()
				}
			}
		}
		ex.rec("1p50", ms(p50s[0]), "3p50", ms(p50s[1]), "1p99", ms(p99s[0]), "3p99", ms(p99s[1]), "speedup", float64(p50s[0])/float64(p50s[1]))
		b.ReportMetric(ms(p50s[0]), "1exec-p50-ms")
		b.ReportMetric(ms(p50s[1]), "3exec-p50-ms")
		b.ReportMetric(float64(p50s[0])/float64(p50s[1]), "speedup")
	})

	var sb strings.Builder
	fmt.Fprintf(&sb, "\n| query | cold ms | warm p50 / p99 ms | warm/cold | disk-warm ms | single-process cold | single-process warm p50 / p99 | warm vs single-process |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range results {
		fmt.Fprintf(&sb, "| %s | %s | %s / %s | %s | %s | %s | %s / %s | %.2f× |\n", r.name, r.fig("cold", "%.1f"), r.fig("p50", "%.1f"), r.fig("p99", "%.1f"),
			r.fig("ratio", "%.3f"), r.fig("disk", "%.1f"), r.fig("bcold", "%.1f"), r.fig("bp50", "%.1f"), r.fig("bp99", "%.1f"), r.median("p50")/r.median("bp50"))
	}
	fmt.Fprintf(&sb, "\n| query | 3 executors, 256 KiB blocks: cold ms | 3 executors, 4 MiB blocks: cold ms (lookups, from storage) | single process, 256 KiB query cache: cold ms | single process, --query-cache 0: cold ms / warm p50 ms |\n|---|---|---|---|---|\n")
	for _, r := range results {
		fmt.Fprintf(&sb, "| %s | %s | %s (%.0f, %s) | %s | %s / %s |\n", r.name, r.fig("cold", "%.1f"), r.fig("gcold", "%.1f"), r.bigColdC.ramHits+r.bigColdC.ramMisses, mib(r.bigColdC.storageBytes), r.fig("bcold", "%.1f"), r.fig("rcold", "%.1f"), r.fig("rp50", "%.1f"))
	}
	fmt.Fprintf(&sb, "\n| query | phase | block lookups | RAM hits | disk hits | hit rate | from storage | from cache |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range results {
		for _, ph := range []struct {
			name string
			c    cacheCounters
		}{{"cold (1 run)", r.coldC}, {fmt.Sprintf("warm (%d runs)", benchWarmRuns), r.warmC}, {"disk-warm (1 run)", r.diskC}} {
			c := ph.c
			fmt.Fprintf(&sb, "| %s | %s | %.0f | %.0f | %.0f | %.3f | %s | %s |\n", r.name, ph.name, c.ramHits+c.ramMisses, c.ramHits, c.diskHits, c.hitRate(), mib(c.storageBytes), mib(c.servedBytes))
		}
	}
	fmt.Fprintf(&sb, "\n| scan-filter-count, warm | p50 ms | p99 ms |\n|---|---|---|\n| 1 executor | %s | %s |\n| 3 executors | %s | %s |\n| 1 / 3 | %s | |\n",
		ex.fig("1p50", "%.1f"), ex.fig("1p99", "%.1f"), ex.fig("3p50", "%.1f"), ex.fig("3p99", "%.1f"), ex.fig("speedup", "%.2f"))
	fmt.Fprintf(&sb, "\nFigures: median of %d run(s) (min–max); p50/p99 over %d warm runs each (nearest rank: p99 is the slowest).\n", len(ex.hist["speedup"]), benchWarmRuns)
	b.Log(sb.String())
	for _, r := range results {
		b.Logf("EXPLAIN ANALYZE %s (3 executors, warm):\n%s", r.name, r.explain)
	}
}

// measureCache runs q on a fresh three-executor cluster: once cold, then
// benchWarmRuns times warm, then once after restarting the executors.
func measureCache(b *testing.B, storage []string, q benchQuery, r *cacheResult) {
	c := startBenchCluster(b, storage, 3)
	before := c.counters(b)
	r.cold = c.run(b, q)
	afterCold := c.counters(b)
	r.coldC = afterCold.sub(before)
	var warm []time.Duration
	for range benchWarmRuns {
		warm = append(warm, c.run(b, q))
	}
	r.warmC = c.counters(b).sub(afterCold)
	r.warmP50, r.warmP99 = nearestRank(warm, 50), nearestRank(warm, 99)
	r.explain = explainArgs(c.conn, q)
	c.restartExecutors(b)
	before = c.counters(b) // zero after the restart
	r.diskWarm = c.run(b, q)
	r.diskC = c.counters(b).sub(before)
	b.Logf("%s: cold %.1f ms [%s]; warm p50 %.1f p99 %.1f ms [%s]; disk-warm %.1f ms [%s]", q.name,
		ms(r.cold), r.coldC, ms(r.warmP50), ms(r.warmP99), r.warmC, ms(r.diskWarm), r.diskC)
	c.logWarnings(b)
	c.query.kill()
	for _, e := range c.execs {
		e.p.kill()
	}
}
