package blockcache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/lancegate/lancegate/storage/objstore"
)

// readCase is one GetRange call.
type readCase struct {
	key         string
	off, length int64
}

// sameAnswer fails the test unless cache and inner answer c alike: equal
// bytes, or errors of the same kind.
func sameAnswer(t testing.TB, ctx context.Context, cache, inner objstore.Store, c readCase) {
	t.Helper()
	want, werr := inner.GetRange(ctx, c.key, c.off, c.length)
	got, gerr := cache.GetRange(ctx, c.key, c.off, c.length)
	if werr != nil || gerr != nil {
		for _, kind := range []error{objstore.ErrInvalidRange, objstore.ErrNotExist, objstore.ErrInvalidKey} {
			if errors.Is(werr, kind) != errors.Is(gerr, kind) {
				t.Fatalf("GetRange(%q, %d, %d) error = %v; inner says %v", c.key, c.off, c.length, gerr, werr)
			}
		}
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("GetRange(%q, %d, %d) error = %v; inner says %v", c.key, c.off, c.length, gerr, werr)
		}
		return
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("GetRange(%q, %d, %d) = %d bytes not matching inner's %d", c.key, c.off, c.length, len(got), len(want))
	}
	if got == nil {
		t.Fatalf("GetRange(%q, %d, %d) = nil; want a non-nil slice", c.key, c.off, c.length)
	}
}

// randomReads returns reads of objects of the given sizes, biased toward
// block boundaries and the objects' ends.
func randomReads(r *rand.Rand, sizes map[string]int64, blockSize int64, n int) []readCase {
	keys := make([]string, 0, len(sizes))
	for k := range sizes {
		keys = append(keys, k)
	}
	keys = append(keys, "t.lance/data/missing.lance")
	var out []readCase
	for range n {
		key := keys[r.IntN(len(keys))]
		size := sizes[key]
		var off int64
		switch r.IntN(5) {
		case 0:
			off = size // at the end
		case 1:
			off = size + 1 + r.Int64N(3*blockSize) // beyond the end
		case 2:
			off = r.Int64N(size/blockSize+1) * blockSize // on a boundary
		default:
			off = r.Int64N(size + 1)
		}
		var length int64
		switch r.IntN(4) {
		case 0:
			length = -1
		case 1:
			length = r.Int64N(3)
		default:
			length = r.Int64N(4*blockSize + 2)
		}
		out = append(out, readCase{key, off, length})
	}
	return out
}

func TestMatchesInner(t *testing.T) {
	const blockSize = 64
	for name, opts := range tierConfigs(t, blockSize) {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			r := rand.New(rand.NewPCG(1, uint64(len(name))))
			inner := objstore.NewMemory()
			sizes := map[string]int64{}
			for i := range 12 {
				n := r.IntN(6 * blockSize)
				switch i {
				case 0:
					n = 0
				case 1:
					n = blockSize
				case 2:
					n = 3 * blockSize
				case 3:
					n = 1
				}
				key := fmt.Sprintf("t.lance/data/%02d.lance", i)
				putObj(t, inner, key, pattern(n, byte(i)))
				sizes[key] = int64(n)
			}
			reads := randomReads(r, sizes, blockSize, 600)
			cache := newCache(t, inner, opts)
			for pass := range 2 { // cold, then warm
				for _, c := range reads {
					sameAnswer(t, ctx, cache, inner, c)
				}
				if pass == 0 && cache.Stats().BytesFromStore == 0 {
					t.Fatalf("cold pass read nothing from the store")
				}
			}
			if opts.DiskDir != "" { // and after a restart
				cache.Close()
				again := newCache(t, inner, opts)
				for _, c := range reads {
					sameAnswer(t, ctx, again, inner, c)
				}
			}
		})
	}
}
