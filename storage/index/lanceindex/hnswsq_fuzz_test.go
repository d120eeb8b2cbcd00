package lanceindex

import (
	"bytes"
	"context"
	"testing"

	"github.com/lancegate/lancegate/storage/index/distance"
	"github.com/lancegate/lancegate/storage/index/hnsw"
	"github.com/lancegate/lancegate/storage/objstore"
)

// FuzzOpenHNSWSQ replaces one of the two files of a valid IVF_HNSW_SQ
// index with the fuzzer's bytes: OpenHNSWSQ (and IndexType) must return an
// error or an index whose search works, and never panic. The seeds are
// the valid files and truncations of them; testdata/fuzz/FuzzOpenHNSWSQ
// holds more.
func FuzzOpenHNSWSQ(f *testing.F) {
	ctx := context.Background()
	store := objstore.NewMemory()
	const n, dim, perFrag = 400, 8, 200
	ds, vecs, addrs := clusteredDataset(f, store, n, dim, perFrag)
	ix, err := hnsw.Build(ctx, vecs, addrs, dim, hnsw.BuildOptions{
		Metric: distance.L2, NumPartitions: 3, M: 4, EfConstruction: 16, Seed: 1, SingleRange: true,
	})
	if err != nil {
		f.Fatal(err)
	}
	ds, err = WriteHNSWSQ(ctx, ds, "vec", ix, "vec_idx")
	if err != nil {
		f.Fatal(err)
	}
	infos, err := ds.Indexes()
	if err != nil || len(infos) != 1 {
		f.Fatalf("indexes: %v, %v", infos, err)
	}
	info := infos[0]
	info.Files = nil // sizes come from the store, so short files are seen as such
	keys := []string{objstore.Join(ds.IndexDir(info), indexFile), objstore.Join(ds.IndexDir(info), auxFile)}
	orig := make([][]byte, len(keys))
	for i, k := range keys {
		if orig[i], err = objstore.ReadAll(ctx, store, k); err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), orig[i])
		f.Add(uint8(i), orig[i][:len(orig[i])/2])
		f.Add(uint8(i), orig[i][len(orig[i])-64:])
	}
	query := vecs[:dim]
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		i := int(which) % len(keys)
		if err := store.Put(ctx, keys[i], bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := store.Put(ctx, keys[i], bytes.NewReader(orig[i])); err != nil {
				t.Fatal(err)
			}
		}()
		_, _ = IndexType(ctx, ds, info)
		x, err := OpenHNSWSQ(ctx, ds, info)
		if err != nil {
			return
		}
		if x.Dim() == dim {
			_, _, _ = x.SearchWith(query, hnsw.SearchOptions{K: 5, NProbes: 2})
			_, _, _ = x.SearchWith(query, hnsw.SearchOptions{K: 5, NProbes: 1, Ef: 5})
		}
	})
}
