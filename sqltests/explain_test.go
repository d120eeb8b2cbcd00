package sqltests

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

// TestExplainAnalyze checks that EXPLAIN ANALYZE executes the plan and
// reports each node's actual rows (timings vary and are not compared).
func TestExplainAnalyze(t *testing.T) {
	srv := startServer(t)
	conn := srv.connect(t)
	ctx := context.Background()
	for _, sql := range []string{
		`CREATE TABLE e (id bigint, v vector(2))`,
		`INSERT INTO e VALUES (1, '[1,0]'), (2, '[0,1]'), (3, '[1,1]'), (4, '[2,2]')`,
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := conn.Query(ctx, `EXPLAIN ANALYZE SELECT id FROM e WHERE id > 1 ORDER BY v <-> '[1,0]' LIMIT 2`)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	times := regexp.MustCompile(`time=[0-9.]+ ms`)
	got := times.ReplaceAllString(strings.Join(lines, "\n"), "time=T ms")
	got = regexp.MustCompile(`Execution Time: [0-9.]+ ms`).ReplaceAllString(got, "Execution Time: T ms")
	want := strings.Join([]string{
		"Project id  (actual time=T ms rows=2 batches=1)",
		"  ->  TopK '2'::bigint by (v <-> '[1,0]'::vector)  (actual time=T ms rows=2 batches=1)",
		"        ->  Project id, (v <-> '[1,0]'::vector)  (actual time=T ms rows=3 batches=1)",
		"              ->  Filter (id > '1'::bigint)  (actual time=T ms rows=3 batches=1)",
		"                    ->  Scan e [id, v]  (actual time=T ms rows=4 batches=1)",
		"Execution Time: T ms",
	}, "\n")
	if got != want {
		t.Errorf("EXPLAIN ANALYZE:\n%s\nwant\n%s", got, want)
	}
}
