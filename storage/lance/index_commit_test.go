package lance_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/objstore"
	"github.com/lancegate/lancegate/storage/objstore/objstoretest"
)

// TestCommitIndex records an index, checks the listing, that Append keeps
// it and a concurrent append is rebased over, and the refusals.
func TestCommitIndex(t *testing.T) { objstoretest.EachBackend(t, testCommitIndex) }

func testCommitIndex(t *testing.T, store objstore.Store) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var rs readers
	defer rs.release()
	ctx := context.Background()
	ds, err := lance.Create(ctx, store, "t.lance", testSchema, rs.of(t, rows(mem, 0, 25)), lance.WriteOptions{MaxRowsPerFile: 10})
	if err != nil {
		t.Fatal(err)
	}
	vec := ds.Schema().FieldID(ds.Schema().Index("v"))
	ni := lance.NewIndex{
		Name: "v_idx", UUID: "b5051123-42e3-4293-9cbe-5584c280275f", FieldID: vec, Fragments: []uint32{0, 1, 2},
		DetailsTypeURL: "/lance.index.pb.VectorIndexDetails", DetailsValue: []byte{0x22, 0x04, 0x08, 0x08, 0x10, 0x01},
		Files: []lance.IndexFile{{Path: "auxiliary.idx", Size: 10}, {Path: "index.idx", Size: 20}},
	}
	// A concurrent append lands first: the index is rebased over it and
	// does not cover the new fragment.
	other, err := ds.Append(ctx, rs.of(t, rows(mem, 25, 5)), lance.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ds.CommitIndex(ctx, ni)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version() != other.Version()+1 || len(got.Fragments()) != 4 {
		t.Fatalf("version %d with %d fragments", got.Version(), len(got.Fragments()))
	}
	reopened, err := lance.Open(ctx, store, "t.lance")
	if err != nil {
		t.Fatal(err)
	}
	infos, err := reopened.Indexes()
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 {
		t.Fatalf("%d indexes", len(infos))
	}
	in := infos[0]
	if in.Name != ni.Name || in.UUID != ni.UUID || !slices.Equal(in.Fields, []int32{vec}) || in.DatasetVersion != ds.Version() ||
		!slices.Equal(in.Fragments, []uint32{0, 1, 2}) || in.TypeURL != ni.DetailsTypeURL || in.IndexVersion != 1 || !slices.Equal(in.Files, ni.Files) {
		t.Errorf("listed %+v", in)
	}
	// Appends keep the section.
	after, err := reopened.Append(ctx, rs.of(t, rows(mem, 30, 5)), lance.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if infos, err := after.Indexes(); err != nil || len(infos) != 1 {
		t.Errorf("after append: %v, %v", infos, err)
	}

	// A delta of the same name over fragment 3 is accepted; overlapping is not.
	delta := ni
	delta.UUID, delta.Fragments = "00000000-0000-4000-8000-000000000001", []uint32{3}
	after, err = after.CommitIndex(ctx, delta)
	if err != nil {
		t.Fatal(err)
	}
	dup := ni
	dup.UUID = "00000000-0000-4000-8000-000000000002"
	if _, err := after.CommitIndex(ctx, dup); !lance.IsConflict(err) {
		t.Errorf("overlapping index of the same name: %v", err)
	}
	bad := ni
	bad.Fragments = []uint32{99}
	if _, err := after.CommitIndex(ctx, bad); err == nil {
		t.Error("missing fragment accepted")
	}
	bad = ni
	bad.FieldID = 999
	if _, err := after.CommitIndex(ctx, bad); !errors.Is(err, lance.ErrNoColumn) {
		t.Errorf("unknown field: %v", err)
	}
	bad = ni
	bad.UUID = "nope"
	if _, err := after.CommitIndex(ctx, bad); err == nil {
		t.Error("bad uuid accepted")
	}

	// A delete in a covered fragment committed first conflicts.
	base := after
	if _, err := base.Delete(ctx, map[uint64]*roaring.Bitmap{1: roaring.BitmapOf(0)}, "id = 10"); err != nil {
		t.Fatal(err)
	}
	other2 := ni
	other2.Name, other2.UUID = "other_idx", "00000000-0000-4000-8000-000000000003"
	if _, err := base.CommitIndex(ctx, other2); !lance.IsConflict(err) {
		t.Errorf("index over a concurrently deleted-from fragment: %v", err)
	}
}
