package lance_test

import (
	"context"
	"errors"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/objstore"
)

// TestUpdateConfigAndDropIndex: config updates commit and rebase over
// data changes (and data changes over them); two updates of one key
// conflict; DropIndex removes every delta of an index.
func TestUpdateConfigAndDropIndex(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var rs readers
	defer rs.release()
	ctx := context.Background()
	store := objstore.NewMemory()
	base, err := lance.Create(ctx, store, "t.lance", testSchema, rs.of(t, rows(mem, 0, 20)), lance.WriteOptions{MaxRowsPerFile: 10})
	if err != nil {
		t.Fatal(err)
	}
	// A delete lands first; the config update rebases over it.
	if _, err := base.Delete(ctx, map[uint64]*roaring.Bitmap{0: roaring.BitmapOf(1)}, "id = 1"); err != nil {
		t.Fatal(err)
	}
	ds, err := base.UpdateConfig(ctx, map[string]string{"lancegate.a": "1", "lancegate.b": "2"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Config()["lancegate.a"] != "1" || ds.CountRows() != 19 {
		t.Fatalf("config %v, %d rows", ds.Config(), ds.CountRows())
	}
	// A delete based on the version before the config update rebases over it.
	del, err := base.Delete(ctx, map[uint64]*roaring.Bitmap{1: roaring.BitmapOf(0)}, "id = 10")
	if err == nil {
		if del.Config()["lancegate.a"] != "1" {
			t.Errorf("delete rebased over the config update lost it: %v", del.Config())
		}
	} else if !errors.Is(err, lance.ErrCommitConflict) {
		t.Fatal(err)
	}
	// Two updates of one key from one base: the second conflicts.
	cur, err := lance.Open(ctx, store, "t.lance")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cur.UpdateConfig(ctx, map[string]string{"lancegate.b": "3"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := cur.UpdateConfig(ctx, nil, []string{"lancegate.b"}); !errors.Is(err, lance.ErrCommitConflict) {
		t.Errorf("second update of lancegate.b: %v, want a conflict", err)
	}
	// Other keys rebase.
	cur, err = cur.UpdateConfig(ctx, nil, []string{"lancegate.a"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cur.Config()["lancegate.a"]; ok || cur.Config()["lancegate.b"] != "3" {
		t.Errorf("config after delete of a: %v", cur.Config())
	}

	// DropIndex removes both deltas of v_idx and keeps other indexes.
	vec := cur.Schema().FieldID(cur.Schema().Index("v"))
	for i, ni := range []lance.NewIndex{
		{Name: "v_idx", UUID: "b5051123-42e3-4293-9cbe-5584c280275f", Fragments: []uint32{0}},
		{Name: "v_idx", UUID: "00000000-0000-4000-8000-000000000001", Fragments: []uint32{1}},
		{Name: "other", UUID: "00000000-0000-4000-8000-000000000002", Fragments: []uint32{0, 1}},
	} {
		ni.FieldID, ni.DetailsTypeURL = vec, "/lance.index.pb.VectorIndexDetails"
		if cur, err = cur.CommitIndex(ctx, ni); err != nil {
			t.Fatalf("index %d: %v", i, err)
		}
	}
	dropped, err := cur.DropIndex(ctx, "v_idx")
	if err != nil {
		t.Fatal(err)
	}
	infos, err := dropped.Indexes()
	if err != nil || len(infos) != 1 || infos[0].Name != "other" {
		t.Fatalf("after drop: %+v, %v", infos, err)
	}
	if _, err := dropped.DropIndex(ctx, "v_idx"); !errors.Is(err, lance.ErrNotFound) {
		t.Errorf("second drop: %v", err)
	}
	// Dropping from a stale version after a concurrent drop: not found.
	if _, err := cur.DropIndex(ctx, "v_idx"); !errors.Is(err, lance.ErrNotFound) && !errors.Is(err, lance.ErrCommitConflict) {
		t.Errorf("concurrent drop: %v", err)
	}
}
