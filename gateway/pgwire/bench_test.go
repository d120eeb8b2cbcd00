package pgwire_test

import (
	"context"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/jackc/pgx/v5"

	"github.com/lancegate/lancegate/gateway/pgwire"
)

// benchRows is the size of one streamed result: 2^20 rows of (int8,
// float8, text), 128 batches of 8192 rows.
const benchRows = 1 << 20

// BenchmarkStreamRows streams benchRows rows from the fake engine to pgx over
// loopback and reports rows/s. "text" uses the simple protocol (every column
// text); "binary" the default extended mode, where pgx asks for int8 and
// float8 in binary and text as text. "scan" decodes every value with
// rows.Scan; "raw" reads the DataRows through pgconn without decoding,
// which measures the server more than the client.
func BenchmarkStreamRows(b *testing.B) {
	ts := startServer(b, pgwire.Config{})
	ts.eng.benchRows = benchRows
	ts.eng.benchBatch = genBatch(memory.NewGoAllocator(), 0, 8192)
	for _, format := range []string{"text", "binary"} {
		for _, client := range []string{"scan", "raw"} {
			b.Run(format+"/"+client, func(b *testing.B) {
				mode := "cache_statement"
				if format == "text" {
					mode = "simple_protocol"
				}
				c := pgxConnect(b, ts.url("default_query_exec_mode="+mode))
				ctx := context.Background()
				b.ReportAllocs()
				b.ResetTimer()
				start := time.Now()
				for range b.N {
					n := 0
					if client == "scan" {
						rows, err := c.Query(ctx, "bench")
						if err != nil {
							b.Fatal(err)
						}
						var id int64
						var score float64
						var name string
						for rows.Next() {
							if err := rows.Scan(&id, &score, &name); err != nil {
								b.Fatal(err)
							}
							n++
						}
						if err := rows.Err(); err != nil {
							b.Fatal(err)
						}
					} else {
						n = streamRaw(b, c, format)
					}
					if n != benchRows {
						b.Fatalf("got %d rows; want %d", n, benchRows)
					}
				}
				b.ReportMetric(float64(b.N)*benchRows/time.Since(start).Seconds(), "rows/s")
			})
		}
	}
}

// streamRaw runs "bench" through pgconn and counts rows without decoding.
func streamRaw(b *testing.B, c *pgx.Conn, format string) int {
	ctx := context.Background()
	pc := c.PgConn()
	n := 0
	if format == "text" {
		res := pc.Exec(ctx, "bench")
		for res.NextResult() {
			r := res.ResultReader()
			for r.NextRow() {
				n++
			}
			if _, err := r.Close(); err != nil {
				b.Fatal(err)
			}
		}
		if err := res.Close(); err != nil {
			b.Fatal(err)
		}
		return n
	}
	sd, err := pc.Prepare(ctx, "bench_stmt", "bench", nil)
	if err != nil {
		b.Fatal(err)
	}
	r := pc.ExecPrepared(ctx, sd.Name, nil, nil, []int16{1, 1, 0})
	for r.NextRow() {
		n++
	}
	if _, err := r.Close(); err != nil {
		b.Fatal(err)
	}
	if err := pc.Deallocate(ctx, sd.Name); err != nil {
		b.Fatal(err)
	}
	return n
}
