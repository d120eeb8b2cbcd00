package catalog_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/lancegate/lancegate/storage/catalog"
	"github.com/lancegate/lancegate/storage/objstore"
)

// Concurrent assignments of one relation agree on one OID; distinct
// relations get distinct OIDs; a dropped relation's OID is never reused.
func TestAssignOIDConcurrent(t *testing.T) {
	ctx := context.Background()
	store, err := objstore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// Two catalogs over one store stand for two query nodes.
	nodes := []*catalog.Catalog{catalog.New(store, nil), catalog.New(store, nil)}
	const names, racers = 4, 4
	got := make([][]uint32, names)
	for i := range got {
		got[i] = make([]uint32, racers)
	}
	var wg sync.WaitGroup
	for n := range names {
		for r := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				oid, err := nodes[r%2].AssignOID(ctx, fmt.Sprintf("t%d", n))
				if err != nil {
					t.Error(err)
				}
				got[n][r] = oid
			}()
		}
	}
	wg.Wait()
	seen := map[uint32]string{}
	for n := range names {
		for r := range racers {
			if got[n][r] != got[n][0] {
				t.Fatalf("t%d: racers got %v", n, got[n])
			}
		}
		oid := got[n][0]
		if oid < catalog.FirstUserOID {
			t.Errorf("t%d: oid %d below %d", n, oid, catalog.FirstUserOID)
		}
		if other, dup := seen[oid]; dup {
			t.Errorf("t%d and %s share oid %d", n, other, oid)
		}
		seen[oid] = fmt.Sprintf("t%d", n)
	}
	all, err := nodes[1].RelationOIDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for n := range names {
		if all[fmt.Sprintf("t%d", n)] != got[n][0] {
			t.Errorf("RelationOIDs[t%d] = %d, want %d", n, all[fmt.Sprintf("t%d", n)], got[n][0])
		}
	}
	if err := nodes[0].ReleaseOID(ctx, "t0"); err != nil {
		t.Fatal(err)
	}
	again, err := nodes[1].AssignOID(ctx, "t0")
	if err != nil {
		t.Fatal(err)
	}
	if _, reused := seen[again]; reused {
		t.Errorf("recreated t0 reused oid %d", again)
	}
}
