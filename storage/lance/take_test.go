package lance_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/objstore"
	"github.com/lancegate/lancegate/storage/objstore/objstoretest"
)

// TestTake reads rows by address across fragments and pages, with and
// without a page cache, and checks LiveRows against deletions.
func TestTake(t *testing.T) { objstoretest.EachBackend(t, testTake) }

func testTake(t *testing.T, store objstore.Store) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var rs readers
	defer rs.release()
	ctx := context.Background()
	// 3 fragments of 400 rows, small pages so that a fragment has several.
	ds, err := lance.Create(ctx, store, "t.lance", testSchema, rs.of(t, rows(mem, 0, 1200)), lance.WriteOptions{MaxRowsPerFile: 400, PageBytes: 1024})
	if err != nil {
		t.Fatal(err)
	}
	ds, err = ds.Delete(ctx, map[uint64]*roaring.Bitmap{1: roaring.BitmapOf(5)}, "id = 405")
	if err != nil {
		t.Fatal(err)
	}
	addrs := []uint64{2<<32 | 399, 0<<32 | 7, 1<<32 | 5, 0<<32 | 7, 0<<32 | 250, 2<<32 | 0}
	want := []int64{7, 250, 405, 800, 1199} // ascending address order, deduplicated
	cache := lance.NewPageCache(1 << 20)
	for _, c := range []lance.PageCache{nil, cache, cache} {
		rec, err := ds.Take(ctx, addrs, lance.TakeOptions{Columns: []int{2, 0}, WithRowAddress: true, Mem: mem, Cache: c})
		if err != nil {
			t.Fatal(err)
		}
		if rec.NumRows() != int64(len(want)) || rec.NumCols() != 3 {
			t.Fatalf("take: %d rows, %d columns", rec.NumRows(), rec.NumCols())
		}
		ids := rec.Column(1).(*array.Int64)
		vecs := rec.Column(0).(*array.FixedSizeList).ListValues().(*array.Float32)
		addr := rec.Column(2).(*array.Uint64)
		for i, id := range want {
			if ids.Value(i) != id || vecs.Value(2*i) != float32(id) || vecs.Value(2*i+1) != -float32(id) {
				t.Errorf("row %d: id %d vector %v,%v; want %d", i, ids.Value(i), vecs.Value(2*i), vecs.Value(2*i+1), id)
			}
			if got := addr.Value(i); got != uint64(id/400)<<32|uint64(id%400) {
				t.Errorf("row %d: address %#x", i, got)
			}
		}
		rec.Release()
	}
	st := cache.Stats()
	if st.Hits == 0 || st.Misses == 0 || st.Bytes <= 0 {
		t.Errorf("cache stats after a repeated take: %+v", st)
	}
	// Name and null handling: row 250 has a name, row 800 a null name (every 10th).
	rec, err := ds.Take(ctx, []uint64{0<<32 | 251, 2<<32 | 0}, lance.TakeOptions{Columns: []int{1}, Mem: mem, Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	names := rec.Column(0).(*array.String)
	if names.Value(0) != "n251" || !names.IsNull(1) {
		t.Errorf("names: %q null=%v", names.Value(0), names.IsNull(1))
	}
	rec.Release()
	// Errors: unknown fragment, offset past the end.
	for _, bad := range []uint64{9 << 32, 0<<32 | 400} {
		if rec, err := ds.Take(ctx, []uint64{bad}, lance.TakeOptions{Mem: mem}); err == nil {
			rec.Release()
			t.Errorf("take %#x: no error", bad)
		}
	}
	// An empty take is an empty record of the right shape.
	rec, err = ds.Take(ctx, nil, lance.TakeOptions{Columns: []int{0}, Mem: mem})
	if err != nil || rec.NumRows() != 0 || rec.NumCols() != 1 {
		t.Fatalf("empty take: %v", err)
	}
	rec.Release()

	live, err := ds.LiveRows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[uint64]bool{0: true, 1<<32 | 4: true, 1<<32 | 5: false, 2<<32 | 399: true, 2<<32 | 400: false, 3 << 32: false} {
		if live.Contains(addr) != want {
			t.Errorf("LiveRows.Contains(%s) = %v", fmt.Sprintf("%d:%d", addr>>32, addr&0xffffffff), !want)
		}
	}
}

// TestPageCacheEviction bounds the cache by bytes.
func TestPageCacheEviction(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var rs readers
	defer rs.release()
	ctx := context.Background()
	ds, err := lance.Create(ctx, objstore.NewMemory(), "t.lance", testSchema, rs.of(t, rows(mem, 0, 2000)), lance.WriteOptions{PageBytes: 1024})
	if err != nil {
		t.Fatal(err)
	}
	cache := lance.NewPageCache(40 << 10)
	for i := uint64(0); i < 2000; i += 37 {
		rec, err := ds.Take(ctx, []uint64{i}, lance.TakeOptions{Columns: []int{0, 2}, Mem: mem, Cache: cache})
		if err != nil {
			t.Fatal(err)
		}
		if got := rec.Column(0).(*array.Int64).Value(0); got != int64(i) {
			t.Fatalf("take %d: id %d", i, got)
		}
		rec.Release()
	}
	st := cache.Stats()
	if st.Bytes > 40<<10 || st.Evictions == 0 || st.Entries == 0 {
		t.Errorf("after taking across 2000 rows with a 40 KiB cache: %+v", st)
	}
}
