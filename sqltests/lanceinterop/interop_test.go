package lanceinterop

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance"
)

// deleteIDs deletes the rows whose id satisfies del, using row addresses
// from a scan, as the SQL layer does.
func deleteIDs(t *testing.T, ds *lance.Dataset, del func(int64) bool, predicate string) *lance.Dataset {
	t.Helper()
	ctx := context.Background()
	sc, err := ds.Scan(lance.ScanOptions{Columns: []int{0}, WithRowAddress: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	rows := map[uint64]*roaring.Bitmap{}
	for {
		rec, err := sc.Next(ctx)
		if err != nil {
			break
		}
		idc := rec.Column(0).(*array.Int64)
		addr := rec.Column(1).(*array.Uint64)
		for i := 0; i < int(rec.NumRows()); i++ {
			if del(idc.Value(i)) {
				a := addr.Value(i)
				if rows[a>>32] == nil {
					rows[a>>32] = roaring.New()
				}
				rows[a>>32].Add(uint32(a))
			}
		}
		rec.Release()
	}
	out, err := ds.Delete(ctx, rows, predicate)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func recordReader(t *testing.T, recs ...arrow.Record) array.RecordReader {
	t.Helper()
	rr, err := array.NewRecordReader(recs[0].Schema(), recs)
	if err != nil {
		t.Fatal(err)
	}
	return rr
}

// TestGoWritesPylanceReads writes a dataset with lancegate (every type,
// nulls, long strings, 768-d vectors, several fragments, deletions of both
// deletion-file kinds, several versions) and checks that pylance and
// LanceDB see exactly the same rows, schema and history; then pylance
// deletes and appends on top and lancegate reads the result.
func TestGoWritesPylanceReads(t *testing.T) {
	python(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	store, dir := localStore(t)
	const dim = 768
	b1 := allTypesBatch(mem, 0, 13000, dim)
	defer b1.Release()
	b2 := allTypesBatch(mem, 13000, 2000, dim)
	defer b2.Release()

	rr1, rr2 := recordReader(t, b1), recordReader(t, b2)
	defer rr1.Release()
	defer rr2.Release()
	ds, err := lance.Create(ctx, store, "t.lance", b1.Schema(), rr1, lance.WriteOptions{MaxRowsPerFile: 6000})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(ds.Fragments()); got != 3 {
		t.Fatalf("created %d fragments; want 3", got)
	}
	if ds, err = ds.Append(ctx, rr2, lance.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	// ~1% of every fragment (.arrow files) and 5,500 rows of fragment 0
	// (a .bin roaring bitmap: more than 5,000 rows).
	goDeleted := func(id int64) bool { return id%97 == 0 || id < 5500 }
	ds = deleteIDs(t, ds, goDeleted, "id % 97 = 0 OR id < 5500")
	if ds.Version() != 3 {
		t.Fatalf("version %d after create, append, delete; want 3", ds.Version())
	}

	all := concat(t, mem, b1.Schema(), []arrow.Record{retain(b1), retain(b2)})
	defer all.Release()
	want := filterIDs(t, mem, all, func(id int64) bool { return !goDeleted(id) })
	defer want.Release()

	uri := filepath.Join(dir, "t.lance")
	out := filepath.Join(t.TempDir(), "dump.arrow")
	res := pylance(t, "dump", uri, out)
	t.Logf("pylance %v", res["lance_version"])
	got := readIPC(t, mem, out)
	sameRecords(t, "pylance to_table", got, want)
	got.Release()
	if res["count_rows"].(float64) != float64(want.NumRows()) || res["version"].(float64) != 3 {
		t.Errorf("pylance count_rows %v version %v; want %d, 3", res["count_rows"], res["version"], want.NumRows())
	}
	if v := res["versions"].([]any); len(v) != 3 {
		t.Errorf("pylance sees %d versions; want 3", len(v))
	}
	if got := fmt.Sprint(res["fragment_ids"]); got != "[0 1 2 3]" {
		t.Errorf("pylance fragment ids %s; want [0 1 2 3]", got)
	}

	// Time travel in pylance: versions 1 and 2.
	for v, wantRows := range map[int]arrow.Record{1: b1, 2: all} {
		res := pylance(t, "dump", uri, out, "--version", fmt.Sprint(v))
		got := readIPC(t, mem, out)
		sameRecords(t, fmt.Sprintf("pylance version %d", v), got, wantRows)
		got.Release()
		if res["version"].(float64) != float64(v) {
			t.Errorf("pylance opened version %v; want %d", res["version"], v)
		}
	}

	// LanceDB's directory connection sees the same table.
	res = pylance(t, "lancedb", dir, "t", out)
	got = readIPC(t, mem, out)
	sameRecords(t, "lancedb open_table", got, want)
	got.Release()

	// pylance deletes on top of lancegate's deletion files, then appends.
	pyDeleted := func(id int64) bool { return id%89 == 0 }
	pylance(t, "delete", uri, "id % 89 = 0")
	b3 := allTypesBatch(mem, 20000, 500, dim)
	defer b3.Release()
	in := filepath.Join(t.TempDir(), "b3.arrow")
	writeIPC(t, in, b3)
	pylance(t, "write", uri, in, "--mode", "append")

	ds, err = lance.Open(ctx, store, "t.lance")
	if err != nil {
		t.Fatal(err)
	}
	if ds.Version() != 5 {
		t.Fatalf("lancegate opens version %d; want 5", ds.Version())
	}
	want2 := filterIDs(t, mem, want, func(id int64) bool { return !pyDeleted(id) })
	defer want2.Release()
	want3 := concat(t, mem, want2.Schema(), []arrow.Record{retain(want2), retain(b3)})
	defer want3.Release()
	got = scanAll(t, mem, ds)
	sameRecords(t, "lancegate after pylance delete and append", got, want3)
	got.Release()

	vs, err := lance.ListVersions(ctx, store, "t.lance")
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for i, v := range vs {
		if v.Version != uint64(i+1) {
			t.Errorf("version %d listed at position %d", v.Version, i)
		}
		ops = append(ops, v.Operation)
	}
	if got := fmt.Sprint(ops); got != "[Overwrite Append Delete Delete Append]" {
		t.Errorf("operations %s; want [Overwrite Append Delete Delete Append]", got)
	}
}

func retain(r arrow.Record) arrow.Record { r.Retain(); return r }

// TestPylanceWritesGoReads has pylance create datasets in every data file
// version and both manifest naming schemes, delete (both deletion-file
// kinds) and append, and checks that lancegate reads every version with
// exactly the rows pylance reads.
func TestPylanceWritesGoReads(t *testing.T) {
	python(t)
	for _, format := range []string{"2.0", "2.1", "2.2", "default"} {
		for _, names := range []string{"v1", "v2"} {
			t.Run(format+"/"+names, func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				ctx := context.Background()
				store, dir := localStore(t)
				uri := filepath.Join(dir, "p.lance")
				tmp := t.TempDir()
				b1 := allTypesBatch(mem, 0, 8000, 128)
				defer b1.Release()
				b2 := allTypesBatch(mem, 8000, 700, 128)
				defer b2.Release()
				in1, in2 := filepath.Join(tmp, "b1.arrow"), filepath.Join(tmp, "b2.arrow")
				writeIPC(t, in1, b1)
				writeIPC(t, in2, b2)
				args := []string{"write", uri, in1, "--max-rows-per-file", "6000"}
				if format != "default" {
					args = append(args, "--format", format)
				}
				if names == "v1" {
					args = append(args, "--v1-names")
				}
				res := pylance(t, args...)
				t.Logf("pylance wrote data storage version %v", res["data_storage_version"])
				pylance(t, "delete", uri, "id % 97 = 0 OR id < 5500")
				pylance(t, "write", uri, in2, "--mode", "append")
				pylance(t, "delete", uri, "id = 8001")

				vs, err := lance.ListVersions(ctx, store, "p.lance")
				if err != nil {
					t.Fatal(err)
				}
				if len(vs) != 4 {
					t.Fatalf("lancegate lists %d versions; want 4", len(vs))
				}
				for v := 1; v <= 4; v++ {
					out := filepath.Join(tmp, fmt.Sprintf("v%d.arrow", v))
					pylance(t, "dump", uri, out, "--version", fmt.Sprint(v))
					want := readIPC(t, mem, out)
					ds, err := lance.OpenVersion(ctx, store, "p.lance", uint64(v))
					if err != nil {
						want.Release()
						t.Fatal(err)
					}
					got := scanAll(t, mem, ds)
					sameRecords(t, fmt.Sprintf("version %d", v), got, want)
					if ds.CountRows() != uint64(want.NumRows()) {
						t.Errorf("version %d: CountRows %d; want %d", v, ds.CountRows(), want.NumRows())
					}
					got.Release()
					want.Release()
				}
			})
		}
	}
}

// TestAlternatingAppends appends from lancegate and pylance in turn, on a
// dataset created by either, and checks both see every row.
func TestAlternatingAppends(t *testing.T) {
	python(t)
	for _, creator := range []string{"lancegate", "pylance-2.0-v1", "pylance-2.0-v2", "pylance-2.1-v1", "pylance-default-v2"} {
		t.Run(creator, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			ctx := context.Background()
			store, dir := localStore(t)
			uri := filepath.Join(dir, "a.lance")
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
			first := next()
			switch creator {
			case "lancegate":
				rr := recordReader(t, first)
				defer rr.Release()
				if _, err := lance.Create(ctx, store, "a.lance", first.Schema(), rr, lance.WriteOptions{}); err != nil {
					t.Fatal(err)
				}
			default:
				in := filepath.Join(tmp, "first.arrow")
				writeIPC(t, in, first)
				args := []string{"write", uri, in}
				parts := strings.Split(creator, "-")
				if parts[1] != "default" {
					args = append(args, "--format", parts[1])
				}
				if parts[2] == "v1" {
					args = append(args, "--v1-names")
				}
				pylance(t, args...)
			}
			for round := 0; round < 6; round++ {
				b := next()
				if round%2 == 0 {
					ds, err := lance.Open(ctx, store, "a.lance")
					if err != nil {
						t.Fatal(err)
					}
					rr := recordReader(t, b)
					defer rr.Release()
					if _, err := ds.Append(ctx, rr, lance.WriteOptions{}); err != nil {
						t.Fatal(err)
					}
				} else {
					in := filepath.Join(tmp, fmt.Sprintf("r%d.arrow", round))
					writeIPC(t, in, b)
					pylance(t, "write", uri, in, "--mode", "append")
				}
			}
			want := concat(t, mem, first.Schema(), retainAll(batches))
			defer want.Release()
			ds, err := lance.Open(ctx, store, "a.lance")
			if err != nil {
				t.Fatal(err)
			}
			if ds.Version() != 7 {
				t.Errorf("version %d after 7 commits", ds.Version())
			}
			got := scanAll(t, mem, ds)
			sameRecords(t, "lancegate", got, want)
			got.Release()
			out := filepath.Join(tmp, "dump.arrow")
			pylance(t, "dump", uri, out)
			got = readIPC(t, mem, out)
			sameRecords(t, "pylance", got, want)
			got.Release()
			frags := ds.Fragments()
			for i, f := range frags {
				if f.ID != uint64(i) {
					t.Errorf("fragment %d has id %d; want ids 0..%d in order", i, f.ID, len(frags)-1)
				}
			}
		})
	}
}

func retainAll(recs []arrow.Record) []arrow.Record {
	for _, r := range recs {
		r.Retain()
	}
	return append([]arrow.Record(nil), recs...)
}

// TestConcurrentAppenders runs 8 goroutines appending to one dataset while
// a pylance process appends beside them: no row is lost or duplicated and
// the version history is linear, one version per append.
func TestConcurrentAppenders(t *testing.T) {
	python(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	store, dir := localStore(t)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "writer", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	batch := func(first, n int, writer string) arrow.Record {
		b := array.NewRecordBuilder(mem, schema)
		defer b.Release()
		for i := 0; i < n; i++ {
			b.Field(0).(*array.Int64Builder).Append(int64(first + i))
			b.Field(1).(*array.StringBuilder).Append(writer)
		}
		return b.NewRecord()
	}
	seed := batch(-1, 1, "seed")
	rr := recordReader(t, seed)
	_, err := lance.Create(ctx, store, "c.lance", schema, rr, lance.WriteOptions{})
	rr.Release()
	seed.Release()
	if err != nil {
		t.Fatal(err)
	}
	const goroutines, appends, rows = 8, 5, 10
	const pyBatches, pyFirst = 5, 1_000_000
	var wg sync.WaitGroup
	errs := make(chan error, goroutines+1)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for a := 0; a < appends; a++ {
				ds, err := lance.Open(ctx, store, "c.lance")
				if err != nil {
					errs <- err
					return
				}
				b := batch((g*appends+a)*rows, rows, fmt.Sprint("go", g))
				rr, _ := array.NewRecordReader(schema, []arrow.Record{b})
				_, err = ds.Append(ctx, rr, lance.WriteOptions{})
				rr.Release()
				b.Release()
				if err != nil {
					errs <- fmt.Errorf("goroutine %d append %d: %w", g, a, err)
					return
				}
			}
		}(g)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := pylanceErr(t, "append-loop", filepath.Join(dir, "c.lance"), "--batches", fmt.Sprint(pyBatches), "--rows", fmt.Sprint(rows), "--first-id", fmt.Sprint(pyFirst)); err != nil {
			errs <- err
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	ds, err := lance.Open(ctx, store, "c.lance")
	if err != nil {
		t.Fatal(err)
	}
	rec := scanAll(t, mem, ds)
	defer rec.Release()
	seen := map[int64]int{}
	for _, id := range ids(rec) {
		seen[id]++
	}
	wantRows := 1 + goroutines*appends*rows + pyBatches*rows
	if int(rec.NumRows()) != wantRows || len(seen) != wantRows {
		t.Errorf("%d rows, %d distinct ids; want %d", rec.NumRows(), len(seen), wantRows)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("id %d appears %d times", id, n)
		}
	}
	vs, err := lance.ListVersions(ctx, store, "c.lance")
	if err != nil {
		t.Fatal(err)
	}
	wantVersions := 1 + goroutines*appends + pyBatches
	if len(vs) != wantVersions || vs[len(vs)-1].Version != uint64(wantVersions) {
		t.Errorf("%d versions, newest %d; want %d, contiguous", len(vs), vs[len(vs)-1].Version, wantVersions)
	}
}
