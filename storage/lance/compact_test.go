package lance_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/objstore"
	"github.com/lancegate/lancegate/storage/objstore/objstoretest"
)

// deleteAt deletes row offsets from fragments named by their position in
// ds's fragment list.
func deleteAt(t *testing.T, ds *lance.Dataset, rows map[int][]uint32) *lance.Dataset {
	t.Helper()
	if len(rows) == 0 {
		return ds
	}
	byID := map[uint64]*roaring.Bitmap{}
	for pos, offs := range rows {
		byID[ds.Fragments()[pos].ID] = roaring.BitmapOf(offs...)
	}
	out, err := ds.Delete(context.Background(), byID, "test")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func repeat(n, times int) []int {
	out := make([]int, times)
	for i := range out {
		out[i] = n
	}
	return out
}

func offsets(from, to uint32) []uint32 {
	var out []uint32
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// visible returns the visible rows of each fragment of ds.
func visible(ds *lance.Dataset) []uint64 {
	var out []uint64
	for _, f := range ds.Fragments() {
		out = append(out, f.Rows())
	}
	return out
}

func TestCompact(t *testing.T) { objstoretest.EachBackend(t, testCompact) }

func testCompact(t *testing.T, store objstore.Store) {
	tests := []struct {
		name    string
		sizes   []int
		deletes map[int][]uint32 // by fragment position
		opts    lance.CompactOptions
		// want is the visible rows per fragment afterwards; nil means
		// nothing to do.
		want             []uint64
		removed, written uint64
	}{
		{name: "200 single-row appends", sizes: repeat(1, 200), want: []uint64{200}, removed: 200, written: 1},
		{name: "deletions are materialised", sizes: []int{10, 10, 10}, deletes: map[int][]uint32{1: {0, 5, 9}},
			want: []uint64{27}, removed: 3, written: 1},
		{name: "heavy deletions rewritten alone", sizes: []int{100, 100}, deletes: map[int][]uint32{0: offsets(0, 20)},
			opts: lance.CompactOptions{TargetRowsPerFragment: 100}, want: []uint64{80, 100}, removed: 1, written: 1},
		{name: "light deletions stay", sizes: []int{100, 100}, deletes: map[int][]uint32{0: offsets(0, 5)},
			opts: lance.CompactOptions{TargetRowsPerFragment: 100}},
		{name: "negative threshold takes any deletion", sizes: []int{100, 100}, deletes: map[int][]uint32{1: offsets(50, 55)},
			opts: lance.CompactOptions{TargetRowsPerFragment: 100, MaterializeDeletionsThreshold: -1}, want: []uint64{100, 95}, removed: 1, written: 1},
		{name: "threshold one never rewrites for deletions", sizes: []int{100, 100}, deletes: map[int][]uint32{0: offsets(0, 50)},
			opts: lance.CompactOptions{TargetRowsPerFragment: 100, MaterializeDeletionsThreshold: 1}},
		{name: "a lone small fragment stays", sizes: []int{100, 5, 100}, opts: lance.CompactOptions{TargetRowsPerFragment: 100}},
		{name: "runs either side of a full fragment", sizes: []int{5, 5, 100, 5, 5}, opts: lance.CompactOptions{TargetRowsPerFragment: 100},
			want: []uint64{10, 100, 10}, removed: 4, written: 2},
		{name: "bin packing into several outputs", sizes: repeat(10, 10), opts: lance.CompactOptions{TargetRowsPerFragment: 40, BatchRows: 7},
			want: []uint64{40, 40, 20}, removed: 10, written: 3},
		{name: "empty dataset", sizes: nil},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			ctx := context.Background()
			root := fmt.Sprintf("c%d.lance", i)
			ds := deleteAt(t, fragmented(t, store, root, mem, tt.sizes...), tt.deletes)
			before := scanIDs(t, mem, ds)
			oldMax := uint64(0)
			for _, f := range ds.Fragments() {
				oldMax = max(oldMax, f.ID)
			}
			opts := tt.opts
			opts.Mem = mem
			got, stats, err := ds.Compact(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == nil {
				if got != ds || stats != (lance.CompactStats{}) {
					t.Errorf("Compact with nothing to do = version %d, %+v; want the same dataset, zero stats", got.Version(), stats)
				}
				return
			}
			if got.Version() != ds.Version()+1 || stats.ReadVersion != ds.Version() || stats.Version != got.Version() {
				t.Errorf("Compact committed version %d with stats %+v; want version %d read at %d", got.Version(), stats, ds.Version()+1, ds.Version())
			}
			if fmt.Sprint(visible(got)) != fmt.Sprint(tt.want) {
				t.Errorf("visible rows per fragment %v; want %v", visible(got), tt.want)
			}
			if stats.FragmentsRemoved != tt.removed || stats.FragmentsAdded != tt.written || stats.FilesAdded != tt.written {
				t.Errorf("stats %+v; want %d fragments removed, %d added", stats, tt.removed, tt.written)
			}
			next := oldMax + 1
			var rewritten uint64
			for _, f := range got.Fragments() {
				if f.ID <= oldMax {
					continue
				}
				if f.ID != next || f.DeletedRows != 0 {
					t.Errorf("new fragment %d has %d deleted rows; want id %d and no deletions", f.ID, f.DeletedRows, next)
				}
				next++
				rewritten += f.PhysicalRows
			}
			if stats.RowsRewritten != rewritten {
				t.Errorf("RowsRewritten %d; the new fragments hold %d", stats.RowsRewritten, rewritten)
			}
			equalIDs(t, "after compaction", scanIDs(t, mem, got), before)
			latest, err := lance.Open(ctx, store, root)
			if err != nil {
				t.Fatal(err)
			}
			equalIDs(t, "reopened", scanIDs(t, mem, latest), before)
			vs, err := lance.ListVersions(ctx, store, root)
			if err != nil {
				t.Fatal(err)
			}
			if op := vs[len(vs)-1].Operation; op != "Rewrite" {
				t.Errorf("history ends with %q; want Rewrite", op)
			}
			// The old version still reads as before (time travel).
			old, err := lance.OpenVersion(ctx, store, root, ds.Version())
			if err != nil {
				t.Fatal(err)
			}
			equalIDs(t, "previous version", scanIDs(t, mem, old), before)
			// Compacting the result again has nothing to do.
			again, stats, err := got.Compact(ctx, opts)
			if err != nil || again != got || stats.Version != 0 {
				t.Errorf("second Compact = version %d, %+v, %v; want nothing to do", again.Version(), stats, err)
			}
		})
	}
}

// TestCompactRaces runs compaction against concurrent writers that start
// from the same snapshot, so whichever commits second must rebase or
// conflict.
func TestCompactRaces(t *testing.T) { objstoretest.EachBackend(t, testCompactRaces) }

func testCompactRaces(t *testing.T, store objstore.Store) {
	ctx := context.Background()
	opts := lance.CompactOptions{TargetRowsPerFragment: 100}
	tests := []struct {
		name string
		run  func(t *testing.T, mem memory.Allocator, root string)
	}{
		{"compact and append both land", func(t *testing.T, mem memory.Allocator, root string) {
			base := fragmented(t, store, root, mem, repeat(1, 20)...)
			var wg sync.WaitGroup
			var compactErr, appendErr error
			wg.Add(2)
			go func() {
				defer wg.Done()
				_, _, compactErr = base.Compact(ctx, lance.CompactOptions{Mem: mem})
			}()
			go func() {
				defer wg.Done()
				var rs readers
				defer rs.release()
				_, appendErr = base.Append(ctx, rs.of(t, rows(mem, 100, 5)), lance.WriteOptions{})
			}()
			wg.Wait()
			if compactErr != nil || appendErr != nil {
				t.Fatalf("compact: %v, append: %v; want both to commit", compactErr, appendErr)
			}
			ds, err := lance.Open(ctx, store, root)
			if err != nil {
				t.Fatal(err)
			}
			if ds.Version() != base.Version()+2 || fmt.Sprint(visible(ds)) != "[20 5]" {
				t.Errorf("version %d with fragments %v; want %d with [20 5]", ds.Version(), visible(ds), base.Version()+2)
			}
			equalIDs(t, "after the race", scanIDs(t, mem, ds), append(seq(0, 20), seq(100, 105)...))
		}},
		{"compact and delete of a compacted fragment: one conflicts", func(t *testing.T, mem memory.Allocator, root string) {
			base := fragmented(t, store, root, mem, repeat(1, 20)...)
			var wg sync.WaitGroup
			var compactErr, deleteErr error
			wg.Add(2)
			go func() {
				defer wg.Done()
				_, _, compactErr = base.Compact(ctx, lance.CompactOptions{Mem: mem})
			}()
			go func() {
				defer wg.Done()
				_, deleteErr = base.Delete(ctx, map[uint64]*roaring.Bitmap{base.Fragments()[3].ID: roaring.BitmapOf(0)}, "id = 3")
			}()
			wg.Wait()
			ds, err := lance.Open(ctx, store, root)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case compactErr == nil && errors.Is(deleteErr, lance.ErrCommitConflict):
				equalIDs(t, "compaction won", scanIDs(t, mem, ds), seq(0, 20))
			case deleteErr == nil && errors.Is(compactErr, lance.ErrCommitConflict):
				equalIDs(t, "delete won", scanIDs(t, mem, ds), slices.Delete(seq(0, 20), 3, 4))
			default:
				t.Fatalf("compact: %v, delete: %v; want exactly one ErrCommitConflict", compactErr, deleteErr)
			}
			if ds.Version() != base.Version()+1 {
				t.Errorf("version %d; want %d (one commit)", ds.Version(), base.Version()+1)
			}
		}},
		{"delete after a compaction of its fragment conflicts", func(t *testing.T, mem memory.Allocator, root string) {
			base := fragmented(t, store, root, mem, repeat(1, 20)...)
			if _, _, err := base.Compact(ctx, lance.CompactOptions{Mem: mem}); err != nil {
				t.Fatal(err)
			}
			_, err := base.Delete(ctx, map[uint64]*roaring.Bitmap{base.Fragments()[3].ID: roaring.BitmapOf(0)}, "id = 3")
			if !errors.Is(err, lance.ErrCommitConflict) {
				t.Fatalf("delete over a rewrite of its fragment: %v; want ErrCommitConflict", err)
			}
			ds, err := lance.Open(ctx, store, root)
			if err != nil {
				t.Fatal(err)
			}
			equalIDs(t, "after the failed delete", scanIDs(t, mem, ds), seq(0, 20))
		}},
		{"compaction after a delete of its fragment conflicts and cleans up", func(t *testing.T, mem memory.Allocator, root string) {
			base := fragmented(t, store, root, mem, repeat(1, 20)...)
			if _, err := base.Delete(ctx, map[uint64]*roaring.Bitmap{base.Fragments()[3].ID: roaring.BitmapOf(0)}, "id = 3"); err != nil {
				t.Fatal(err)
			}
			_, _, err := base.Compact(ctx, lance.CompactOptions{Mem: mem})
			if !errors.Is(err, lance.ErrCommitConflict) {
				t.Fatalf("compaction over a delete of its fragment: %v; want ErrCommitConflict", err)
			}
			ds, err := lance.Open(ctx, store, root)
			if err != nil {
				t.Fatal(err)
			}
			equalIDs(t, "after the failed compaction", scanIDs(t, mem, ds), slices.Delete(seq(0, 20), 3, 4))
			if n := countKeys(t, store, root+"/data/"); n != 20 {
				t.Errorf("%d data files; want the 20 appended (the failed compaction's removed)", n)
			}
			// Compacting the new version works.
			if _, _, err := ds.Compact(ctx, lance.CompactOptions{Mem: mem}); err != nil {
				t.Fatal(err)
			}
		}},
		{"delete elsewhere rebases over a compaction", func(t *testing.T, mem memory.Allocator, root string) {
			base := fragmented(t, store, root, mem, 5, 5, 100)
			if _, _, err := base.Compact(ctx, withMem(opts, mem)); err != nil {
				t.Fatal(err)
			}
			ds, err := base.Delete(ctx, map[uint64]*roaring.Bitmap{base.Fragments()[2].ID: roaring.BitmapOf(0, 1)}, "id in (10, 11)")
			if err != nil {
				t.Fatalf("delete of an uncompacted fragment over a rewrite: %v; want it to rebase", err)
			}
			if fmt.Sprint(visible(ds)) != "[10 98]" || ds.Version() != base.Version()+2 {
				t.Errorf("version %d with fragments %v; want %d with [10 98]", ds.Version(), visible(ds), base.Version()+2)
			}
			equalIDs(t, "after the rebased delete", scanIDs(t, mem, ds), append(seq(0, 10), seq(12, 110)...))
		}},
		{"compaction rebases over a delete elsewhere", func(t *testing.T, mem memory.Allocator, root string) {
			base := fragmented(t, store, root, mem, 5, 5, 100)
			if _, err := base.Delete(ctx, map[uint64]*roaring.Bitmap{base.Fragments()[2].ID: roaring.BitmapOf(0, 1)}, "id in (10, 11)"); err != nil {
				t.Fatal(err)
			}
			ds, _, err := base.Compact(ctx, withMem(opts, mem))
			if err != nil {
				t.Fatalf("compaction over a delete elsewhere: %v; want it to rebase", err)
			}
			if fmt.Sprint(visible(ds)) != "[10 98]" {
				t.Errorf("fragments %v; want [10 98]", visible(ds))
			}
			equalIDs(t, "after the rebased compaction", scanIDs(t, mem, ds), append(seq(0, 10), seq(12, 110)...))
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			tt.run(t, mem, fmt.Sprintf("r%d.lance", i))
		})
	}
}

func withMem(o lance.CompactOptions, mem memory.Allocator) lance.CompactOptions {
	o.Mem = mem
	return o
}

// TestCompactCrash stops a compaction after its data files are written and
// before its manifest: the previous version stays current and readable,
// and compacting again succeeds.
func TestCompactCrash(t *testing.T) { objstoretest.EachBackend(t, testCompactCrash) }

func testCompactCrash(t *testing.T, store objstore.Store) {
	tests := []struct {
		name string
		// at is the directory whose first write is cut off.
		at string
		// orphans is how many data files the stopped compaction leaves.
		orphans int
	}{
		{"before the transaction file", "_transactions", 0},
		{"before the manifest", "_versions", 1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			root := fmt.Sprintf("x%d.lance", i)
			base := fragmented(t, store, root, mem, repeat(3, 10)...)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			crash := func(ctx context.Context, key string) error {
				if strings.HasPrefix(key, root+"/"+tt.at+"/") {
					cancel()
					return ctx.Err()
				}
				return nil
			}
			broken, err := lance.Open(ctx, &hookStore{Store: store, beforePut: crash, beforePutIfAbsent: crash}, root)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := broken.Compact(ctx, lance.CompactOptions{Mem: mem}); !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted Compact: %v; want context.Canceled", err)
			}
			ds, err := lance.Open(context.Background(), store, root)
			if err != nil {
				t.Fatal(err)
			}
			if ds.Version() != base.Version() || len(ds.Fragments()) != 10 {
				t.Errorf("after the crash: version %d with %d fragments; want %d with 10", ds.Version(), len(ds.Fragments()), base.Version())
			}
			equalIDs(t, "after the crash", scanIDs(t, mem, ds), seq(0, 30))
			if n := countKeys(t, store, root+"/data/"); n != 10+tt.orphans {
				t.Errorf("%d data files after the crash; want %d", n, 10+tt.orphans)
			}
			got, _, err := ds.Compact(context.Background(), lance.CompactOptions{Mem: mem})
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(visible(got)) != "[30]" {
				t.Errorf("retried compaction: fragments %v; want [30]", visible(got))
			}
			equalIDs(t, "after the retry", scanIDs(t, mem, got), seq(0, 30))
		})
	}
}
