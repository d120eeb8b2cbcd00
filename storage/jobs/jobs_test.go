package jobs_test

import (
	"context"
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/lancegate/lancegate/storage/jobs"
	"github.com/lancegate/lancegate/storage/objstore"
	"github.com/lancegate/lancegate/storage/objstore/objstoretest"
)

func TestHistory(t *testing.T) {
	objstoretest.EachBackend(t, func(t *testing.T, store objstore.Store) {
		ctx := context.Background()
		h := jobs.NewHistory(store)
		base := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
		var ids []string
		for i := range 5 {
			id := jobs.NewID(base.Add(time.Duration(i) * time.Hour))
			ids = append(ids, id)
			table := "a"
			if i%2 == 1 {
				table = "b"
			}
			r := jobs.Record{ID: id, Table: table, Type: "compact", State: jobs.Pending, Created: base.Add(time.Duration(i) * time.Hour)}
			if err := h.Put(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		if !sort.StringsAreSorted(ids) {
			t.Fatalf("IDs do not sort by creation time: %v", ids)
		}
		// A record moves from state to state under one key.
		r, err := h.Get(ctx, ids[0])
		if err != nil {
			t.Fatal(err)
		}
		r.State, r.Started, r.Finished, r.Version, r.Stats = jobs.Succeeded, base, base.Add(time.Minute), 7, map[string]int64{"fragments_removed": 3}
		if err := h.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
		got, err := h.Get(ctx, ids[0])
		if err != nil || got.State != jobs.Succeeded || got.Version != 7 || got.Stats["fragments_removed"] != 3 || !got.Finished.Equal(base.Add(time.Minute)) {
			t.Fatalf("Get = %+v, %v", got, err)
		}

		all, err := h.List(ctx, jobs.ListOptions{})
		if err != nil || len(all) != 5 || all[0].ID != ids[4] || all[4].ID != ids[0] {
			t.Fatalf("List = %d records (%v), want 5 newest first", len(all), err)
		}
		b, err := h.List(ctx, jobs.ListOptions{Table: "b"})
		if err != nil || len(b) != 2 || b[0].ID != ids[3] || b[1].ID != ids[1] {
			t.Fatalf("List(table b) = %+v, %v", b, err)
		}
		two, err := h.List(ctx, jobs.ListOptions{Limit: 2})
		if err != nil || len(two) != 2 || two[0].ID != ids[4] {
			t.Fatalf("List(limit 2) = %+v, %v", two, err)
		}

		// Prune removes finished records older than the cutoff only.
		n, err := h.Prune(ctx, base.Add(10*time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("Prune = %d, %v; want 1", n, err)
		}
		if _, err := h.Get(ctx, ids[0]); !errors.Is(err, jobs.ErrNotFound) {
			t.Fatalf("pruned record: %v", err)
		}
		if left, _ := h.List(ctx, jobs.ListOptions{}); len(left) != 4 {
			t.Fatalf("%d records left, want the 4 unfinished", len(left))
		}
	})
}

func TestHistoryBadIDs(t *testing.T) {
	h := jobs.NewHistory(objstore.NewMemory())
	ctx := context.Background()
	for _, id := range []string{"", "a/b", "..", `a\b`} {
		if err := h.Put(ctx, jobs.Record{ID: id}); !errors.Is(err, jobs.ErrInvalidID) {
			t.Errorf("Put(%q) = %v, want ErrInvalidID", id, err)
		}
		if _, err := h.Get(ctx, id); !errors.Is(err, jobs.ErrInvalidID) {
			t.Errorf("Get(%q) = %v, want ErrInvalidID", id, err)
		}
	}
	if _, err := h.Get(ctx, "missing"); !errors.Is(err, jobs.ErrNotFound) {
		t.Errorf("Get(missing) = %v", err)
	}
}

func TestHistorySkipsDamagedRecords(t *testing.T) {
	store := objstore.NewMemory()
	ctx := context.Background()
	if err := store.PutIfAbsent(ctx, jobs.Dir+"broken.json", []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	h := jobs.NewHistory(store)
	if err := h.Put(ctx, jobs.Record{ID: jobs.NewID(time.Now()), Table: "t", Type: "cleanup", State: jobs.Running}); err != nil {
		t.Fatal(err)
	}
	recs, err := h.List(ctx, jobs.ListOptions{})
	if err != nil || len(recs) != 1 {
		t.Fatalf("List = %+v, %v; want the one good record", recs, err)
	}
}

// TestHistoryListAcrossChunks: listings longer than one read chunk keep
// newest-first order, limits and table filters.
func TestHistoryListAcrossChunks(t *testing.T) {
	ctx := context.Background()
	h := jobs.NewHistory(objstore.NewMemory())
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	const n = 600
	ids := make([]string, n)
	for i := range n {
		ids[i] = jobs.NewID(base.Add(time.Duration(i) * time.Second))
		table := "even"
		if i%2 == 1 {
			table = "odd"
		}
		if err := h.Put(ctx, jobs.Record{ID: ids[i], Table: table, Type: "compact", State: jobs.Succeeded}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := h.List(ctx, jobs.ListOptions{})
	if err != nil || len(all) != n {
		t.Fatalf("List = %d records, %v", len(all), err)
	}
	for i, r := range all {
		if r.ID != ids[n-1-i] {
			t.Fatalf("record %d is %s, want %s", i, r.ID, ids[n-1-i])
		}
	}
	odd, err := h.List(ctx, jobs.ListOptions{Table: "odd", Limit: 280})
	if err != nil || len(odd) != 280 || odd[0].ID != ids[n-1] || odd[279].ID != ids[n-1-2*279] {
		t.Fatalf("List(odd, 280) = %d records, %v", len(odd), err)
	}
}
