package blockcache

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/lancegate/lancegate/storage/objstore"
)

// TestManifests: a manifest read under the ETag its listing reported is
// served from memory; one replaced by another node (a table dropped and
// created again) is read anew, because its listing shows a new ETag; a
// manifest never listed or stated is not cached.
func TestManifests(t *testing.T) {
	ctx := context.Background()
	inner := &counting{Store: objstore.NewMemory()}
	const key = "db/t.lance/_versions/1.manifest"
	v1, v2 := []byte("manifest one"), []byte("manifest two!")
	putObj(t, inner, key, v1)
	m := NewManifests(inner, 0)
	list := func() {
		for _, err := range m.List(ctx, "db/t.lance/_versions/") {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	read := func(off, length int64, want []byte) {
		t.Helper()
		got, err := m.GetRange(ctx, key, off, length)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("GetRange(%d, %d) = %q, %v; want %q", off, length, got, err, want)
		}
	}
	// Not listed yet: every read reaches the store.
	read(0, -1, v1)
	read(0, -1, v1)
	if g := inner.gets.Load(); g != 2 {
		t.Fatalf("%d reads reached the store before a listing; want 2", g)
	}
	list()
	read(0, -1, v1)
	read(2, 4, v1[2:6])
	read(0, 100, v1)
	read(int64(len(v1)), -1, []byte{})
	if g := inner.gets.Load(); g != 3 {
		t.Fatalf("%d reads reached the store; want 3 (one after the listing)", g)
	}
	if _, err := m.GetRange(ctx, key, int64(len(v1))+1, 1); !errors.Is(err, objstore.ErrInvalidRange) {
		t.Fatalf("read past the end: %v", err)
	}
	// Another node replaces the manifest: the next listing has a new ETag.
	putObj(t, inner.Store, key, v2)
	list()
	read(0, -1, v2)
	read(0, -1, v2)
	if g := inner.gets.Load(); g != 4 {
		t.Fatalf("%d reads reached the store; want 4", g)
	}
	// Writes through the wrapper forget what it knew.
	if err := m.Put(ctx, key, bytes.NewReader(v1)); err != nil {
		t.Fatal(err)
	}
	read(0, -1, v1)
	// Other keys pass through.
	putObj(t, inner, "db/t.lance/data/x.lance", v1)
	for range 2 {
		if _, err := m.GetRange(ctx, "db/t.lance/data/x.lance", 0, -1); err != nil {
			t.Fatal(err)
		}
	}
	if !isManifest(key) || isManifest("db/t.lance/_latest.manifest") || isManifest("db/t.lance/_versions/x/1.manifest") || isManifest("_versions/1.txn") {
		t.Error("isManifest")
	}
}
