package lanceindex

import (
	"bytes"
	"context"
	"testing"

	"github.com/lancegate/lancegate/storage/index/distance"
	"github.com/lancegate/lancegate/storage/index/ivfpq"
	"github.com/lancegate/lancegate/storage/objstore"
)

// FuzzOpenIVFPQ replaces one of the two files of a valid index with the
// fuzzer's bytes: OpenIVFPQ must return an error or an index whose Search
// works, and never panic. The seeds are the valid files and truncations
// of them; testdata/fuzz/FuzzOpenIVFPQ holds more.
func FuzzOpenIVFPQ(f *testing.F) {
	ctx := context.Background()
	store := objstore.NewMemory()
	const n, dim, perFrag = 600, 8, 300
	ds, vecs, addrs := clusteredDataset(f, store, n, dim, perFrag)
	ix, err := ivfpq.Build(ctx, vecs, addrs, dim, ivfpq.BuildOptions{
		Metric: distance.L2, NumPartitions: 4, NumSubVectors: 2,
		IVF: ivfpq.KMeansOptions{Seed: 1}, PQ: ivfpq.KMeansOptions{Seed: 2},
	})
	if err != nil {
		f.Fatal(err)
	}
	ds, err = WriteIVFPQ(ctx, ds, "vec", ix, "vec_idx")
	if err != nil {
		f.Fatal(err)
	}
	infos, err := ds.Indexes()
	if err != nil || len(infos) != 1 {
		f.Fatalf("indexes: %v, %v", infos, err)
	}
	info := infos[0]
	info.Files = nil // sizes come from the store, so short files are seen as such
	keys := []string{ds.IndexDir(info) + "/index.idx", ds.IndexDir(info) + "/auxiliary.idx"}
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
		x, err := OpenIVFPQ(ctx, ds, info)
		if err != nil {
			return
		}
		if x.Dim() == dim {
			_, _ = x.Search(query, 5, 2)
		}
	})
}
