package lance_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/lance/deletion"
	"github.com/lancegate/lancegate/storage/objstore"
	"github.com/lancegate/lancegate/storage/objstore/objstoretest"
)

// history builds five versions at root and returns their commit times:
//
//	v1 create ids 0-4   v2 append 5-9   v3 delete id 2 (a deletion file)
//	v4 compact (one fragment, no deletions)   v5 append 10-14
func history(t *testing.T, store objstore.Store, root string, mem memory.Allocator) []time.Time {
	t.Helper()
	ctx := context.Background()
	ds := fragmented(t, store, root, mem, 5, 5)
	ds = deleteAt(t, ds, map[int][]uint32{0: {2}})
	ds, _, err := ds.Compact(ctx, lance.CompactOptions{Mem: mem})
	if err != nil {
		t.Fatal(err)
	}
	var rs readers
	defer rs.release()
	if _, err := ds.Append(ctx, rs.of(t, rows(mem, 10, 5)), lance.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	vs, err := lance.ListVersions(ctx, store, root)
	if err != nil {
		t.Fatal(err)
	}
	var ts []time.Time
	for _, v := range vs {
		ts = append(ts, v.Timestamp)
	}
	if len(ts) != 5 {
		t.Fatalf("history has %d versions; want 5", len(ts))
	}
	return ts
}

// historyIDs is what each version of history reads.
var historyIDs = map[uint64][]int64{
	1: seq(0, 5),
	2: seq(0, 10),
	3: slices.Delete(seq(0, 10), 2, 3),
	4: slices.Delete(seq(0, 10), 2, 3),
	5: slices.Delete(seq(0, 15), 2, 3),
}

// referenced lists the keys of the data, deletion and transaction files
// the given versions reference.
func referenced(t *testing.T, store objstore.Store, root string, versions []uint64) map[string]bool {
	t.Helper()
	keys := map[string]bool{}
	for _, v := range versions {
		ds, err := lance.OpenVersion(context.Background(), store, root, v)
		if err != nil {
			t.Fatal(err)
		}
		m := ds.Manifest()
		for _, f := range m.Fragments {
			for _, df := range f.Files {
				keys[objstore.Join(root, "data", df.Path)] = true
			}
			if d := f.DeletionFile; d != nil {
				keys[objstore.Join(root, deletion.Path(f.Id, d.ReadVersion, d.Id, d.FileType))] = true
			}
		}
		keys[objstore.Join(root, "_transactions", m.TransactionFile)] = true
	}
	return keys
}

// listFiles lists the keys under root's file folders (not _versions/).
func listFiles(t *testing.T, store objstore.Store, root string) []string {
	t.Helper()
	var out []string
	for _, dir := range []string{"data", "_deletions", "_transactions", "_indices"} {
		for info, err := range store.List(context.Background(), root+"/"+dir+"/") {
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, info.Key)
		}
	}
	sort.Strings(out)
	return out
}

func putKey(t *testing.T, store objstore.Store, key, data string) {
	t.Helper()
	if err := store.Put(context.Background(), key, strings.NewReader(data)); err != nil {
		t.Fatal(err)
	}
}

func TestCleanupOldVersions(t *testing.T) { objstoretest.EachBackend(t, testCleanupOldVersions) }

func testCleanupOldVersions(t *testing.T, store objstore.Store) {
	// Stray files no manifest references, by age relative to the cutoff.
	strays := []struct {
		key   string
		young bool
		lance bool // a kind of file Lance writes (others are never touched)
	}{
		{"data/young.lance", true, true},
		{"data/old.lance", false, true},
		{"data/notes.txt", false, false},
		{"_deletions/9-9-9.arrow", true, true},
		{"_deletions/8-8-8.bin", false, true},
		{"_transactions/3-old.txn", false, true},
		{"_indices/2f6a1c9e-1b1e-4a53-8f0c-3d9a3c1e9b10/index.idx", false, true},
		{"_versions/00000000000000000007.manifest-0a1b", false, true},
	}
	const retention = time.Hour
	tests := []struct {
		name             string
		tag              uint64 // version tagged "keep", 0 for none
		now              func(ts []time.Time) time.Time
		deleteUnverified bool
		kept             []uint64
	}{
		{"past the retention: latest and tagged stay", 2, func([]time.Time) time.Time { return time.Now().Add(2 * retention) }, false, []uint64{2, 5}},
		{"past the retention, no tag", 0, func([]time.Time) time.Time { return time.Now().Add(2 * retention) }, false, []uint64{5}},
		{"within the retention", 0, func([]time.Time) time.Time { return time.Now() }, false, []uint64{1, 2, 3, 4, 5}},
		{"cutoff between versions", 0, func(ts []time.Time) time.Time { return ts[2].Add(retention) }, false, nil},
		{"delete unverified", 4, func([]time.Time) time.Time { return time.Now() }, true, []uint64{1, 2, 3, 4, 5}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			ctx := context.Background()
			root := fmt.Sprintf("h%d.lance", i)
			ts := history(t, store, root, mem)
			now := tt.now(ts)
			cutoff := now.Add(-retention)
			kept := tt.kept
			if kept == nil {
				// Versions committed at or after the cutoff stay; commit
				// times come from the clock, so derive them.
				for v, t := range ts {
					if !t.Before(cutoff) || v == len(ts)-1 {
						kept = append(kept, uint64(v+1))
					}
				}
				if len(kept) == len(ts) {
					t.Fatalf("versions 1 and 2 were committed at %v, not before version 3 at %v", ts[:2], ts[2])
				}
			}
			if tt.tag != 0 {
				putKey(t, store, root+"/_refs/tags/keep.json", fmt.Sprintf(`{"branch": null, "version": %d, "manifestSize": 1}`, tt.tag))
			}
			age := map[string]time.Time{}
			for _, s := range strays {
				putKey(t, store, root+"/"+s.key, "stray")
				age[root+"/"+s.key] = cutoff.Add(-time.Minute)
				if s.young {
					age[root+"/"+s.key] = cutoff.Add(time.Minute)
				}
			}
			aged := &hookStore{Store: store, mtime: func(key string) (time.Time, bool) { t, ok := age[key]; return t, ok }}
			before := listFiles(t, store, root)

			stats, err := lance.CleanupOldVersions(ctx, aged, root, lance.CleanupOptions{OlderThan: retention, Now: now, DeleteUnverified: tt.deleteUnverified})
			if err != nil {
				t.Fatal(err)
			}
			if want := uint64(5 - len(kept)); stats.VersionsRemoved != want {
				t.Errorf("VersionsRemoved %d; want %d", stats.VersionsRemoved, want)
			}
			vs, err := lance.ListVersions(ctx, store, root)
			if err != nil {
				t.Fatal(err)
			}
			var listed []uint64
			for _, v := range vs {
				listed = append(listed, v.Version)
			}
			if fmt.Sprint(listed) != fmt.Sprint(kept) {
				t.Errorf("versions %v after cleanup; want %v", listed, kept)
			}
			for v := uint64(1); v <= 5; v++ {
				ds, err := lance.OpenVersion(ctx, store, root, v)
				if !slices.Contains(kept, v) {
					if !errors.Is(err, lance.ErrNotFound) {
						t.Errorf("OpenVersion(%d) of a removed version: %v; want ErrNotFound", v, err)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				equalIDs(t, fmt.Sprintf("version %d", v), scanIDs(t, mem, ds), historyIDs[v])
			}

			// What remains: the kept versions' files and the strays that
			// must stay.
			want := referenced(t, store, root, kept)
			for _, s := range strays {
				if !s.lance || (s.young && !tt.deleteUnverified) {
					want[root+"/"+s.key] = true
				}
			}
			after := listFiles(t, store, root)
			var wantKeys []string
			for k := range want {
				if !strings.HasPrefix(k, root+"/_versions/") {
					wantKeys = append(wantKeys, k)
				}
			}
			sort.Strings(wantKeys)
			if fmt.Sprint(after) != fmt.Sprint(wantKeys) {
				t.Errorf("files after cleanup:\n%s\nwant:\n%s", strings.Join(after, "\n"), strings.Join(wantKeys, "\n"))
			}
			staged := root + "/_versions/00000000000000000007.manifest-0a1b"
			if _, err := store.Stat(ctx, staged); !errors.Is(err, objstore.ErrNotExist) {
				t.Errorf("stale staged manifest: Stat = %v; want it removed", err)
			}
			// The staged manifest is always removed as well.
			if removed := uint64(len(before) - len(after) + 1); stats.FilesRemoved != removed || stats.BytesRemoved == 0 {
				t.Errorf("stats %+v; %d files were removed", stats, removed)
			}

			// A second run finds nothing more to do.
			again, err := lance.CleanupOldVersions(ctx, aged, root, lance.CleanupOptions{OlderThan: retention, Now: now, DeleteUnverified: tt.deleteUnverified})
			if err != nil || again != (lance.CleanupStats{}) {
				t.Errorf("second cleanup = %+v, %v; want nothing removed", again, err)
			}
		})
	}
}

// TestCleanupRefusals: cleanup stops before deleting anything when it
// cannot be sure what the dataset references.
func TestCleanupRefusals(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	later := lance.CleanupOptions{OlderThan: time.Hour, Now: time.Now().Add(2 * time.Hour)}
	tests := []struct {
		name  string
		setup func(store objstore.Store)
		opts  lance.CleanupOptions
		want  error // nil: any error
	}{
		{"no retention", nil, lance.CleanupOptions{}, nil},
		{"negative retention", nil, lance.CleanupOptions{OlderThan: -time.Hour}, nil},
		{"branches", func(store objstore.Store) {
			putKey(t, store, "t.lance/_refs/branches/dev.json", `{"parentVersion": 1}`)
		}, later, lance.ErrUnsupported},
		{"tag without version", func(store objstore.Store) { putKey(t, store, "t.lance/_refs/tags/bad.json", `{"branch": null}`) }, later, lance.ErrCorrupt},
		{"tag not json", func(store objstore.Store) { putKey(t, store, "t.lance/_refs/tags/bad.json", `version 1`) }, later, lance.ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := objstore.NewMemory()
			fragmented(t, store, "t.lance", mem, 1, 1)
			if tt.setup != nil {
				tt.setup(store)
			}
			before := countKeys(t, store, "t.lance/")
			_, err := lance.CleanupOldVersions(ctx, store, "t.lance", tt.opts)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("CleanupOldVersions = %v; want an error wrapping %v", err, tt.want)
			}
			if after := countKeys(t, store, "t.lance/"); after != before {
				t.Errorf("%d objects after a refused cleanup; want %d", after, before)
			}
		})
	}
	if _, err := lance.CleanupOldVersions(ctx, objstore.NewMemory(), "none.lance", later); !errors.Is(err, lance.ErrNotFound) {
		t.Errorf("cleanup of a missing dataset: %v; want ErrNotFound", err)
	}
}

// TestCleanupConcurrentCommits: versions committed while cleanup runs keep
// their files, even files old enough to look abandoned.
func TestCleanupConcurrentCommits(t *testing.T) {
	objstoretest.EachBackend(t, testCleanupConcurrentCommits)
}

func testCleanupConcurrentCommits(t *testing.T, store objstore.Store) {
	ctx := context.Background()
	opts := lance.CleanupOptions{OlderThan: time.Hour, Now: time.Now().Add(2 * time.Hour)}
	t.Run("commit lands mid-cleanup", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		root := "m.lance"
		history(t, store, root, mem)
		base, err := lance.Open(ctx, store, root)
		if err != nil {
			t.Fatal(err)
		}
		// The append commits as cleanup deletes its first manifest, and
		// its data file reports an age past the cutoff: only reading the
		// new version again saves it.
		existing := map[string]bool{}
		for _, k := range listFiles(t, store, root) {
			existing[k] = true
		}
		ancient := time.Now().Add(-24 * time.Hour)
		var once sync.Once
		var appendErr error
		hooked := &hookStore{Store: store,
			beforeDelete: func(ctx context.Context, key string) error {
				if strings.Contains(key, "/_versions/") {
					once.Do(func() {
						var rs readers
						defer rs.release()
						_, appendErr = base.Append(ctx, rs.of(t, rows(mem, 100, 5)), lance.WriteOptions{})
					})
				}
				return nil
			},
			mtime: func(key string) (time.Time, bool) { return ancient, !existing[key] },
		}
		if _, err := lance.CleanupOldVersions(ctx, hooked, root, opts); err != nil {
			t.Fatal(err)
		}
		if appendErr != nil {
			t.Fatal(appendErr)
		}
		ds, err := lance.Open(ctx, store, root)
		if err != nil {
			t.Fatal(err)
		}
		if ds.Version() != 6 {
			t.Errorf("version %d; want 6 (the append during cleanup)", ds.Version())
		}
		equalIDs(t, "after cleanup", scanIDs(t, mem, ds), append(historyIDs[5], seq(100, 105)...))
	})
	t.Run("appends racing cleanup", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		root := "r.lance"
		history(t, store, root, mem)
		// Files written from here on are younger than the cutoff, as those
		// of a commit in flight are when the retention exceeds the time a
		// commit takes.
		var young sync.Map
		hooked := &hookStore{Store: store,
			beforePut: func(_ context.Context, key string) error { young.Store(key, true); return nil },
			mtime: func(key string) (time.Time, bool) {
				_, ok := young.Load(key)
				return opts.Now, ok
			},
		}
		const appends = 8
		var wg sync.WaitGroup
		var appendErr error
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < appends; i++ {
				ds, err := lance.Open(ctx, hooked, root)
				if err != nil {
					appendErr = err
					return
				}
				var rs readers
				_, err = ds.Append(ctx, rs.of(t, rows(mem, 100+5*i, 5)), lance.WriteOptions{})
				rs.release()
				if err != nil {
					appendErr = fmt.Errorf("append %d: %w", i, err)
					return
				}
			}
		}()
		for i := 0; i < 3; i++ {
			if _, err := lance.CleanupOldVersions(ctx, hooked, root, opts); err != nil {
				t.Error(err)
			}
		}
		wg.Wait()
		if appendErr != nil {
			t.Fatal(appendErr)
		}
		ds, err := lance.Open(ctx, store, root)
		if err != nil {
			t.Fatal(err)
		}
		equalIDs(t, "after the race", scanIDs(t, mem, ds), append(historyIDs[5], seq(100, 100+5*appends)...))
		vs, err := lance.ListVersions(ctx, store, root)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			old, err := lance.OpenVersion(ctx, store, root, v.Version)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(scanIDs(t, mem, old)); uint64(got) != v.Rows {
				t.Errorf("version %d reads %d rows; its manifest says %d", v.Version, got, v.Rows)
			}
		}
	})
	t.Run("deleting a removed version's rows conflicts", func(t *testing.T) {
		// A delete planned on version 1 must check version 2, which
		// cleanup removed: it conflicts instead of guessing.
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		root := "d.lance"
		ds := fragmented(t, store, root, mem, 5, 5, 5)
		stale, err := lance.OpenVersion(ctx, store, root, 1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := lance.CleanupOldVersions(ctx, store, root, opts); err != nil {
			t.Fatal(err)
		}
		_, err = stale.Delete(ctx, map[uint64]*roaring.Bitmap{0: roaring.BitmapOf(1)}, "id = 1")
		if !errors.Is(err, lance.ErrCommitConflict) {
			t.Errorf("delete from a cleaned-up version: %v; want ErrCommitConflict", err)
		}
		equalIDs(t, "latest", scanIDs(t, mem, ds), seq(0, 15))
	})
}

// TestTaggedVersions reads tags in the layout pylance 14 writes.
func TestTaggedVersions(t *testing.T) {
	ctx := context.Background()
	store := objstore.NewMemory()
	putKey(t, store, "t.lance/_refs/tags/keep.json", `{
  "branch": null,
  "version": 3,
  "createdAt": "2026-11-27T01:36:40.493828343Z",
  "updatedAt": "2026-11-27T01:36:40.493828343Z",
  "manifestSize": 495,
  "metadata": {}
}`)
	putKey(t, store, "t.lance/_refs/tags/v1.0.json", `{"branch": null, "version": 7, "manifestSize": 1}`)
	putKey(t, store, "t.lance/_refs/tags/README", `not a tag`)
	got, err := lance.TaggedVersions(ctx, store, "t.lance")
	if err != nil || fmt.Sprint(got) != "map[3:true 7:true]" {
		t.Errorf("TaggedVersions = %v, %v; want map[3:true 7:true]", got, err)
	}
	if got, err := lance.TaggedVersions(ctx, store, "none.lance"); err != nil || len(got) != 0 {
		t.Errorf("TaggedVersions(no tags) = %v, %v; want none", got, err)
	}
	putKey(t, store, "t.lance/_refs/tags/bad.json", `{"version": "three"}`)
	if _, err := lance.TaggedVersions(ctx, store, "t.lance"); !errors.Is(err, lance.ErrCorrupt) {
		t.Errorf("TaggedVersions with a bad tag: %v; want ErrCorrupt", err)
	}
}
