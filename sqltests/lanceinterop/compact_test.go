package lanceinterop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/objstore"
)

// Compaction and old-version cleanup across lancegate and pylance: each
// side compacts and cleans up datasets the other wrote, and the other
// still reads every row and the history that remains.

// maintenanceTool drives pylance's table maintenance; like pylance_tool.py
// it prints one JSON object per command.
const maintenanceTool = `
import argparse, datetime, json, sys, time
import lance

def history(ds):
    out = []
    for v in ds.versions():
        t = ds.read_transaction(v["version"])
        out.append({"version": v["version"], "operation": type(t.operation).__name__ if t is not None else None})
    return out

def cmd_compact(a):
    ds = lance.dataset(a.uri)
    t0 = time.perf_counter()
    m = ds.optimize.compact_files()
    secs = time.perf_counter() - t0
    ds = lance.dataset(a.uri)
    return {"seconds": secs, "lance_version": lance.__version__, "fragments_removed": m.fragments_removed, "fragments_added": m.fragments_added,
            "version": ds.version, "fragments": len(ds.get_fragments()), "count_rows": ds.count_rows()}

def cmd_cleanup(a):
    ds = lance.dataset(a.uri)
    s = ds.cleanup_old_versions(older_than=datetime.timedelta(seconds=a.older_than),
                                delete_unverified=a.delete_unverified, error_if_tagged_old_versions=False)
    return {"old_versions": s.old_versions, "bytes_removed": s.bytes_removed}

def cmd_history(a):
    ds = lance.dataset(a.uri)
    return {"version": ds.version, "history": history(ds), "fragments": len(ds.get_fragments()),
            "count_rows": ds.count_rows()}

def cmd_tag(a):
    ds = lance.dataset(a.uri)
    ds.tags.create(a.name, a.version)
    return {}

p = argparse.ArgumentParser()
sub = p.add_subparsers(dest="cmd", required=True)
c = sub.add_parser("compact"); c.add_argument("uri")
c = sub.add_parser("cleanup"); c.add_argument("uri"); c.add_argument("--older-than", type=float, default=0)
c.add_argument("--delete-unverified", action="store_true")
c = sub.add_parser("history"); c.add_argument("uri")
c = sub.add_parser("tag"); c.add_argument("uri"); c.add_argument("name"); c.add_argument("version", type=int)
a = p.parse_args()
json.dump(globals()["cmd_" + a.cmd](a), sys.stdout)
`

// maintenance runs a maintenanceTool command and decodes its answer.
func maintenance(t *testing.T, args ...string) map[string]any {
	t.Helper()
	tool := filepath.Join(t.TempDir(), "maintenance.py")
	if err := os.WriteFile(tool, []byte(maintenanceTool), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python(t), append([]string{tool}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("maintenance %v: %v\n%s", args, err, stderr.String())
	}
	var res map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("maintenance %v printed %q: %v", args, stdout.String(), err)
	}
	return res
}

// pyHistory returns the versions pylance lists and the operation of each.
func pyHistory(t *testing.T, uri string) ([]int, []string) {
	t.Helper()
	res := maintenance(t, "history", uri)
	var vs []int
	var ops []string
	for _, h := range res["history"].([]any) {
		m := h.(map[string]any)
		vs = append(vs, int(m["version"].(float64)))
		op, _ := m["operation"].(string)
		ops = append(ops, op)
	}
	return vs, ops
}

// pyRows dumps version v (0: the latest) of uri with pylance.
func pyRows(t *testing.T, mem memory.Allocator, uri string, v int) arrow.Record {
	t.Helper()
	out := filepath.Join(t.TempDir(), "dump.arrow")
	args := []string{"dump", uri, out}
	if v != 0 {
		args = append(args, "--version", fmt.Sprint(v))
	}
	pylance(t, args...)
	return readIPC(t, mem, out)
}

// TestGoCompactsPylanceDataset: pylance writes many fragments and deletes
// from them; lancegate compacts; pylance reads every remaining row from the
// one new fragment, reports the Rewrite, and finds nothing left to compact.
func TestGoCompactsPylanceDataset(t *testing.T) {
	python(t)
	for _, format := range []string{"2.0", "default"} {
		t.Run(format, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			ctx := context.Background()
			store, dir := localStore(t)
			uri := filepath.Join(dir, "p.lance")
			tmp := t.TempDir()
			b1 := allTypesBatch(mem, 0, 6000, 16)
			defer b1.Release()
			b2 := allTypesBatch(mem, 6000, 500, 16)
			defer b2.Release()
			in1, in2 := filepath.Join(tmp, "b1.arrow"), filepath.Join(tmp, "b2.arrow")
			writeIPC(t, in1, b1)
			writeIPC(t, in2, b2)
			args := []string{"write", uri, in1, "--max-rows-per-file", "300"}
			if format != "default" {
				args = append(args, "--format", format)
			}
			pylance(t, args...)
			deleted := func(id int64) bool { return id%7 == 0 || (id >= 1000 && id < 1250) }
			pylance(t, "delete", uri, "id % 7 = 0 OR (id >= 1000 AND id < 1250)")
			pylance(t, "write", uri, in2, "--mode", "append")

			kept := filterIDs(t, mem, b1, func(id int64) bool { return !deleted(id) })
			defer kept.Release()
			want := concat(t, mem, b1.Schema(), []arrow.Record{retain(kept), retain(b2)})
			defer want.Release()

			ds, err := lance.Open(ctx, store, "p.lance")
			if err != nil {
				t.Fatal(err)
			}
			before := len(ds.Fragments())
			start := time.Now()
			got, stats, err := ds.Compact(ctx, lance.CompactOptions{Mem: mem})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("lancegate compacted %d fragments (%d rows, data format %s) in %v", stats.FragmentsRemoved, stats.RowsRewritten, ds.DataFormat(), time.Since(start))
			if stats.FragmentsRemoved != uint64(before) || len(got.Fragments()) != 1 {
				t.Fatalf("compaction removed %d of %d fragments, leaving %d; want all, leaving 1", stats.FragmentsRemoved, before, len(got.Fragments()))
			}

			rows := pyRows(t, mem, uri, 0)
			sameRecords(t, "pylance after lancegate compaction", rows, want)
			rows.Release()
			vs, ops := pyHistory(t, uri)
			if last := ops[len(ops)-1]; last != "Rewrite" || vs[len(vs)-1] != int(got.Version()) {
				t.Errorf("pylance history ends with version %d %q; want %d Rewrite", vs[len(vs)-1], last, got.Version())
			}
			// pylance still time-travels to the version before.
			rows = pyRows(t, mem, uri, int(ds.Version()))
			sameRecords(t, "pylance before compaction", rows, want)
			rows.Release()
			// pylance's planner agrees there is nothing left to compact.
			res := maintenance(t, "compact", uri)
			if res["fragments_removed"].(float64) != 0 || res["version"].(float64) != float64(got.Version()) {
				t.Errorf("pylance compacted again: %v", res)
			}
			rows = scanAll(t, mem, got)
			sameRecords(t, "lancegate after compaction", rows, want)
			rows.Release()
		})
	}
}

// TestPylanceCompactsGoDataset: lancegate writes many fragments and deletes
// from them; pylance compacts; lancegate reads every remaining row, sees
// the Rewrite, and appends on top.
func TestPylanceCompactsGoDataset(t *testing.T) {
	python(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	store, dir := localStore(t)
	uri := filepath.Join(dir, "g.lance")
	b1 := allTypesBatch(mem, 0, 3000, 16)
	defer b1.Release()
	rr := recordReader(t, b1)
	defer rr.Release()
	ds, err := lance.Create(ctx, store, "g.lance", b1.Schema(), rr, lance.WriteOptions{MaxRowsPerFile: 200})
	if err != nil {
		t.Fatal(err)
	}
	deleted := func(id int64) bool { return id%5 == 0 || id < 150 }
	deleteIDs(t, ds, deleted, "id % 5 = 0 OR id < 150")
	want := filterIDs(t, mem, b1, func(id int64) bool { return !deleted(id) })
	defer want.Release()

	res := maintenance(t, "compact", uri)
	if res["fragments"].(float64) != 1 || res["count_rows"].(float64) != float64(want.NumRows()) {
		t.Fatalf("pylance compaction left %v fragments, %v rows; want 1, %d", res["fragments"], res["count_rows"], want.NumRows())
	}
	got, err := lance.Open(ctx, store, "g.lance")
	if err != nil {
		t.Fatal(err)
	}
	rows := scanAll(t, mem, got)
	sameRecords(t, "lancegate after pylance compaction", rows, want)
	rows.Release()
	vs, err := lance.ListVersions(ctx, store, "g.lance")
	if err != nil {
		t.Fatal(err)
	}
	if op := vs[len(vs)-1].Operation; op != "Rewrite" {
		t.Errorf("lancegate sees the last operation as %q; want Rewrite", op)
	}
	// lancegate's planner agrees there is nothing left, and appends on top.
	if same, stats, err := got.Compact(ctx, lance.CompactOptions{Mem: mem}); err != nil || same != got || stats.Version != 0 {
		t.Errorf("lancegate compacted pylance's output again: %+v, %v", stats, err)
	}
	b2 := allTypesBatch(mem, 3000, 100, 16)
	defer b2.Release()
	rr2 := recordReader(t, b2)
	defer rr2.Release()
	if got, err = got.Append(ctx, rr2, lance.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	want2 := concat(t, mem, want.Schema(), []arrow.Record{retain(want), retain(b2)})
	defer want2.Release()
	rows = pyRows(t, mem, uri, 0)
	sameRecords(t, "pylance after lancegate append", rows, want2)
	rows.Release()
}

// TestCleanupInterop: lancegate removes old versions of a dataset both
// sides wrote, keeping the one pylance tagged, and pylance opens what
// remains; pylance removes old versions of a lancegate dataset, and
// lancegate opens what remains.
func TestCleanupInterop(t *testing.T) {
	python(t)
	ctx := context.Background()
	t.Run("lancegate cleans up", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		store, dir := localStore(t)
		uri := filepath.Join(dir, "m.lance")
		tmp := t.TempDir()
		var batches []arrow.Record
		defer func() {
			for _, b := range batches {
				b.Release()
			}
		}()
		next := func() arrow.Record {
			b := allTypesBatch(mem, len(batches)*100, 100, 8)
			batches = append(batches, b)
			return b
		}
		// v1, v2: pylance create and append; v3: lancegate append;
		// v4: lancegate delete; v5: lancegate compaction.
		for i, mode := range []string{"create", "append"} {
			in := filepath.Join(tmp, fmt.Sprintf("b%d.arrow", i))
			writeIPC(t, in, next())
			args := []string{"write", uri, in, "--mode", mode}
			if mode == "create" {
				args = append(args, "--format", "2.0")
			}
			pylance(t, args...)
		}
		ds, err := lance.Open(ctx, store, "m.lance")
		if err != nil {
			t.Fatal(err)
		}
		rr := recordReader(t, next())
		defer rr.Release()
		if ds, err = ds.Append(ctx, rr, lance.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		deleted := func(id int64) bool { return id%3 == 0 }
		ds = deleteIDs(t, ds, deleted, "id % 3 = 0")
		if ds, _, err = ds.Compact(ctx, lance.CompactOptions{Mem: mem}); err != nil {
			t.Fatal(err)
		}
		// pylance tags version 1; its latest_version_hint.json names
		// version 2, which cleanup removes.
		maintenance(t, "tag", uri, "first", "1")

		stats, err := lance.CleanupOldVersions(ctx, store, "m.lance", lance.CleanupOptions{OlderThan: time.Hour, Now: time.Now().Add(2 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("lancegate cleanup: %+v", stats)
		vs, ops := pyHistory(t, uri)
		if fmt.Sprint(vs) != "[1 5]" || ops[1] != "Rewrite" {
			t.Errorf("pylance lists versions %v %v; want [1 5] ending with Rewrite", vs, ops)
		}
		all := concat(t, mem, batches[0].Schema(), retainAll(batches))
		defer all.Release()
		want := filterIDs(t, mem, all, func(id int64) bool { return !deleted(id) })
		defer want.Release()
		rows := pyRows(t, mem, uri, 0)
		sameRecords(t, "pylance latest after lancegate cleanup", rows, want)
		rows.Release()
		rows = pyRows(t, mem, uri, 1)
		sameRecords(t, "pylance tagged version after lancegate cleanup", rows, batches[0])
		rows.Release()
		// The removed versions' files are gone: pylance, asked to clean up
		// everything it may, finds only the unverified-age-protected rest.
		if _, err := lance.OpenVersion(ctx, store, "m.lance", 3); !errors.Is(err, lance.ErrNotFound) {
			t.Errorf("version 3 after cleanup: %v; want ErrNotFound", err)
		}
		res := maintenance(t, "cleanup", uri, "--older-than", "0")
		if res["old_versions"].(float64) != 0 || res["bytes_removed"].(float64) != 0 {
			t.Errorf("pylance found more to clean up after lancegate: %v", res)
		}
	})
	t.Run("pylance cleans up", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		store, dir := localStore(t)
		uri := filepath.Join(dir, "g.lance")
		b1 := allTypesBatch(mem, 0, 1000, 8)
		defer b1.Release()
		rr := recordReader(t, b1)
		defer rr.Release()
		ds, err := lance.Create(ctx, store, "g.lance", b1.Schema(), rr, lance.WriteOptions{MaxRowsPerFile: 100})
		if err != nil {
			t.Fatal(err)
		}
		deleted := func(id int64) bool { return id%4 == 1 }
		ds = deleteIDs(t, ds, deleted, "id % 4 = 1")
		if ds, _, err = ds.Compact(ctx, lance.CompactOptions{Mem: mem}); err != nil {
			t.Fatal(err)
		}
		b2 := allTypesBatch(mem, 1000, 50, 8)
		defer b2.Release()
		rr2 := recordReader(t, b2)
		defer rr2.Release()
		if ds, err = ds.Append(ctx, rr2, lance.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		res := maintenance(t, "cleanup", uri, "--older-than", "0", "--delete-unverified")
		if res["old_versions"].(float64) != 3 {
			t.Errorf("pylance removed %v old versions; want 3", res["old_versions"])
		}
		vs, err := lance.ListVersions(ctx, store, "g.lance")
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != 1 || vs[0].Version != ds.Version() {
			t.Errorf("lancegate lists %+v after pylance cleanup; want only version %d", vs, ds.Version())
		}
		got, err := lance.Open(ctx, store, "g.lance")
		if err != nil {
			t.Fatal(err)
		}
		want1 := filterIDs(t, mem, b1, func(id int64) bool { return !deleted(id) })
		defer want1.Release()
		want := concat(t, mem, b1.Schema(), []arrow.Record{retain(want1), retain(b2)})
		defer want.Release()
		rows := scanAll(t, mem, got)
		sameRecords(t, "lancegate after pylance cleanup", rows, want)
		rows.Release()
		// And lancegate finds nothing more to remove.
		stats, err := lance.CleanupOldVersions(ctx, store, "g.lance", lance.CleanupOptions{OlderThan: time.Hour, Now: time.Now().Add(2 * time.Hour)})
		if err != nil || stats != (lance.CleanupStats{}) {
			t.Errorf("lancegate cleanup after pylance's: %+v, %v; want nothing removed", stats, err)
		}
	})
}

// TestCompactSpeed times lancegate and pylance compacting copies of the
// same pylance-written dataset of 200 small fragments (200,000 rows of the
// benchmark schema; LANCEGATE_BENCH_ROWS to change), with and without
// deleted rows. The figures are logged, not asserted.
func TestCompactSpeed(t *testing.T) {
	python(t)
	if testing.Short() {
		t.Skip("timing only")
	}
	n := 200_000
	if os.Getenv("LANCEGATE_BENCH_ROWS") != "" {
		n = benchRows()
	}
	mem := memory.NewGoAllocator()
	recs := benchBatches(mem, n)
	all := concat(t, mem, benchSchema, recs)
	defer all.Release()
	tmp := t.TempDir()
	in := filepath.Join(tmp, "rows.arrow")
	writeIPC(t, in, all)
	for _, c := range []struct {
		name  string
		files int
		del   string
	}{
		{"small fragments", 200, ""},
		{"small fragments with deletions", 200, "id % 10 = 0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			src := filepath.Join(dir, "src.lance")
			pylance(t, "write", src, in, "--format", "2.0", "--max-rows-per-file", fmt.Sprint(n/c.files))
			if c.del != "" {
				pylance(t, "delete", src, c.del)
			}
			for _, side := range []string{"go", "py"} {
				if err := os.CopyFS(filepath.Join(dir, side+".lance"), os.DirFS(src)); err != nil {
					t.Fatal(err)
				}
			}
			store, err := objstore.NewLocal(dir)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			ds, err := lance.Open(ctx, store, "go.lance")
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			got, stats, err := ds.Compact(ctx, lance.CompactOptions{})
			if err != nil {
				t.Fatal(err)
			}
			goSecs := time.Since(start).Seconds()
			res := maintenance(t, "compact", filepath.Join(dir, "py.lance"))
			pySecs := res["seconds"].(float64)
			rows := float64(stats.RowsRewritten)
			t.Logf("%d fragments, %d rows rewritten: lancegate %.3fs (%.0f rows/s), pylance %v %.3fs (%.0f rows/s)",
				stats.FragmentsRemoved, stats.RowsRewritten, goSecs, rows/goSecs, res["lance_version"], pySecs, rows/pySecs)
			if res["count_rows"].(float64) != rows || got.CountRows() != stats.RowsRewritten || len(got.Fragments()) != 1 {
				t.Errorf("pylance kept %v rows, lancegate %d in %d fragments", res["count_rows"], got.CountRows(), len(got.Fragments()))
			}
		})
	}
}
