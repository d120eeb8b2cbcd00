package sqltests

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/jackc/pgx/v5"

	"github.com/lancegate/lancegate/agent"
	"github.com/lancegate/lancegate/storage/index/distance"
	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/objstore"
)

// vecRows is a generated vector table: clustered vectors, ids 0..n-1, and
// a category ("rare" for every 50th row, else "common").
type vecRows struct {
	dim  int
	vecs [][]float32
}

func genVecRows(n, dim int, seed uint64) *vecRows {
	r := rand.New(rand.NewPCG(seed, 1))
	centres := make([][]float32, 20)
	for i := range centres {
		centres[i] = make([]float32, dim)
		for d := range centres[i] {
			centres[i][d] = float32(r.NormFloat64() * 3)
		}
	}
	out := &vecRows{dim: dim}
	for range n {
		c := centres[r.IntN(len(centres))]
		v := make([]float32, dim)
		for d := range v {
			v[d] = c[d] + float32(r.NormFloat64())
		}
		out.vecs = append(out.vecs, v)
	}
	return out
}

func (v *vecRows) category(id int) string {
	if id%50 == 7 {
		return "rare"
	}
	return "common"
}

// record builds rows [from, to) as an Arrow record of items' schema.
func (v *vecRows) record(mem memory.Allocator, schema *arrow.Schema, from, to int) arrow.Record {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i := from; i < to; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.StringBuilder).Append(v.category(i))
		lb := b.Field(2).(*array.FixedSizeListBuilder)
		lb.Append(true)
		lb.ValueBuilder().(*array.Float32Builder).AppendValues(v.vecs[i], nil)
	}
	return b.NewRecord()
}

// exact returns the ids of the k nearest rows by L2 among ids that keep
// accepts and that are not deleted.
func (v *vecRows) exact(q []float32, k int, keep func(id int) bool) []int64 {
	type hit struct {
		id int
		d  float32
	}
	var hits []hit
	for id, x := range v.vecs {
		if keep(id) {
			hits = append(hits, hit{id, distance.L2.Distance(q, x)})
		}
	}
	slices.SortFunc(hits, func(a, b hit) int {
		if a.d != b.d {
			if a.d < b.d {
				return -1
			}
			return 1
		}
		return a.id - b.id
	})
	out := make([]int64, 0, k)
	for _, h := range hits[:min(k, len(hits))] {
		out = append(out, int64(h.id))
	}
	return out
}

func vecLiteral(v []float32) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprint(x)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func queryIDs(t testing.TB, conn *pgx.Conn, sql string, args ...any) []int64 {
	t.Helper()
	rows, err := conn.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return ids
}

func overlap(got, want []int64) float64 {
	n := 0
	for _, g := range got {
		if slices.Contains(want, g) {
			n++
		}
	}
	return float64(n) / float64(len(want))
}

func explain(t *testing.T, conn *pgx.Conn, sql string, args ...any) string {
	t.Helper()
	rows, err := conn.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return strings.Join(lines, "\n")
}

// TestVectorIndexSearch: a table with an IVF_PQ index built by the agent's
// indexer, then rows appended (unindexed) and deleted. Searches through
// the wire use the index, miss no unindexed row, never return a deleted
// one, prefilter, follow the session's knobs and say so in EXPLAIN.
func TestVectorIndexSearch(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t)
	store, err := objstore.NewLocal(srv.dir)
	if err != nil {
		t.Fatal(err)
	}
	const n, dim, extra = 3000, 16, 200
	data := genVecRows(n+extra, dim, 42)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "cat", Type: arrow.BinaryTypes.String},
		{Name: "embedding", Type: arrow.FixedSizeListOf(dim, arrow.PrimitiveTypes.Float32)},
	}, nil)
	mem := memory.NewGoAllocator()
	rec := data.record(mem, schema, 0, n)
	rr, _ := array.NewRecordReader(schema, []arrow.Record{rec})
	ds, err := lance.Create(ctx, store, "items.lance", schema, rr, lance.WriteOptions{MaxRowsPerFile: 1000})
	rec.Release()
	rr.Release()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err = (agent.IVFPQIndexer{}).BuildIndex(ctx, ds, agent.IndexPolicy{Enabled: true, Metric: distance.L2, NumPartitions: 16, NumSubVectors: 8}); err != nil {
		t.Fatal(err)
	}

	conn := srv.connect(t)
	// Rows appended after the build are not in the index.
	var sb strings.Builder
	sb.WriteString("INSERT INTO items VALUES ")
	for i := n; i < n+extra; i++ {
		if i > n {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "(%d, '%s', '%s')", i, data.category(i), vecLiteral(data.vecs[i]))
	}
	if _, err := conn.Exec(ctx, sb.String()); err != nil {
		t.Fatal(err)
	}
	deleted := map[int]bool{}
	for _, id := range []int{5, 17, 3001} {
		deleted[id] = true
		if _, err := conn.Exec(ctx, "DELETE FROM items WHERE id = $1", id); err != nil {
			t.Fatal(err)
		}
	}
	live := func(id int) bool { return !deleted[id] }
	const search = "SELECT id FROM items ORDER BY embedding <-> $1 LIMIT 10"

	plan := explain(t, conn, "EXPLAIN "+strings.Replace(search, "$1", "'"+vecLiteral(data.vecs[0])+"'", 1))
	for _, want := range []string{"Vector Search on items", "using embedding_idx (IVF_PQ, l2)", "nprobes=20 refine_factor=1", "3 of 4 fragments indexed", "199 unindexed rows searched exactly"} {
		if !strings.Contains(plan, want) {
			t.Errorf("EXPLAIN lacks %q:\n%s", want, plan)
		}
	}

	// Recall at the defaults, then at full probes with refine: the index
	// answers, and with every partition probed it answers exactly.
	var sum float64
	queries := []int{0, 5, 99, 1234, 2999, 3001, 3100, 3199}
	for _, qi := range queries {
		q := data.vecs[qi]
		got := queryIDs(t, conn, search, vecLiteral(q))
		want := data.exact(q, 10, live)
		sum += overlap(got, want)
		for _, id := range got {
			if deleted[int(id)] {
				t.Fatalf("query %d returned deleted row %d", qi, id)
			}
		}
		if qi >= n && !deleted[qi] && got[0] != int64(qi) {
			// The query is an unindexed row: it is its own nearest.
			t.Errorf("query %d (unindexed row): first result %d", qi, got[0])
		}
	}
	if r := sum / float64(len(queries)); r < 0.7 {
		t.Errorf("recall@10 at defaults = %.3f", r)
	}
	if _, err := conn.Exec(ctx, "SET lancegate.nprobes = 16"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "SET lancegate.refine_factor = 20"); err != nil {
		t.Fatal(err)
	}
	for _, qi := range queries {
		q := data.vecs[qi]
		got := queryIDs(t, conn, search, vecLiteral(q))
		if want := data.exact(q, 10, live); !slices.Equal(got, want) {
			t.Errorf("query %d with all partitions and refine 20: %v, want %v", qi, got, want)
		}
	}
	// pgvector's spelling of nprobes, set last, wins.
	if _, err := conn.Exec(ctx, "SET ivfflat.probes = 3"); err != nil {
		t.Fatal(err)
	}
	plan = explain(t, conn, "EXPLAIN ANALYZE "+strings.Replace(search, "$1", "'"+vecLiteral(data.vecs[0])+"'", 1))
	if !strings.Contains(plan, "nprobes=3 refine_factor=20") || !strings.Contains(plan, "probed=3 candidates=200") {
		t.Errorf("EXPLAIN ANALYZE after SET ivfflat.probes = 3:\n%s", plan)
	}

	// Prefilter: rare rows are 2 %; the search widens until 10 qualify.
	const filtered = "SELECT id FROM items WHERE cat = 'rare' ORDER BY embedding <-> $1 LIMIT 10"
	if _, err := conn.Exec(ctx, "SET ivfflat.probes = 1"); err != nil {
		t.Fatal(err)
	}
	for _, qi := range queries {
		q := data.vecs[qi]
		got := queryIDs(t, conn, filtered, vecLiteral(q))
		want := data.exact(q, 10, func(id int) bool { return live(id) && data.category(id) == "rare" })
		if len(got) != 10 {
			t.Fatalf("filtered query %d: %d rows", qi, len(got))
		}
		for _, id := range got {
			if data.category(int(id)) != "rare" {
				t.Fatalf("filtered query %d returned %d (%s)", qi, id, data.category(int(id)))
			}
		}
		if o := overlap(got, want); o < 0.5 {
			t.Errorf("filtered query %d: overlap %.2f with exact %v (got %v)", qi, o, want, got)
		}
	}
	plan = explain(t, conn, "EXPLAIN ANALYZE "+strings.Replace(filtered, "$1", "'"+vecLiteral(data.vecs[0])+"'", 1))
	if !strings.Contains(plan, "prefilter") || !strings.Contains(plan, "prefiltered=") {
		t.Errorf("EXPLAIN ANALYZE of the filtered search:\n%s", plan)
	}

	// Another metric than the index's: exact, and EXPLAIN says why.
	plan = explain(t, conn, "EXPLAIN SELECT id FROM items ORDER BY embedding <=> '"+vecLiteral(data.vecs[0])+"' LIMIT 5")
	if !strings.Contains(plan, "->  Scan items [id, embedding]") || strings.Contains(plan, "Vector Search") {
		t.Errorf("EXPLAIN of a cosine search:\n%s", plan)
	}
	// A query vector of the wrong size fails as the exact search does.
	if _, err := conn.Exec(ctx, search, "[1,2,3]"); err == nil || !strings.Contains(err.Error(), "different vector dimensions") {
		t.Errorf("3-d query against 16-d column: %v", err)
	}
	// Inside a transaction with a pending insert, the search sees it.
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	far := make([]float32, dim)
	for i := range far {
		far[i] = 100
	}
	if _, err := tx.Exec(ctx, "INSERT INTO items VALUES (9999, 'common', $1)", vecLiteral(far)); err != nil {
		t.Fatal(err)
	}
	rows, err := tx.Query(ctx, search, vecLiteral(far))
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || ids[0] != 9999 {
		t.Fatalf("in a transaction: %v, %v; want 9999 first", ids, err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
}
