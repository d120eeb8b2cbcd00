package lance_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/objstore"
)

var benchSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "vec", Type: arrow.FixedSizeListOf(32, arrow.PrimitiveTypes.Float32), Nullable: true},
}, nil)

func benchBatch(mem memory.Allocator, first, n int) arrow.Record {
	b := array.NewRecordBuilder(mem, benchSchema)
	defer b.Release()
	lb := b.Field(2).(*array.FixedSizeListBuilder)
	vb := lb.ValueBuilder().(*array.Float32Builder)
	for i := first; i < first+n; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("item-%08d-%d", i, i%977))
		lb.Append(true)
		for k := 0; k < 32; k++ {
			vb.Append(float32((i*131+k*7)%1000) / 1000)
		}
	}
	return b.NewRecord()
}

// BenchmarkCompact measures compaction in rows per second on a memory
// store: many small appended fragments merged into one, and fragments of
// which every tenth row is deleted rewritten without them.
func BenchmarkCompact(b *testing.B) {
	cases := []struct {
		name           string
		frags, rows    int
		deleteEveryNth int
	}{
		{"small-fragments", 256, 1024, 0},
		{"deletions", 16, 16384, 10},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			mem := memory.NewGoAllocator()
			src := objstore.NewMemory()
			var ds *lance.Dataset
			for f := 0; f < c.frags; f++ {
				rec := benchBatch(mem, f*c.rows, c.rows)
				rr, _ := array.NewRecordReader(benchSchema, []arrow.Record{rec})
				var err error
				if f == 0 {
					ds, err = lance.Create(ctx, src, "b.lance", benchSchema, rr, lance.WriteOptions{})
				} else {
					ds, err = ds.Append(ctx, rr, lance.WriteOptions{})
				}
				rr.Release()
				rec.Release()
				if err != nil {
					b.Fatal(err)
				}
			}
			if c.deleteEveryNth > 0 {
				del := map[uint64]*roaring.Bitmap{}
				for _, f := range ds.Fragments() {
					bm := roaring.New()
					for r := 0; r < c.rows; r += c.deleteEveryNth {
						bm.Add(uint32(r))
					}
					del[f.ID] = bm
				}
				var err error
				if ds, err = ds.Delete(ctx, del, "bench"); err != nil {
					b.Fatal(err)
				}
			}
			live := ds.CountRows()
			for b.Loop() {
				b.StopTimer()
				store := copyStore(b, src, "b.lance/")
				fresh, err := lance.Open(ctx, store, "b.lance")
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				got, stats, err := fresh.Compact(ctx, lance.CompactOptions{})
				if err != nil {
					b.Fatal(err)
				}
				if stats.RowsRewritten != live || got.CountRows() != live {
					b.Fatalf("compaction rewrote %d rows; want %d", stats.RowsRewritten, live)
				}
			}
			b.ReportMetric(float64(live)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// copyStore copies the objects under prefix into a new memory store.
func copyStore(b *testing.B, src objstore.Store, prefix string) objstore.Store {
	b.Helper()
	ctx := context.Background()
	dst := objstore.NewMemory()
	for info, err := range src.List(ctx, prefix) {
		if err != nil {
			b.Fatal(err)
		}
		data, err := objstore.ReadAll(ctx, src, info.Key)
		if err != nil {
			b.Fatal(err)
		}
		if err := dst.Put(ctx, info.Key, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
	return dst
}
