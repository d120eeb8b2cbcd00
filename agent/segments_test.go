package agent

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/catalog"
	"github.com/lancegate/lancegate/storage/index/distance"
	"github.com/lancegate/lancegate/storage/index/indexspec"
	"github.com/lancegate/lancegate/storage/index/lanceindex"
	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/objstore"
)

// createItems creates table name (id bigint, vec vector(dim)), empty.
func createItems(t *testing.T, cat *catalog.Catalog, name string, dim int) *lance.Dataset {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "vec", Type: arrow.FixedSizeListOf(int32(dim), arrow.PrimitiveTypes.Float32), Nullable: true},
	}, nil)
	ds, err := cat.Create(context.Background(), name, schema, "")
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// appendClustered appends n rows with ids from first: vectors around one
// of 8 centres, shifted by shift in every coordinate.
func appendClustered(t *testing.T, ds *lance.Dataset, first, n, dim int, shift float32, seed uint64) (*lance.Dataset, [][]float32) {
	t.Helper()
	schema := ds.Schema().Arrow()
	r := rand.New(rand.NewPCG(seed, 9))
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	var vecs [][]float32
	for i := first; i < first+n; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		lb := b.Field(1).(*array.FixedSizeListBuilder)
		lb.Append(true)
		c := float32(i%8) * 3
		v := make([]float32, dim)
		for d := range v {
			v[d] = c + shift + float32(r.NormFloat64())
		}
		lb.ValueBuilder().(*array.Float32Builder).AppendValues(v, nil)
		vecs = append(vecs, v)
	}
	rec := b.NewRecord()
	rr, _ := array.NewRecordReader(schema, []arrow.Record{rec})
	rec.Release()
	defer rr.Release()
	next, err := ds.Append(context.Background(), rr, lance.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return next, vecs
}

// checkExact searches ds through its index segments with every partition
// probed and a generous refine, and compares with brute force: the
// segments hold the right row addresses.
func checkExact(t *testing.T, ds *lance.Dataset, vecs [][]float32, name string) {
	t.Helper()
	ctx := context.Background()
	infos, err := ds.Indexes()
	if err != nil {
		t.Fatal(err)
	}
	var segs []lanceindex.Segment
	for _, info := range infos {
		if info.Name != name {
			continue
		}
		ix, err := lanceindex.OpenIVFPQ(ctx, ds, info)
		if err != nil {
			t.Fatal(err)
		}
		segs = append(segs, lanceindex.Segment{Index: ix, Info: info})
	}
	for _, qi := range []int{0, len(vecs) / 2, len(vecs) - 1} {
		q := vecs[qi]
		rows, _, err := lanceindex.Query(ctx, ds, segs, lanceindex.QueryOptions{Query: q, K: 5, RefineFactor: 50, NProbes: 1000, Columns: []int{0, 1}})
		if err != nil {
			t.Fatal(err)
		}
		type hit struct {
			id int64
			d  float32
		}
		var got []hit
		for {
			rec, err := rows.Next(ctx)
			if err != nil {
				break
			}
			ids := rec.Column(0).(*array.Int64)
			vs := rec.Column(1).(*array.FixedSizeList).ListValues().(*array.Float32).Float32Values()
			dim := len(q)
			for i := range int(rec.NumRows()) {
				got = append(got, hit{ids.Value(i), distance.L2.Distance(q, vs[i*dim:(i+1)*dim])})
			}
			rec.Release()
		}
		rows.Close()
		slices.SortFunc(got, func(a, b hit) int {
			if a.d < b.d {
				return -1
			}
			if a.d > b.d {
				return 1
			}
			return 0
		})
		if len(got) < 5 || got[0].id != int64(qi) {
			t.Fatalf("query %d: nearest rows %v", qi, got[:min(5, len(got))])
		}
	}
}

func segmentsOf(t *testing.T, ds *lance.Dataset, name string) [][]uint32 {
	t.Helper()
	infos, err := ds.Indexes()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]uint32
	for _, info := range infos {
		if info.Name == name {
			out = append(out, info.Fragments)
		}
	}
	return out
}

// TestIndexSegments: a declared index gets delta segments for appended
// rows, merges them past max_segments, and is retrained when new rows
// drift from its model; every step commits and searches correctly.
func TestIndexSegments(t *testing.T) {
	ctx := context.Background()
	cat := catalog.New(objstore.NewMemory(), nil)
	const dim = 16
	ds := createItems(t, cat, "items", dim)
	var err error
	ds, all := appendClustered(t, ds, 0, 2000, dim, 0, 1)
	spec := indexspec.Spec{Name: "items_idx", Column: "vec", Type: indexspec.IVFPQ, Metric: "l2", NumPartitions: 8, NumSubVectors: 4}
	val, _ := spec.Encode()
	if ds, err = ds.UpdateConfig(ctx, map[string]string{spec.Key(): val}, nil); err != nil {
		t.Fatal(err)
	}
	p := IndexPolicy{DeltaMinRows: 200, MaxSegments: 2, RetrainDrift: 1.5}
	ix := IVFPQIndexer{}
	build := func(want string) map[string]int64 {
		t.Helper()
		reason, ok, err := ix.NeedsIndex(ctx, ds, p)
		if err != nil || !ok {
			t.Fatalf("NeedsIndex before %s: %q %v %v", want, reason, ok, err)
		}
		var stats map[string]int64
		if ds, stats, err = ix.BuildIndex(ctx, ds, p); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := ix.NeedsIndex(ctx, ds, p); ok {
			t.Fatalf("NeedsIndex after %s: still true", want)
		}
		t.Logf("%s: %v (%s)", want, stats, reason)
		return stats
	}
	build("initial build")
	if segs := segmentsOf(t, ds, "items_idx"); len(segs) != 1 {
		t.Fatalf("after the build: %v", segs)
	}
	// 100 rows: below delta_min_rows, searched exactly, no work.
	var more [][]float32
	ds, more = appendClustered(t, ds, 2000, 100, dim, 0, 2)
	all = append(all, more...)
	if _, ok, _ := ix.NeedsIndex(ctx, ds, p); ok {
		t.Fatal("NeedsIndex with 100 unindexed rows (threshold 200)")
	}
	ds, more = appendClustered(t, ds, 2100, 200, dim, 0, 3)
	all = append(all, more...)
	if st := build("delta"); st["deltas"] != 1 {
		t.Errorf("stats %v, want a delta", st)
	}
	segs := segmentsOf(t, ds, "items_idx")
	if len(segs) != 2 || !slices.Equal(segs[1], []uint32{1, 2}) {
		t.Fatalf("after the delta: %v", segs)
	}
	checkExact(t, ds, all, "items_idx")

	ds, more = appendClustered(t, ds, 2300, 300, dim, 0, 4)
	all = append(all, more...)
	if st := build("merge"); st["merged_segments"] != 2 {
		t.Errorf("stats %v, want a merge of 2 segments", st)
	}
	if segs := segmentsOf(t, ds, "items_idx"); len(segs) != 1 || len(segs[0]) != 4 {
		t.Fatalf("after the merge: %v", segs)
	}
	checkExact(t, ds, all, "items_idx")

	ds, more = appendClustered(t, ds, 2600, 400, dim, 40, 5)
	all = append(all, more...)
	if st := build("retrain"); st["retrained"] != 1 {
		t.Errorf("stats %v, want a retrain", st)
	}
	if segs := segmentsOf(t, ds, "items_idx"); len(segs) != 1 || len(segs[0]) != 5 {
		t.Fatalf("after the retrain: %v", segs)
	}
	checkExact(t, ds, all, "items_idx")
}

// TestCompactionRemapsIndex: compaction rewrites fragments an index
// covers (never mixing them with unindexed ones), the index is rewritten
// with remapped row addresses in the same commit, deleted rows leave it,
// searches stay exact, and pylance reads the result.
func TestCompactionRemapsIndex(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store, err := objstore.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	cat := catalog.New(store, nil)
	const dim = 16
	ds := createItems(t, cat, "items", dim)
	var all [][]float32
	for i := range 10 {
		var more [][]float32
		ds, more = appendClustered(t, ds, i*200, 200, dim, 0, uint64(i))
		all = append(all, more...)
	}
	spec := indexspec.Spec{Name: "items_idx", Column: "vec", Type: indexspec.IVFPQ, Metric: "l2", NumPartitions: 8, NumSubVectors: 4}
	val, _ := spec.Encode()
	if ds, err = ds.UpdateConfig(ctx, map[string]string{spec.Key(): val}, nil); err != nil {
		t.Fatal(err)
	}
	if ds, _, err = (IVFPQIndexer{}).BuildIndex(ctx, ds, IndexPolicy{}); err != nil {
		t.Fatal(err)
	}
	// Delete rows 5 and 417 (fragments 0 and 2), then append 3 unindexed fragments.
	if ds, err = ds.Delete(ctx, map[uint64]*roaring.Bitmap{0: roaring.BitmapOf(5), 2: roaring.BitmapOf(17)}, "id in (5, 417)"); err != nil {
		t.Fatal(err)
	}
	for i := 10; i < 13; i++ {
		var more [][]float32
		ds, more = appendClustered(t, ds, i*200, 200, dim, 0, uint64(i))
		all = append(all, more...)
	}
	before := segmentsOf(t, ds, "items_idx")
	r := NewRunner(cat, RunnerConfig{Policy: testPolicy(), Logger: quiet})
	next, stats, err := r.compact(ctx, ds, CompactionPolicy{TargetRows: 1 << 20, MaxDeletedFraction: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	ds = next
	t.Logf("compaction: %v; index fragments %v → %v", stats, before, segmentsOf(t, ds, "items_idx"))
	if stats["indexes_remapped"] != 1 || stats["fragments_removed"] != 13 || stats["fragments_added"] != 2 {
		t.Fatalf("stats %v", stats)
	}
	frags := ds.Fragments()
	segs := segmentsOf(t, ds, "items_idx")
	if len(frags) != 2 || len(segs) != 1 || !slices.Equal(segs[0], []uint32{uint32(frags[0].ID)}) || frags[0].Rows() != 1998 || frags[1].Rows() != 600 {
		t.Fatalf("fragments %+v, index covers %v", frags, segs)
	}
	infos, _ := ds.Indexes()
	x, err := lanceindex.OpenIVFPQ(ctx, ds, infos[0])
	if err != nil {
		t.Fatal(err)
	}
	if x.Len() != 1998 {
		t.Errorf("remapped index holds %d rows, want 1998 (deleted rows dropped)", x.Len())
	}
	checkExact(t, ds, all, "items_idx")
	// The next compaction has nothing to do.
	if again, st, err := r.compact(ctx, ds, CompactionPolicy{TargetRows: 1 << 20, MaxDeletedFraction: 0.1}); err != nil || again.Version() != ds.Version() {
		t.Errorf("second compaction: %v %v", st, err)
	}
	checkPylanceSearch(t, filepath.Join(dir, "items.lance"), "items_idx", 1998+600, 1998)
}

// checkPylanceSearch has pylance open the dataset, list the index and
// search with it (when LANCEGATE_PYTHON is set; required under make test).
func checkPylanceSearch(t *testing.T, path, index string, rows, indexed int) {
	t.Helper()
	py := os.Getenv("LANCEGATE_PYTHON")
	if py == "" {
		if os.Getenv("LANCEGATE_REQUIRE_INTEROP") == "1" {
			t.Fatal("LANCEGATE_PYTHON is not set")
		}
		return
	}
	script := `import sys, lance
ds = lance.dataset(sys.argv[1])
names = [i["name"] for i in ds.list_indices()]
assert sys.argv[2] in names, names
assert ds.count_rows() == int(sys.argv[3]), ds.count_rows()
q = ds.take([0], columns=["vec"]).column("vec")[0].as_py()
t = ds.to_table(nearest={"column": "vec", "q": q, "k": 5, "nprobes": 8, "refine_factor": 10})
assert t.column("id")[0].as_py() == 0, t.column("id")
st = ds.stats.index_stats(sys.argv[2])
assert st["num_indexed_rows"] == int(sys.argv[4]), st
print(t.num_rows, t.column("id")[0].as_py(), st["num_indexed_rows"], st["num_unindexed_rows"])
`
	out, err := exec.Command(py, "-c", script, path, index, fmt.Sprint(rows), fmt.Sprint(indexed)).CombinedOutput()
	if err != nil {
		t.Fatalf("pylance: %v\n%s", err, out)
	}
	t.Logf("pylance: %s", strings.TrimSpace(string(out)))
}

// TestHNSWIndexRebuild: a declared IVF_HNSW_SQ index is built, and rows
// appended past delta_min_rows are covered by rebuilding it (one segment
// over every fragment), which pylance reads.
func TestHNSWIndexRebuild(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store, err := objstore.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	cat := catalog.New(store, nil)
	const dim = 16
	ds := createItems(t, cat, "items", dim)
	ds, _ = appendClustered(t, ds, 0, 1500, dim, 0, 1)
	spec := indexspec.Spec{Name: "items_hnsw", Column: "vec", Type: indexspec.IVFHNSWSQ, Metric: "l2", NumPartitions: 2, M: 8, EfConstruction: 40}
	val, _ := spec.Encode()
	if ds, err = ds.UpdateConfig(ctx, map[string]string{spec.Key(): val}, nil); err != nil {
		t.Fatal(err)
	}
	p := IndexPolicy{DeltaMinRows: 200, MaxSegments: 8, RetrainDrift: 1.5}
	var st map[string]int64
	if ds, st, err = (IVFPQIndexer{}).BuildIndex(ctx, ds, p); err != nil || st["indexes_built"] != 1 {
		t.Fatalf("build: %v %v", st, err)
	}
	ds, _ = appendClustered(t, ds, 1500, 300, dim, 0, 2)
	if _, ok, _ := (IVFPQIndexer{}).NeedsIndex(ctx, ds, p); !ok {
		t.Fatal("NeedsIndex false with 300 unindexed rows")
	}
	if ds, st, err = (IVFPQIndexer{}).BuildIndex(ctx, ds, p); err != nil || st["rebuilt"] != 1 {
		t.Fatalf("rebuild: %v %v", st, err)
	}
	if segs := segmentsOf(t, ds, "items_hnsw"); len(segs) != 1 || len(segs[0]) != 2 {
		t.Fatalf("segments after the rebuild: %v", segs)
	}
	checkPylanceSearch(t, filepath.Join(dir, "items.lance"), "items_hnsw", 1800, 1800)
}

// TestDeclaredReplacesAutomatic: an automatic index loses a race with
// CREATE INDEX (its commit is exclusive), and a declared index replaces an
// automatic one on its column in the same commit: one index per column.
func TestDeclaredReplacesAutomatic(t *testing.T) {
	ctx := context.Background()
	cat := catalog.New(objstore.NewMemory(), nil)
	const dim = 16
	ds := createItems(t, cat, "items", dim)
	var err error
	ds, _ = appendClustered(t, ds, 0, 1500, dim, 0, 1)
	auto := IndexPolicy{Enabled: true, MinRows: 1000, Metric: distance.L2, NumPartitions: 4, NumSubVectors: 4, DeltaMinRows: 10_000, MaxSegments: 8, RetrainDrift: 1.5}
	ix := IVFPQIndexer{}

	// The automatic build read a version without indexes; meanwhile a
	// declared index was built and committed: the automatic commit fails.
	stale := ds
	spec := indexspec.Spec{Name: "items_vec", Column: "vec", Type: indexspec.IVFPQ, Metric: "l2", NumPartitions: 4, NumSubVectors: 8}
	val, _ := spec.Encode()
	if ds, err = ds.UpdateConfig(ctx, map[string]string{spec.Key(): val}, nil); err != nil {
		t.Fatal(err)
	}
	if ds, _, err = ix.BuildIndex(ctx, ds, IndexPolicy{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ix.BuildIndex(ctx, stale, auto); !lance.IsConflict(err) {
		t.Fatalf("automatic build racing CREATE INDEX: %v, want a conflict", err)
	}

	// The other order: an automatic index exists, then one is declared.
	ds2 := createItems(t, cat, "other", dim)
	ds2, _ = appendClustered(t, ds2, 0, 1500, dim, 0, 2)
	if ds2, _, err = ix.BuildIndex(ctx, ds2, auto); err != nil {
		t.Fatal(err)
	}
	if segs := segmentsOf(t, ds2, "vec_idx"); len(segs) != 1 {
		t.Fatalf("automatic index: %v", segs)
	}
	spec.Name = "other_vec"
	val, _ = spec.Encode()
	if ds2, err = ds2.UpdateConfig(ctx, map[string]string{spec.Key(): val}, nil); err != nil {
		t.Fatal(err)
	}
	if ds2, _, err = ix.BuildIndex(ctx, ds2, auto); err != nil {
		t.Fatal(err)
	}
	infos, _ := ds2.Indexes()
	if len(infos) != 1 || infos[0].Name != "other_vec" {
		t.Fatalf("after the declared build: %+v", infos)
	}
	if _, ok, _ := ix.NeedsIndex(ctx, ds2, auto); ok {
		t.Error("NeedsIndex after the declared index replaced the automatic one")
	}
}

// TestNullFragmentsCovered: fragments whose vectors are all NULL are
// recorded as covered by the index work that read them, so they do not
// ask for work again; a DROP INDEX (the declaration removed) during a
// build makes the build's commit conflict instead of bringing it back.
func TestNullFragmentsCovered(t *testing.T) {
	ctx := context.Background()
	cat := catalog.New(objstore.NewMemory(), nil)
	const dim = 16
	ds := createItems(t, cat, "items", dim)
	schema := ds.Schema().Arrow()
	var err error
	ds, _ = appendClustered(t, ds, 0, 1000, dim, 0, 1)
	spec := indexspec.Spec{Name: "items_vec", Column: "vec", Type: indexspec.IVFPQ, Metric: "l2", NumPartitions: 4, NumSubVectors: 4}
	val, _ := spec.Encode()
	if ds, err = ds.UpdateConfig(ctx, map[string]string{spec.Key(): val}, nil); err != nil {
		t.Fatal(err)
	}
	p := IndexPolicy{DeltaMinRows: 100, MaxSegments: 8, RetrainDrift: 1.5}
	ix := IVFPQIndexer{}
	if ds, _, err = ix.BuildIndex(ctx, ds, p); err != nil {
		t.Fatal(err)
	}
	// 300 rows without embeddings yet.
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	for i := range 300 {
		b.Field(0).(*array.Int64Builder).Append(int64(1000 + i))
		b.Field(1).AppendNull()
	}
	rec := b.NewRecord()
	b.Release()
	rr, _ := array.NewRecordReader(schema, []arrow.Record{rec})
	rec.Release()
	if ds, err = ds.Append(ctx, rr, lance.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	rr.Release()
	if _, ok, _ := ix.NeedsIndex(ctx, ds, p); !ok {
		t.Fatal("NeedsIndex false with 300 unindexed rows")
	}
	if ds, _, err = ix.BuildIndex(ctx, ds, p); err != nil {
		t.Fatal(err)
	}
	if reason, ok, _ := ix.NeedsIndex(ctx, ds, p); ok {
		t.Fatalf("NeedsIndex still true after covering the NULL fragment: %s", reason)
	}
	if segs := segmentsOf(t, ds, "items_vec"); len(segs) != 1 || len(segs[0]) != 2 {
		t.Fatalf("coverage: %v", segs)
	}

	// DROP INDEX while a build runs: the build read the declaration, the
	// drop removed it, the build's commit must not resurrect the index.
	spec.Name = "items_vec2"
	val, _ = spec.Encode()
	ds2 := createItems(t, cat, "other", dim)
	ds2, _ = appendClustered(t, ds2, 0, 1000, dim, 0, 2)
	if ds2, err = ds2.UpdateConfig(ctx, map[string]string{spec.Key(): val}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ds2.UpdateConfig(ctx, nil, []string{spec.Key()}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ix.BuildIndex(ctx, ds2, p); !lance.IsConflict(err) {
		t.Fatalf("build after its declaration was dropped: %v, want a conflict", err)
	}
}
