package lance_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/objstore"
	"github.com/lancegate/lancegate/storage/objstore/objstoretest"
)

var testSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "v", Type: arrow.FixedSizeListOf(2, arrow.PrimitiveTypes.Float32), Nullable: true},
}, nil)

// rows makes ids [first, first+n) with derived values; every 10th name is null.
func rows(mem memory.Allocator, first, n int) arrow.Record {
	b := array.NewRecordBuilder(mem, testSchema)
	defer b.Release()
	for i := first; i < first+n; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		if i%10 == 0 {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.StringBuilder).Append(fmt.Sprint("n", i))
		}
		lb := b.Field(2).(*array.FixedSizeListBuilder)
		lb.Append(true)
		lb.ValueBuilder().(*array.Float32Builder).AppendValues([]float32{float32(i), -float32(i)}, nil)
	}
	return b.NewRecord()
}

// reader wraps records in a RecordReader released at the end of the test
// function's defers.
type readers struct{ rs []array.RecordReader }

func (r *readers) of(t *testing.T, recs ...arrow.Record) array.RecordReader {
	t.Helper()
	rr, err := array.NewRecordReader(recs[0].Schema(), recs)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		rec.Release()
	}
	r.rs = append(r.rs, rr)
	return rr
}

func (r *readers) release() {
	for _, rr := range r.rs {
		rr.Release()
	}
}

// scanIDs returns the ids a full scan of ds yields, in order.
func scanIDs(t *testing.T, mem memory.Allocator, ds *lance.Dataset) []int64 {
	t.Helper()
	sc, err := ds.Scan(lance.ScanOptions{Mem: mem, BatchRows: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	var out []int64
	for {
		rec, err := sc.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rec.Column(0).(*array.Int64).Int64Values()...)
		rec.Release()
	}
}

func seq(from, to int) []int64 {
	var out []int64
	for i := from; i < to; i++ {
		out = append(out, int64(i))
	}
	return out
}

func equalIDs(t *testing.T, what string, got, want []int64) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: ids %v; want %v", what, got, want)
	}
}

func TestCreateAppendScanTimeTravel(t *testing.T) {
	objstoretest.EachBackend(t, testCreateAppendScanTimeTravel)
}

func testCreateAppendScanTimeTravel(t *testing.T, store objstore.Store) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var rs readers
	defer rs.release()
	ctx := context.Background()

	ds, err := lance.Create(ctx, store, "t.lance", testSchema, rs.of(t, rows(mem, 0, 25)), lance.WriteOptions{MaxRowsPerFile: 10})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Version() != 1 || len(ds.Fragments()) != 3 || ds.CountRows() != 25 {
		t.Fatalf("created version %d with %d fragments and %d rows; want 1, 3, 25", ds.Version(), len(ds.Fragments()), ds.CountRows())
	}
	t1 := ds.Timestamp()
	if _, err := lance.Create(ctx, store, "t.lance", testSchema, nil, lance.WriteOptions{}); !errors.Is(err, lance.ErrExists) {
		t.Errorf("second Create: %v; want ErrExists", err)
	}
	ds, err = ds.Append(ctx, rs.of(t, rows(mem, 25, 5)), lance.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	equalIDs(t, "latest", scanIDs(t, mem, ds), seq(0, 30))
	if got := ds.Fragments()[3].ID; got != 3 {
		t.Errorf("appended fragment id %d; want 3", got)
	}

	v1, err := lance.OpenVersion(ctx, store, "t.lance", 1)
	if err != nil {
		t.Fatal(err)
	}
	equalIDs(t, "version 1", scanIDs(t, mem, v1), seq(0, 25))
	asOf, err := lance.OpenAsOf(ctx, store, "t.lance", t1)
	if err != nil {
		t.Fatal(err)
	}
	if asOf.Version() != 1 {
		t.Errorf("OpenAsOf(first commit time) = version %d; want 1", asOf.Version())
	}
	if _, err := lance.OpenAsOf(ctx, store, "t.lance", t1.Add(-time.Hour)); !errors.Is(err, lance.ErrNotFound) {
		t.Errorf("OpenAsOf(before creation): %v; want ErrNotFound", err)
	}
	if _, err := lance.OpenVersion(ctx, store, "t.lance", 9); !errors.Is(err, lance.ErrNotFound) {
		t.Errorf("OpenVersion(9): %v; want ErrNotFound", err)
	}
	vs, err := lance.ListVersions(ctx, store, "t.lance")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || vs[0].Operation != "Overwrite" || vs[1].Operation != "Append" || vs[1].Rows != 30 {
		t.Errorf("ListVersions = %+v", vs)
	}
	if _, err := lance.Open(ctx, store, "missing.lance"); !errors.Is(err, lance.ErrNotFound) {
		t.Errorf("Open(missing): %v; want ErrNotFound", err)
	}
}

func TestDeleteUpdateOverwrite(t *testing.T) { objstoretest.EachBackend(t, testDeleteUpdateOverwrite) }

func testDeleteUpdateOverwrite(t *testing.T, store objstore.Store) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var rs readers
	defer rs.release()
	ctx := context.Background()
	ds, err := lance.Create(ctx, store, "t.lance", testSchema, rs.of(t, rows(mem, 0, 20)), lance.WriteOptions{MaxRowsPerFile: 10})
	if err != nil {
		t.Fatal(err)
	}
	// Delete rows 3 and 4 of fragment 0 and all of fragment 1.
	ds, err = ds.Delete(ctx, map[uint64]*roaring.Bitmap{0: roaring.BitmapOf(3, 4), 1: roaring.BitmapOf(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)}, "id in (3, 4) or id >= 10")
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{0, 1, 2, 5, 6, 7, 8, 9}
	equalIDs(t, "after delete", scanIDs(t, mem, ds), want)
	if len(ds.Fragments()) != 1 || ds.CountRows() != 8 || ds.Fragments()[0].DeletedRows != 2 {
		t.Errorf("after delete: %d fragments, %d rows", len(ds.Fragments()), ds.CountRows())
	}
	// Deleting rows already deleted changes nothing and commits nothing.
	same, err := ds.Delete(ctx, map[uint64]*roaring.Bitmap{0: roaring.BitmapOf(3)}, "noop")
	if err != nil || same.Version() != ds.Version() {
		t.Errorf("no-op delete: version %d, %v; want %d", same.Version(), err, ds.Version())
	}
	if _, err := ds.Delete(ctx, map[uint64]*roaring.Bitmap{0: roaring.BitmapOf(10)}, "bad"); err == nil {
		t.Error("delete of row 10 of a 10-row fragment succeeded")
	}
	// Update: delete 0 and 1, add 100..101, one version.
	before := ds.Version()
	ds, err = ds.Update(ctx, map[uint64]*roaring.Bitmap{0: roaring.BitmapOf(0, 1)}, rs.of(t, rows(mem, 100, 2)), lance.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Version() != before+1 {
		t.Errorf("update made version %d; want %d", ds.Version(), before+1)
	}
	equalIDs(t, "after update", scanIDs(t, mem, ds), []int64{2, 5, 6, 7, 8, 9, 100, 101})
	if got := ds.Fragments()[1].ID; got != 2 {
		t.Errorf("update's new fragment has id %d; want 2 (ids are never reused)", got)
	}
	// Overwrite (TRUNCATE): fragment ids restart at 0.
	ds, err = ds.Overwrite(ctx, rs.of(t, rows(mem, 50, 3)), lance.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	equalIDs(t, "after overwrite", scanIDs(t, mem, ds), seq(50, 53))
	if ds.Fragments()[0].ID != 0 {
		t.Errorf("overwrite fragment id %d; want 0", ds.Fragments()[0].ID)
	}
	empty, err := ds.Overwrite(ctx, nil, lance.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if empty.CountRows() != 0 || len(scanIDs(t, mem, empty)) != 0 {
		t.Errorf("truncated table has %d rows", empty.CountRows())
	}
}

func TestSchemaEvolution(t *testing.T) { objstoretest.EachBackend(t, testSchemaEvolution) }

func testSchemaEvolution(t *testing.T, store objstore.Store) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var rs readers
	defer rs.release()
	ctx := context.Background()
	ds, err := lance.Create(ctx, store, "t.lance", testSchema, rs.of(t, rows(mem, 0, 5)), lance.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ds, err = ds.AddColumns(ctx, []arrow.Field{{Name: "extra", Type: arrow.PrimitiveTypes.Float64, Nullable: true}})
	if err != nil {
		t.Fatal(err)
	}
	if got := ds.Schema().Arrow().NumFields(); got != 4 {
		t.Fatalf("%d columns after add; want 4", got)
	}
	if id := ds.Schema().FieldID(3); id != 3 {
		t.Errorf("new field id %d; want 3", id)
	}
	sc, err := ds.Scan(lance.ScanOptions{Mem: mem})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := sc.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Column(3).NullN() != 5 {
		t.Errorf("added column has %d nulls in 5 old rows; want 5", rec.Column(3).NullN())
	}
	rec.Release()
	sc.Close()
	if _, err := ds.AddColumns(ctx, []arrow.Field{{Name: "nn", Type: arrow.PrimitiveTypes.Int64}}); !errors.Is(err, lance.ErrNullViolation) {
		t.Errorf("adding a non-nullable column: %v; want ErrNullViolation", err)
	}
	if _, err := ds.AddColumns(ctx, []arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}); !errors.Is(err, lance.ErrColumnExists) {
		t.Errorf("adding an existing column: %v; want ErrColumnExists", err)
	}
	ds, err = ds.DropColumns(ctx, []string{"name"})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%s %d", ds.Schema().Arrow().Field(1).Name, ds.Schema().Arrow().NumFields()); got != "v 3" {
		t.Errorf("after drop: %s", got)
	}
	equalIDs(t, "after drop", scanIDs(t, mem, ds), seq(0, 5))
	// A re-added column gets a fresh id: the dropped one's stays retired.
	ds, err = ds.AddColumns(ctx, []arrow.Field{{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true}})
	if err != nil {
		t.Fatal(err)
	}
	if id := ds.Schema().FieldID(3); id != 4 {
		t.Errorf("re-added column has field id %d; want 4", id)
	}
	if _, err := ds.DropColumns(ctx, []string{"nope"}); !errors.Is(err, lance.ErrNoColumn) {
		t.Errorf("drop of a missing column: %v; want ErrNoColumn", err)
	}
}

// TestConcurrentAppendsLinear races 16 appenders on one dataset: every append
// lands exactly once and the history is 1..N with no gap.
func TestConcurrentAppendsLinear(t *testing.T) {
	objstoretest.EachBackend(t, testConcurrentAppendsLinear)
}

func testConcurrentAppendsLinear(t *testing.T, store objstore.Store) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	seed := rows(mem, -1, 1)
	rr, _ := array.NewRecordReader(testSchema, []arrow.Record{seed})
	base, err := lance.Create(ctx, store, "t.lance", testSchema, rr, lance.WriteOptions{})
	rr.Release()
	seed.Release()
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 16, 2
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				rec := rows(mem, (w*each+i)*3, 3)
				rr, _ := array.NewRecordReader(testSchema, []arrow.Record{rec})
				// Every writer starts from the same old snapshot: each
				// commit must rebase over the others.
				_, err := base.Append(ctx, rr, lance.WriteOptions{})
				rr.Release()
				rec.Release()
				if err != nil {
					errs <- err
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	ds, err := lance.Open(ctx, store, "t.lance")
	if err != nil {
		t.Fatal(err)
	}
	if ds.Version() != 1+writers*each {
		t.Errorf("version %d; want %d", ds.Version(), 1+writers*each)
	}
	got := map[int64]int{}
	for _, id := range scanIDs(t, mem, ds) {
		got[id]++
	}
	if len(got) != 1+writers*each*3 {
		t.Errorf("%d distinct ids; want %d", len(got), 1+writers*each*3)
	}
	for id, n := range got {
		if n != 1 {
			t.Errorf("id %d seen %d times", id, n)
		}
	}
}

// TestOverwriteRacesAppend: an append whose snapshot predates a committed
// overwrite must fail with a conflict rather than resurrect old data.
func TestOverwriteRacesAppend(t *testing.T) { objstoretest.EachBackend(t, testOverwriteRacesAppend) }

func testOverwriteRacesAppend(t *testing.T, store objstore.Store) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var rs readers
	defer rs.release()
	ctx := context.Background()
	base, err := lance.Create(ctx, store, "t.lance", testSchema, rs.of(t, rows(mem, 0, 3)), lance.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := base.Overwrite(ctx, rs.of(t, rows(mem, 10, 2)), lance.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = base.Append(ctx, rs.of(t, rows(mem, 20, 2)), lance.WriteOptions{})
	if !errors.Is(err, lance.ErrCommitConflict) {
		t.Fatalf("append over an overwrite: %v; want ErrCommitConflict", err)
	}
	ds, err := lance.Open(ctx, store, "t.lance")
	if err != nil {
		t.Fatal(err)
	}
	equalIDs(t, "after the race", scanIDs(t, mem, ds), []int64{10, 11})
	// The failed append left no files behind.
	n := 0
	for range store.List(ctx, "t.lance/data/") {
		n++
	}
	if n != 2 {
		t.Errorf("%d data files; want 2 (create + overwrite; the failed append's removed)", n)
	}
	// Two deletes from the same snapshot: the second conflicts.
	ds2, err := lance.Open(ctx, store, "t.lance")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ds2.Delete(ctx, map[uint64]*roaring.Bitmap{0: roaring.BitmapOf(0)}, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := ds2.Delete(ctx, map[uint64]*roaring.Bitmap{0: roaring.BitmapOf(1)}, "b"); !errors.Is(err, lance.ErrCommitConflict) {
		t.Errorf("second delete from a stale snapshot: %v; want ErrCommitConflict", err)
	}
}

// failingStore fails every conditional create, as a store that lost its
// connection would.
type failingStore struct {
	objstore.Store
}

func (f failingStore) PutIfAbsent(context.Context, string, []byte) error {
	return errors.New("connection reset")
}

func TestFailedCommitKeepsPreviousVersion(t *testing.T) {
	objstoretest.EachBackend(t, testFailedCommitKeepsPreviousVersion)
}

func testFailedCommitKeepsPreviousVersion(t *testing.T, store objstore.Store) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var rs readers
	defer rs.release()
	ctx := context.Background()
	if _, err := lance.Create(ctx, store, "t.lance", testSchema, rs.of(t, rows(mem, 0, 3)), lance.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	broken, err := lance.Open(ctx, failingStore{store}, "t.lance")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := broken.Append(ctx, rs.of(t, rows(mem, 3, 3)), lance.WriteOptions{}); err == nil {
		t.Fatal("append through a failing store succeeded")
	}
	ds, err := lance.Open(ctx, store, "t.lance")
	if err != nil {
		t.Fatal(err)
	}
	if ds.Version() != 1 {
		t.Errorf("version %d after a failed commit; want 1", ds.Version())
	}
	equalIDs(t, "after failed commit", scanIDs(t, mem, ds), seq(0, 3))
}
