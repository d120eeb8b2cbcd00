package sqltests

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lancegate/lancegate/sqltests/pgref"
)

// BenchmarkPointQuery measures prepared point queries, SELECT id, name
// FROM bench_points WHERE id = $1 with random ids, through pgx and through
// pgjdbc (past its prepare threshold: server-side prepared, binary
// results), against lancegate and, as the baseline in the same run,
// against PostgreSQL 15 (sqltests/pgref) holding the same rows with the
// same PRIMARY KEY. Each sub-benchmark reports p50 and p99 latency in µs
// and queries/s; docs/benchmarks.md has the figures and the ratios.
//
//	go test ./sqltests -run '^$' -bench PointQuery -benchtime 2000x
//
// lancegate has no B-tree index: a point query scans the id column (with
// the page cache warm), where PostgreSQL walks its primary key index.
func BenchmarkPointQuery(b *testing.B) {
	const rows = 10000
	ctx := context.Background()
	lg := startServer(b)
	ref := pgref.StartTCP(b)
	admin, err := pgx.Connect(ctx, ref.DSN("postgres"))
	if err != nil {
		b.Fatal(err)
	}
	for _, sql := range []string{"CREATE ROLE lancegate SUPERUSER LOGIN", "CREATE DATABASE lancegate OWNER lancegate"} {
		if _, err := admin.Exec(ctx, sql); err != nil {
			b.Fatal(err)
		}
	}
	admin.Close(ctx)
	refDSN := fmt.Sprintf("postgres://lancegate@127.0.0.1:%d/lancegate?sslmode=disable", ref.TCPPort)
	servers := []struct {
		name, dsn string
	}{{"lancegate", lg.dsn()}, {"postgres", refDSN}}
	for _, s := range servers {
		loadPoints(b, s.dsn, rows)
	}
	for _, s := range servers {
		b.Run("pgx/"+s.name, func(b *testing.B) {
			conn, err := pgx.Connect(ctx, s.dsn)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close(ctx)
			const q = "SELECT id, name FROM bench_points WHERE id = $1"
			rnd := rand.New(rand.NewPCG(1, 2))
			query := func() time.Duration {
				id := rnd.Int64N(rows)
				start := time.Now()
				var got int64
				var name string
				if err := conn.QueryRow(ctx, q, id).Scan(&got, &name); err != nil || got != id || name != "item"+strconv.FormatInt(id, 10) {
					b.Fatalf("id %d: got %d %q, %v", id, got, name, err)
				}
				return time.Since(start)
			}
			for range 20 {
				query()
			}
			took := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				took = append(took, query())
			}
			b.StopTimer()
			reportLatency(b, took)
		})
		b.Run("pgjdbc/"+s.name, func(b *testing.B) {
			host, port := "127.0.0.1", strconv.Itoa(ref.TCPPort)
			if s.name == "lancegate" {
				host, port, _ = net.SplitHostPort(lg.addr)
			}
			out := runPointBench(b, host, port, b.N, rows)
			m := regexp.MustCompile(`result p50_us=([\d.]+) p99_us=([\d.]+) qps=([\d.]+)`).FindStringSubmatch(out)
			if m == nil {
				b.Fatalf("PointBench printed no result:\n%s", out)
			}
			for i, unit := range []string{"p50-µs", "p99-µs", "queries/s"} {
				v, _ := strconv.ParseFloat(m[i+1], 64)
				b.ReportMetric(v, unit)
			}
		})
	}
}

// loadPoints creates bench_points (id bigint PRIMARY KEY, name text) with
// rows rows through pgx's CopyFrom.
func loadPoints(b *testing.B, dsn string, rows int) {
	b.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE TABLE bench_points (id bigint PRIMARY KEY, name text)"); err != nil {
		b.Fatal(err)
	}
	src := make([][]any, rows)
	for i := range src {
		src[i] = []any{int64(i), "item" + strconv.Itoa(i)}
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"bench_points"}, []string{"id", "name"}, pgx.CopyFromRows(src)); err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "ANALYZE bench_points"); err != nil {
		b.Fatal(err)
	}
}

// runPointBench runs the Java PointBench against host:port and returns its
// output.
func runPointBench(b *testing.B, host, port string, queries, rows int) string {
	b.Helper()
	return runJava(b, "lancegate.clients.PointBench", "PGHOST="+host, "PGPORT="+port, "PGUSER=lancegate", "PGDATABASE=lancegate",
		"BENCH_QUERIES="+strconv.Itoa(max(queries, 100)), "BENCH_ROWS="+strconv.Itoa(rows))
}

// reportLatency reports p50 and p99 of took in µs and the queries/s.
func reportLatency(b *testing.B, took []time.Duration) {
	if len(took) == 0 {
		return
	}
	var total time.Duration
	for _, d := range took {
		total += d
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(took[min(len(took)-1, len(took)*99/100)].Microseconds()), "p99-µs")
	b.ReportMetric(float64(len(took))/total.Seconds(), "queries/s")
}
