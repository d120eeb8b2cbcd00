package sqltests

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"
)

// BenchmarkCopy measures bulk ingest of (bigint, text, vector(128)) rows
// (issue 8's goal: 200k rows/s on a 2-core machine): pgx's binary
// CopyFrom, text COPY through pgconn, and, as the baseline, the same rows
// through multi-row INSERT statements of 500 rows. Each operation loads
// copyBenchRows rows (the INSERT baseline fewer, it is slow) into the
// same table; rows/s is reported per sub-benchmark. Client and server
// share the machine, so client-side encoding is part of the figure.
func BenchmarkCopy(b *testing.B) {
	const copyBenchRows = 100_000
	const insertBenchRows = 10_000
	const dim = 128
	rng := rand.New(rand.NewPCG(1, 2))
	vecs := make([][]float32, copyBenchRows)
	for i := range vecs {
		v := make([]float32, dim)
		for j := range v {
			v[j] = rng.Float32()
		}
		vecs[i] = v
	}
	srv := startServer(b)
	conn := srv.connect(b)
	registerVector(conn)
	ctx := context.Background()
	execAll(b, conn,
		`CREATE TABLE bench_copy (id bigint, name text, embedding vector(128))`,
		`CREATE TABLE bench_text (id bigint, name text, embedding vector(128))`,
		`CREATE TABLE bench_insert (id bigint, name text, embedding vector(128))`)

	b.Run("pgx-binary", func(b *testing.B) {
		rows := make([][]any, copyBenchRows)
		for i := range rows {
			rows[i] = []any{int64(i), "item " + strconv.Itoa(i), pgvector.NewVector(vecs[i])}
		}
		b.ResetTimer()
		start := time.Now()
		for range b.N {
			n, err := conn.CopyFrom(ctx, pgx.Identifier{"bench_copy"}, []string{"id", "name", "embedding"}, pgx.CopyFromRows(rows))
			if err != nil || n != copyBenchRows {
				b.Fatalf("CopyFrom: %d rows, %v", n, err)
			}
		}
		b.ReportMetric(float64(copyBenchRows*b.N)/time.Since(start).Seconds(), "rows/s")
	})

	b.Run("text", func(b *testing.B) {
		var buf bytes.Buffer
		for i := range copyBenchRows {
			fmt.Fprintf(&buf, "%d\titem %d\t%s\n", i, i, pgvector.NewVector(vecs[i]).String())
		}
		data := buf.Bytes()
		b.ResetTimer()
		start := time.Now()
		for range b.N {
			tag, err := conn.PgConn().CopyFrom(ctx, bytes.NewReader(data), `COPY bench_text FROM STDIN`)
			if err != nil || tag.RowsAffected() != copyBenchRows {
				b.Fatalf("COPY: %v, %v", tag, err)
			}
		}
		b.ReportMetric(float64(copyBenchRows*b.N)/time.Since(start).Seconds(), "rows/s")
	})

	b.Run("insert-baseline", func(b *testing.B) {
		const perStmt = 500
		var stmts []string
		for lo := 0; lo < insertBenchRows; lo += perStmt {
			var sb strings.Builder
			sb.WriteString("INSERT INTO bench_insert VALUES ")
			for i := lo; i < lo+perStmt; i++ {
				if i > lo {
					sb.WriteString(", ")
				}
				fmt.Fprintf(&sb, "(%d, 'item %d', '%s')", i, i, pgvector.NewVector(vecs[i]).String())
			}
			stmts = append(stmts, sb.String())
		}
		b.ResetTimer()
		start := time.Now()
		for range b.N {
			tx, err := conn.Begin(ctx)
			if err != nil {
				b.Fatal(err)
			}
			for _, s := range stmts {
				if _, err := tx.Exec(ctx, s); err != nil {
					b.Fatal(err)
				}
			}
			if err := tx.Commit(ctx); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(insertBenchRows*b.N)/time.Since(start).Seconds(), "rows/s")
	})
}
