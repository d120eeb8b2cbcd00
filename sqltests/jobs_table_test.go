package sqltests

import (
	"context"
	"testing"
	"time"

	"github.com/lancegate/lancegate/storage/jobs"
	"github.com/lancegate/lancegate/storage/objstore"
)

// TestJobsTable reads job records written to storage back through
// lancegate.jobs and SHOW JOBS over the wire.
func TestJobsTable(t *testing.T) {
	ctx := context.Background()
	store := objstore.NewMemory()
	h := jobs.NewHistory(store)
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	done := jobs.Record{
		ID: jobs.NewID(t0), Table: "items", Type: "compact", State: jobs.Succeeded, Reason: "200 small fragments",
		Created: t0, Started: t0.Add(time.Second), Finished: t0.Add(3 * time.Second), ReadVersion: 201, Version: 202,
		Stats: map[string]int64{"fragments_removed": 200, "fragments_added": 1}, Runner: "agent-0",
	}
	failed := jobs.Record{
		ID: jobs.NewID(t0.Add(time.Minute)), Table: "docs", Type: "cleanup", State: jobs.Failed,
		Created: t0.Add(time.Minute), Started: t0.Add(time.Minute), Finished: t0.Add(2 * time.Minute), Error: "storage unavailable",
	}
	for _, r := range []jobs.Record{done, failed} {
		if err := h.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	conn := startServerOn(t, store).connect(t)

	var (
		table, typ, state, stats string
		readV, v                 int64
		finished                 time.Time
	)
	err := conn.QueryRow(ctx, `SELECT table_name, type, state, read_version, version, finished, stats
		FROM lancegate.jobs WHERE state = 'succeeded'`).Scan(&table, &typ, &state, &readV, &v, &finished, &stats)
	if err != nil {
		t.Fatal(err)
	}
	if table != "items" || typ != "compact" || state != "succeeded" || readV != 201 || v != 202 || !finished.Equal(done.Finished) ||
		stats != `{"fragments_added":1,"fragments_removed":200}` {
		t.Fatalf("got %s %s %s %d→%d %s %s", table, typ, state, readV, v, finished, stats)
	}

	rows, err := conn.Query(ctx, "SHOW JOBS")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	var errText *string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, vals[0].(string))
		if vals[3] == "failed" {
			s := vals[10].(string)
			errText = &s
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || ids[0] != failed.ID || ids[1] != done.ID {
		t.Fatalf("SHOW JOBS ids = %v, want newest first [%s %s]", ids, failed.ID, done.ID)
	}
	if errText == nil || *errText != "storage unavailable" {
		t.Fatalf("failed job's error = %v", errText)
	}
	names := rows.FieldDescriptions()
	want := []string{"id", "table_name", "type", "state", "reason", "created", "started", "finished", "read_version", "version", "error", "runner", "stats"}
	if len(names) != len(want) {
		t.Fatalf("SHOW JOBS has %d columns, want %d", len(names), len(want))
	}
	for i, f := range names {
		if f.Name != want[i] {
			t.Errorf("column %d = %s, want %s", i, f.Name, want[i])
		}
	}
}
