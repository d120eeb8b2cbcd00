package catalog_test

import (
	"context"
	"math"
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

func TestSequenceDefValue(t *testing.T) {
	const none = math.MinInt64
	tests := []struct {
		name string
		def  catalog.SequenceDef
		want []int64 // positions 1…; none marks "no value"
	}{
		{"ascending", catalog.SequenceDef{Start: 1, Increment: 1, Min: 1, Max: 3}, []int64{1, 2, 3, none}},
		{"by 50", catalog.SequenceDef{Start: 1, Increment: 50, Min: 1, Max: 200}, []int64{1, 51, 101, 151, none}},
		{"cycle", catalog.SequenceDef{Start: 2, Increment: 2, Min: 1, Max: 6, Cycle: true}, []int64{2, 4, 6, 1, 3, 5, 1}},
		{"descending", catalog.SequenceDef{Start: -1, Increment: -1, Min: -3, Max: -1}, []int64{-1, -2, -3, none}},
		{"descending cycle", catalog.SequenceDef{Start: 10, Increment: -4, Min: 0, Max: 10, Cycle: true}, []int64{10, 6, 2, 10, 6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, want := range tt.want {
				got, ok := tt.def.Value(int64(i + 1))
				if want == none {
					if ok {
						t.Fatalf("position %d: %d, want none", i+1, got)
					}
					continue
				}
				if !ok || got != want {
					t.Fatalf("position %d: %d %v, want %d", i+1, got, ok, want)
				}
			}
		})
	}
}
