package sqltests

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestCancelRunningStatement cancels a long query from the client (pgx
// sends a CancelRequest on context cancellation): the statement ends with
// 57014 and the server keeps serving.
func TestCancelRunningStatement(t *testing.T) {
	srv := startServer(t)
	conn := srv.connect(t)
	ctx := context.Background()
	if _, err := conn.Exec(ctx, `CREATE TABLE c (x bigint)`); err != nil {
		t.Fatal(err)
	}
	// 20,000 rows: a cross join of the table with itself has 400M rows,
	// minutes of work for a nested-loop count.
	if _, err := conn.Exec(ctx, `INSERT INTO c SELECT a.x FROM (VALUES (1),(2),(3),(4),(5),(6),(7),(8),(9),(10)) AS a(x)`); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 11; i++ {
		if _, err := conn.Exec(ctx, `INSERT INTO c SELECT x + 1 FROM c`); err != nil {
			t.Fatal(err)
		}
	}
	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	var n int64
	err := conn.QueryRow(cctx, `SELECT count(*) FROM c a, c b WHERE a.x + b.x > 0`).Scan(&n)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57014" {
		// pgx may report the context error itself once it has sent the
		// cancel; the server's answer is what we check next.
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("cancelled query: %v (%d rows); want 57014", err, n)
		}
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("cancellation took %v", d)
	}
	// A new connection works (pgx closes one whose query it abandoned).
	c2 := srv.connect(t)
	if err := c2.QueryRow(ctx, `SELECT count(*) FROM c`).Scan(&n); err != nil || n != 20480 {
		t.Errorf("after cancel: %d, %v; want 20480", n, err)
	}
}
