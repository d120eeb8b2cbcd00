package agent

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/catalog"
	"github.com/lancegate/lancegate/storage/index/distance"
	"github.com/lancegate/lancegate/storage/index/lanceindex"
	"github.com/lancegate/lancegate/storage/jobs"
	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/objstore"
)

// vectorTable creates table name with n rows of an id and a dim-d vector
// (every 50th null), appended in batches of per rows.
func vectorTable(t *testing.T, cat *catalog.Catalog, name string, n, dim, per int) {
	t.Helper()
	ctx := context.Background()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "vec", Type: arrow.FixedSizeListOf(int32(dim), arrow.PrimitiveTypes.Float32), Nullable: true},
	}, nil)
	ds, err := cat.Create(ctx, name, schema, "")
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	for first := 0; first < n; first += per {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for i := first; i < min(n, first+per); i++ {
			b.Field(0).(*array.Int64Builder).Append(int64(i))
			lb := b.Field(1).(*array.FixedSizeListBuilder)
			vb := lb.ValueBuilder().(*array.Float32Builder)
			if i%50 == 0 {
				lb.AppendNull()
				for range dim {
					vb.Append(0)
				}
				continue
			}
			lb.Append(true)
			c := float32(i % 7 * 10)
			for range dim {
				vb.Append(c + float32(r.NormFloat64()))
			}
		}
		rec := b.NewRecord()
		b.Release()
		rr, _ := array.NewRecordReader(schema, []arrow.Record{rec})
		rec.Release()
		if ds, err = ds.Append(ctx, rr, lance.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		rr.Release()
	}
}

// TestIndexJob: with the index policy on, a table over the threshold gets
// an IVF_PQ index on its vector column from an agent job; the index covers
// every fragment, searches, and is not built twice.
func TestIndexJob(t *testing.T) {
	ctx := context.Background()
	store := objstore.NewMemory()
	cat := catalog.New(store, nil)
	vectorTable(t, cat, "docs", 3000, 16, 1000)
	vectorTable(t, cat, "small", 500, 16, 500)
	p := testPolicy()
	p.Compaction.Enabled = false
	p.Index = IndexPolicy{Enabled: true, MinRows: 1000, Metric: distance.L2, NumPartitions: 4, NumSubVectors: 4}
	runner := NewRunner(cat, RunnerConfig{Policy: p, Logger: quiet, Indexer: IVFPQIndexer{}})
	a := New(cat, nil, NewInProcess(runner, quiet), Config{Policy: p, Logger: quiet, Indexer: IVFPQIndexer{}})

	launched, err := a.Reconcile(ctx, "docs", false)
	if err != nil || len(launched) != 1 || launched[0].Type != JobIndex {
		t.Fatalf("Reconcile(docs) launched %+v, %v", launched, err)
	}
	rec, err := jobs.NewHistory(store).Get(ctx, launched[0].ID)
	if err != nil || rec.State != jobs.Succeeded || rec.Stats["indexes_built"] != 1 || rec.Stats["rows_indexed"] != 3000-60 {
		t.Fatalf("job record %+v, %v", rec, err)
	}
	ds, err := cat.Open(ctx, "docs")
	if err != nil {
		t.Fatal(err)
	}
	infos, err := ds.Indexes()
	if err != nil || len(infos) != 1 || infos[0].Name != "vec_idx" || len(infos[0].Fragments) != 3 {
		t.Fatalf("indexes %+v, %v", infos, err)
	}
	ix, err := lanceindex.OpenIVFPQ(ctx, ds, infos[0])
	if err != nil {
		t.Fatal(err)
	}
	q := make([]float32, 16)
	for i := range q {
		q[i] = 30
	}
	hits, err := ix.Search(q, 5, 2)
	if err != nil || len(hits) != 5 {
		t.Fatalf("search: %v, %v", hits, err)
	}
	if again, err := a.Reconcile(ctx, "docs", false); err != nil || len(again) != 0 {
		t.Fatalf("second Reconcile launched %+v, %v", again, err)
	}
	if small, err := a.Reconcile(ctx, "small", false); err != nil || len(small) != 0 {
		t.Fatalf("a table under the threshold got %+v, %v", small, err)
	}
}
