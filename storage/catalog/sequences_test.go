package catalog_test

import (
	"context"
	"sync"
	"testing"

	"github.com/lancegate/lancegate/storage/catalog"
	"github.com/lancegate/lancegate/storage/objstore"
)

// Blocks claimed concurrently by two catalogs (two query nodes) never
// overlap, and a dropped sequence starts again from 1.
func TestSequenceBlocks(t *testing.T) {
	ctx := context.Background()
	store, err := objstore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	nodes := []*catalog.Catalog{catalog.New(store, nil), catalog.New(store, nil)}
	var mu sync.Mutex
	taken := map[int64]bool{}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first, size, err := nodes[i%2].ClaimSequence(ctx, "t_id_seq", int64(10+i*30))
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for v := first; v < first+size; v++ {
				if taken[v] {
					t.Errorf("value %d handed out twice", v)
				}
				taken[v] = true
			}
		}()
	}
	wg.Wait()
	if !taken[1] {
		t.Error("the first block does not start at 1")
	}
	if err := nodes[0].DropSequence(ctx, "t_id_seq"); err != nil {
		t.Fatal(err)
	}
	if first, _, err := nodes[1].ClaimSequence(ctx, "t_id_seq", 1); err != nil || first != 1 {
		t.Errorf("after drop: first %d, %v", first, err)
	}
}
