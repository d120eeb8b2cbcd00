package blockcache

import (
	"testing"

	"github.com/lancegate/lancegate/storage/objstore"
	"github.com/lancegate/lancegate/storage/objstore/objstoretest"
)

// TestContract runs objstore's conformance suite against caches caching
// every key (the suite overwrites keys, which exercises invalidation), with
// small blocks so reads cross block boundaries.
func TestContract(t *testing.T) {
	local := func(t *testing.T) objstore.Store {
		l, err := objstore.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	memory := func(*testing.T) objstore.Store { return objstore.NewMemory() }
	cases := []struct {
		name  string
		inner func(t *testing.T) objstore.Store
		opts  func(t *testing.T) Options
	}{
		{"memory/ram/61", memory, func(*testing.T) Options {
			return Options{BlockSize: 61, RAMBytes: 4 << 20, Immutable: cacheAll}
		}},
		{"memory/both/4096", memory, func(t *testing.T) Options {
			return Options{BlockSize: 4096, RAMBytes: 1 << 20, DiskDir: t.TempDir(), DiskBytes: 256 << 10, Immutable: cacheAll}
		}},
		{"local/disk/1000", local, func(t *testing.T) Options {
			return Options{BlockSize: 1000, RAMBytes: -1, DiskDir: t.TempDir(), DiskBytes: 256 << 10, Immutable: cacheAll}
		}},
		{"memory/default-predicate/64", memory, func(t *testing.T) Options {
			return Options{BlockSize: 64, RAMBytes: 1 << 20, DiskDir: t.TempDir()}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			objstoretest.Run(t, func(t *testing.T) objstore.Store {
				return newCache(t, c.inner(t), c.opts(t))
			})
		})
	}
}
