package sqltests

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lancegate/lancegate/agent"
	"github.com/lancegate/lancegate/gateway"
	"github.com/lancegate/lancegate/storage/catalog"
	"github.com/lancegate/lancegate/storage/events"
	"github.com/lancegate/lancegate/storage/objstore"
)

// startWithAgent starts a server whose commits go to an in-process agent
// over an events.Bus, as `lancegate serve` does by default.
func startWithAgent(t *testing.T) *testServer {
	t.Helper()
	dir := t.TempDir()
	store, err := objstore.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	bus := events.NewBus(1024)
	srv := startServerWith(t, store, gateway.Options{Events: bus, StorageURI: dir})
	srv.dir = dir
	cat := catalog.New(store, nil)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	runner := agent.NewRunner(cat, agent.RunnerConfig{Policy: agent.DefaultPolicy(), Publisher: bus, Logger: logger, StorageURI: dir, Indexer: agent.IVFPQIndexer{}})
	a := agent.New(cat, bus, agent.NewInProcess(runner, logger), agent.Config{Policy: agent.DefaultPolicy(), SweepInterval: time.Hour, Logger: logger, Indexer: agent.IVFPQIndexer{}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("agent: %v", err)
		}
	})
	return srv
}

// insertVectors inserts rows [from, to) of data into items in one statement.
func insertVectors(t *testing.T, conn *pgx.Conn, data *vecRows, from, to int) {
	t.Helper()
	var sb strings.Builder
	sb.WriteString("INSERT INTO items VALUES ")
	for i := from; i < to; i++ {
		if i > from {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "(%d, '%s', '%s')", i, data.category(i), vecLiteral(data.vecs[i]))
	}
	execAll(t, conn, sb.String())
}

type indexListing struct {
	name, column, typ, metric, status string
	segments, indexed, unindexed      int64
	partitions, subVectors            *int64
}

func listIndexes(t *testing.T, conn *pgx.Conn) map[string]indexListing {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT index_name, column_name, index_type, metric, status, segments, indexed_rows, unindexed_rows, num_partitions, num_sub_vectors FROM lancegate.indexes WHERE table_name = 'items'`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]indexListing{}
	for rows.Next() {
		var l indexListing
		if err := rows.Scan(&l.name, &l.column, &l.typ, &l.metric, &l.status, &l.segments, &l.indexed, &l.unindexed, &l.partitions, &l.subVectors); err != nil {
			t.Fatal(err)
		}
		out[l.name] = l
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCreateIndex is CREATE INDEX and DROP INDEX through the wire with
// the agent building: refusals with their SQLSTATEs and positions, a
// build awaited WITH (wait = true), the listing in lancegate.indexes, the
// planner using the index, and DROP INDEX.
func TestCreateIndex(t *testing.T) {
	ctx := context.Background()
	srv := startWithAgent(t)
	var notices []string
	cfg, err := pgx.ParseConfig(srv.dsn())
	if err != nil {
		t.Fatal(err)
	}
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) { notices = append(notices, n.Code+" "+n.Message) }
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	const n, dim = 2000, 16
	data := genVecRows(n+10, dim, 7)
	execAll(t, conn, "CREATE TABLE items (id bigint, cat text, embedding vector(16))")
	insertVectors(t, conn, data, 0, n)

	for _, c := range []struct{ code, sql string }{
		{"0A000", "CREATE INDEX ON items (id)"},
		{"0A000", "CREATE INDEX ON items USING btree (id)"},
		{"0A000", "CREATE UNIQUE INDEX ON items USING ivf_pq (embedding)"},
		{"0A000", "CREATE INDEX ON items USING ivf_pq (embedding, id)"},
		{"0A000", "CREATE INDEX ON items USING ivf_pq ((embedding))"},
		{"0A000", "CREATE INDEX ON items USING ivf_pq (embedding) WHERE id > 3"},
		{"42704", "CREATE INDEX ON items USING nosuch (embedding)"},
		{"42704", "CREATE INDEX ON items USING ivf_pq (cat)"},
		{"42704", "CREATE INDEX ON items USING ivf_pq (embedding vector_nosuch_ops)"},
		{"42703", "CREATE INDEX ON items USING ivf_pq (nosuch)"},
		{"42P01", "CREATE INDEX ON nosuch USING ivf_pq (embedding)"},
		{"22023", "CREATE INDEX ON items USING ivf_pq (embedding) WITH (num_sub_vectors = 5)"},
		{"22023", "CREATE INDEX ON items USING ivf_pq (embedding) WITH (num_partitions = 0)"},
		{"22023", "CREATE INDEX ON items USING ivf_pq (embedding) WITH (bogus = 1)"},
		{"22023", "CREATE INDEX ON items USING ivf_pq (embedding) WITH (m = 16)"},
		{"22023", "CREATE INDEX ON items USING hnsw (embedding) WITH (num_sub_vectors = 4)"},
		{"22023", "CREATE INDEX ON items USING hnsw (embedding) WITH (m = 1)"},
		{"42601", "CREATE INDEX ON items USING ivf_pq"},
		{"42704", "DROP INDEX nosuch"},
	} {
		wantCode(t, conn, c.code, c.sql)
	}
	if pe := wantCode(t, conn, "42703", "CREATE INDEX ON items USING ivf_pq (nosuch)"); pe.Position != 37 {
		t.Errorf("position of the missing column: %d, want 37", pe.Position)
	}
	// A schema change of a table the transaction block has written to is
	// refused (schema changes are not transactional: docs/sql.md).
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "DELETE FROM items WHERE id < 0"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "UPDATE items SET id = id WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "CREATE INDEX ON items USING ivf_pq (embedding)"); err == nil || err.(*pgconn.PgError).Code != "0A000" {
		t.Errorf("CREATE INDEX in a transaction block that wrote to the table: %v", err)
	}
	_ = tx.Rollback(ctx)

	start := time.Now()
	execAll(t, conn, "CREATE INDEX items_emb ON items USING ivfflat (embedding vector_l2_ops) WITH (lists = 8, num_sub_vectors = 4, wait = true)")
	t.Logf("CREATE INDEX … WITH (wait = true) over %d rows: %s", n, time.Since(start).Round(time.Millisecond))
	l := listIndexes(t, conn)["items_emb"]
	if l.status != "ready" || l.column != "embedding" || l.typ != "IVF_PQ" || l.metric != "l2" || l.segments != 1 || l.indexed != n || l.unindexed != 0 ||
		l.partitions == nil || *l.partitions != 8 || l.subVectors == nil || *l.subVectors != 4 {
		t.Fatalf("lancegate.indexes after the build: %+v", l)
	}
	wantCode(t, conn, "42P07", "CREATE INDEX items_emb ON items USING ivf_pq (embedding)")
	// Index names are global: another table cannot reuse it.
	execAll(t, conn, "CREATE TABLE other (v vector(16))")
	wantCode(t, conn, "42P07", "CREATE INDEX items_emb ON other USING ivf_pq (v)")
	// Orders an index cannot serve are exact.
	for _, sql := range []string{
		"EXPLAIN SELECT id FROM items ORDER BY embedding <-> '" + vecLiteral(data.vecs[0]) + "' NULLS FIRST LIMIT 5",
		"EXPLAIN SELECT id FROM items ORDER BY embedding <-> '" + vecLiteral(data.vecs[0]) + "' DESC LIMIT 5",
	} {
		if plan := explain(t, conn, sql); strings.Contains(plan, "Vector Search") {
			t.Errorf("%s:\n%s", sql, plan)
		}
	}
	if plan := explain(t, conn, "EXPLAIN SELECT id FROM items ORDER BY embedding <-> '"+vecLiteral(data.vecs[0])+"' LIMIT 1000000000000"); !strings.Contains(plan, "exact: LIMIT + OFFSET above 100000") {
		t.Errorf("EXPLAIN with a huge LIMIT:\n%s", plan)
	}
	if ids := queryIDs(t, conn, "SELECT id FROM items ORDER BY embedding <-> '"+vecLiteral(data.vecs[0])+"' LIMIT 9223372036854775807 OFFSET 1"); len(ids) != n-1 {
		t.Errorf("LIMIT max OFFSET 1: %d rows, want %d", len(ids), n-1)
	}
	notices = nil
	execAll(t, conn, "CREATE INDEX IF NOT EXISTS items_emb ON items USING ivf_pq (embedding)")
	if len(notices) != 1 || notices[0] != `42P07 relation "items_emb" already exists, skipping` {
		t.Errorf("notices: %q", notices)
	}
	q := "'" + vecLiteral(data.vecs[3]) + "'"
	if plan := explain(t, conn, "EXPLAIN SELECT id FROM items ORDER BY embedding <-> "+q+" LIMIT 5"); !strings.Contains(plan, "using items_emb (IVF_PQ, l2)") {
		t.Errorf("EXPLAIN after CREATE INDEX:\n%s", plan)
	}
	if ids := queryIDs(t, conn, "SELECT id FROM items ORDER BY embedding <-> "+q+" LIMIT 5"); len(ids) != 5 || ids[0] != 3 {
		t.Errorf("nearest to row 3: %v", ids)
	}
	insertVectors(t, conn, data, n, n+10)
	if l := listIndexes(t, conn)["items_emb"]; l.indexed != n || l.unindexed != 10 {
		t.Errorf("after 10 more rows: %+v", l)
	}

	// pylance sees the index the agent built.
	if py := os.Getenv("LANCEGATE_PYTHON"); py != "" {
		cmd := exec.Command(py, "-c", `import sys, lance
ds = lance.dataset(sys.argv[1])
print(sorted((i["name"], i["type"]) for i in ds.list_indices()))`, filepath.Join(srv.dir, "items.lance"))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil || !strings.Contains(out.String(), "('items_emb', 'IVF_PQ')") {
			t.Errorf("pylance list_indices: %v\n%s", err, out.String())
		}
	} else if os.Getenv("LANCEGATE_REQUIRE_INTEROP") == "1" {
		t.Error("LANCEGATE_PYTHON is not set")
	}

	// A declared index is listed at once; default name table_column_idx.
	execAll(t, conn, "CREATE INDEX ON items USING ivf_pq (embedding vector_cosine_ops) WITH (num_partitions = 4, num_sub_vectors = 4, wait = true)")
	if l := listIndexes(t, conn)["items_embedding_idx"]; l.metric != "cosine" || l.status != "ready" {
		t.Errorf("cosine index: %+v", l)
	}
	if plan := explain(t, conn, "EXPLAIN SELECT id FROM items ORDER BY embedding <=> "+q+" LIMIT 5"); !strings.Contains(plan, "using items_embedding_idx (IVF_PQ, cosine)") {
		t.Errorf("EXPLAIN of a cosine search:\n%s", plan)
	}

	execAll(t, conn, "DROP INDEX items_emb")
	if _, ok := listIndexes(t, conn)["items_emb"]; ok {
		t.Error("items_emb still listed after DROP INDEX")
	}
	if plan := explain(t, conn, "EXPLAIN SELECT id FROM items ORDER BY embedding <-> "+q+" LIMIT 5"); strings.Contains(plan, "Vector Search") {
		t.Errorf("EXPLAIN after DROP INDEX:\n%s", plan)
	}
	notices = nil
	execAll(t, conn, "DROP INDEX IF EXISTS items_emb, public.items_embedding_idx")
	if len(notices) != 1 || !strings.Contains(notices[0], `index "items_emb" does not exist, skipping`) || len(listIndexes(t, conn)) != 0 {
		t.Errorf("DROP INDEX IF EXISTS: notices %q, listing %v", notices, listIndexes(t, conn))
	}

	// pgvector's hnsw maps onto IVF_HNSW_SQ; hnsw.ef_search steers it.
	execAll(t, conn, "CREATE INDEX items_hnsw ON items USING hnsw (embedding vector_l2_ops) WITH (m = 8, ef_construction = 64, num_partitions = 2, wait = true)")
	if l := listIndexes(t, conn)["items_hnsw"]; l.typ != "IVF_HNSW_SQ" || l.status != "ready" || l.indexed != n+10 || l.partitions == nil || *l.partitions != 2 {
		t.Errorf("hnsw index: %+v", l)
	}
	execAll(t, conn, "SET hnsw.ef_search = 80")
	if plan := explain(t, conn, "EXPLAIN ANALYZE SELECT id FROM items ORDER BY embedding <-> "+q+" LIMIT 5"); !strings.Contains(plan, "using items_hnsw (IVF_HNSW_SQ, l2): nprobes=20 ef=80") {
		t.Errorf("EXPLAIN of an HNSW search:\n%s", plan)
	}
	for _, qi := range []int{3, 77, 1999, n + 5} {
		lit := "'" + vecLiteral(data.vecs[qi]) + "'"
		if ids := queryIDs(t, conn, "SELECT id FROM items ORDER BY embedding <-> "+lit+" LIMIT 5"); len(ids) != 5 || ids[0] != int64(qi) {
			t.Errorf("HNSW: nearest to row %d: %v", qi, ids)
		}
	}
}
