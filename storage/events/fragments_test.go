package events_test

import (
	"reflect"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/events"
	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/objstore"
)

var idSchema = arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)

// idRows returns a reader of ids [first, first+n).
func idRows(t *testing.T, mem memory.Allocator, first, n int) array.RecordReader {
	t.Helper()
	b := array.NewRecordBuilder(mem, idSchema)
	defer b.Release()
	for i := first; i < first+n; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
	}
	rec := b.NewRecord()
	defer rec.Release()
	rr, err := array.NewRecordReader(idSchema, []arrow.Record{rec})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rr.Release)
	return rr
}

func fragmentIDs(ds *lance.Dataset) []uint64 {
	var ids []uint64
	for _, f := range ds.Fragments() {
		ids = append(ids, f.ID)
	}
	return ids
}

func TestChangedFragments(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	t.Cleanup(func() { mem.AssertSize(t, 0) }) // after the readers' cleanups
	store := objstore.NewMemory()
	opts := lance.WriteOptions{MaxRowsPerFile: 10}

	v1, err := lance.Create(ctx, store, "t.lance", idSchema, idRows(t, mem, 0, 25), opts)
	if err != nil {
		t.Fatal(err)
	}
	v2, err := v1.Append(ctx, idRows(t, mem, 25, 5), opts)
	if err != nil {
		t.Fatal(err)
	}
	target := fragmentIDs(v1)[1]
	v3, err := v2.Delete(ctx, map[uint64]*roaring.Bitmap{target: roaring.BitmapOf(0)}, "id = 10")
	if err != nil {
		t.Fatal(err)
	}
	added := fragmentIDs(v2)[len(fragmentIDs(v2))-1]

	tests := []struct {
		name       string
		prev, next *lance.Dataset
		want       []uint64
	}{
		{"create", nil, v1, fragmentIDs(v1)},
		{"append", v1, v2, []uint64{added}},
		{"delete", v2, v3, []uint64{target}},
		{"no change", v3, v3, nil},
		{"drop", v3, nil, nil},
	}
	for _, tt := range tests {
		if got := events.ChangedFragments(tt.prev, tt.next); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: ChangedFragments = %v; want %v", tt.name, got, tt.want)
		}
	}
}

// TestFromCommit: the event of a create, an append and a drop.
func TestFromCommit(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := objstore.NewMemory()
	v1, err := lance.Create(ctx, store, "t.lance", idSchema, idRows(t, memory.DefaultAllocator, 0, 3), lance.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := v1.Append(ctx, idRows(t, memory.DefaultAllocator, 3, 2), lance.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	create := events.FromCommit("t", "memory://t.lance", events.OpCreate, "node", nil, v1)
	if create.Version != v1.Version() || create.PrevVersion != 0 || !create.Time.Equal(v1.Timestamp()) || !reflect.DeepEqual(create.Fragments, fragmentIDs(v1)) {
		t.Errorf("create = %+v", create)
	}
	app := events.FromCommit("t", "memory://t.lance", events.OpAppend, "node", v1, v2)
	if app.Version != v2.Version() || app.PrevVersion != v1.Version() || len(app.Fragments) != 1 || app.URI != "memory://t.lance" || app.Source != "node" {
		t.Errorf("append = %+v", app)
	}
	drop := events.FromCommit("t", "memory://t.lance", events.OpDrop, "node", v2, nil)
	if drop.Version != 0 || drop.PrevVersion != v2.Version() || drop.Fragments != nil || drop.Time.IsZero() {
		t.Errorf("drop = %+v", drop)
	}
}
