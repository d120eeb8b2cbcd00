package sqltests

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// Sessions racing to insert one key: exactly one commits it; the others
// get 23505 (or 40001 when the table kept changing under their check), and
// the table holds the key once.
func TestPrimaryKeyConcurrentInserts(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t)
	admin := srv.connect(t)
	if _, err := admin.Exec(ctx, "CREATE TABLE race (id bigint PRIMARY KEY, who int)"); err != nil {
		t.Fatal(err)
	}
	const racers = 6
	conns := make([]interface {
		Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
	}, racers)
	for i := range conns {
		conns[i] = srv.connect(t)
	}
	for round := range 3 {
		var wg sync.WaitGroup
		errs := make([]error, racers)
		for i := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = conns[i].Exec(ctx, fmt.Sprintf("INSERT INTO race VALUES (%d, %d)", round, i))
			}()
		}
		wg.Wait()
		ok := 0
		for i, err := range errs {
			var pe *pgconn.PgError
			switch {
			case err == nil:
				ok++
			case errors.As(err, &pe) && (pe.Code == "23505" || pe.Code == "40001"):
			default:
				t.Errorf("round %d racer %d: %v", round, i, err)
			}
		}
		if ok != 1 {
			t.Errorf("round %d: %d inserts of one key committed, want 1 (%v)", round, ok, errs)
		}
		var n int
		if err := admin.QueryRow(ctx, "SELECT count(*) FROM race WHERE id = $1", round).Scan(&n); err != nil || n != 1 {
			t.Errorf("round %d: %d rows with the key (%v)", round, n, err)
		}
	}
}
