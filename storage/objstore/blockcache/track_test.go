package blockcache

import (
	"bytes"
	"context"
	"testing"

	"github.com/lancegate/lancegate/storage/objstore"
)

// TestTrack checks that reads are attributed to the context they carry:
// a cold read counts storage bytes, a warm one cache bytes, and reads
// under another context are not counted.
func TestTrack(t *testing.T) {
	inner := objstore.NewMemory()
	data := pattern(10_000, 3)
	putObj(t, inner, "k", data)
	s := newCache(t, inner, Options{BlockSize: 1024, Immutable: cacheAll})
	ctx := context.Background()

	cold, counts := s.Track(ctx)
	got, err := s.GetRange(cold, "k", 0, -1)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("cold read: %v", err)
	}
	if st, ca := counts(); st != int64(len(data)) || ca != 0 {
		t.Fatalf("cold read counted storage %d cache %d, want %d and 0", st, ca, len(data))
	}

	warm, counts := s.Track(ctx)
	if _, err := s.GetRange(warm, "k", 100, 3000); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetRange(ctx, "k", 0, -1); err != nil { // not tracked
		t.Fatal(err)
	}
	st, ca := counts()
	if st != 0 || ca < 3000 || ca > 4*1024 {
		t.Fatalf("warm read counted storage %d cache %d, want 0 and the blocks of 3000 bytes", st, ca)
	}
}
