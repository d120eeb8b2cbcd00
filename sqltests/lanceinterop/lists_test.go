package lanceinterop

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/lance/datafile"
)

// listsSchema has a list column for every array type the SQL layer stores
// (text[], smallint[], int[], bigint[], real[], float8[], bool[], date[],
// timestamptz[], bytea[]).
var listsSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "tags", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
	{Name: "i16s", Type: arrow.ListOf(arrow.PrimitiveTypes.Int16), Nullable: true},
	{Name: "i32s", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32), Nullable: true},
	{Name: "i64s", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
	{Name: "f32s", Type: arrow.ListOf(arrow.PrimitiveTypes.Float32), Nullable: true},
	{Name: "f64s", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64), Nullable: true},
	{Name: "flags", Type: arrow.ListOf(arrow.FixedWidthTypes.Boolean), Nullable: true},
	{Name: "days", Type: arrow.ListOf(arrow.FixedWidthTypes.Date32), Nullable: true},
	{Name: "stamps", Type: arrow.ListOf(&arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}), Nullable: true},
	{Name: "blobs", Type: arrow.ListOf(arrow.BinaryTypes.Binary), Nullable: true},
	{Name: "essays", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
}, nil)

// listsBatch builds n rows with ids from first: null lists, empty lists,
// null items, long rows (thousands of items) and long strings.
func listsBatch(mem memory.Allocator, first, n int) arrow.Record {
	return listsRows(mem, first, first+n, func(int) bool { return true })
}

// listsRows builds the rows of listsBatch with ids in [from, to) that keep
// accepts. (The expected rows after a delete are built, not filtered:
// Arrow's take kernel is quadratic on lists of long strings.)
func listsRows(mem memory.Allocator, from, to int, keep func(int) bool) arrow.Record {
	b := array.NewRecordBuilder(mem, listsSchema)
	defer b.Release()
	for id := from; id < to; id++ {
		if !keep(id) {
			continue
		}
		b.Field(0).(*array.Int64Builder).Append(int64(id))
		for c := 1; c < listsSchema.NumFields(); c++ {
			lb := b.Field(c).(*array.ListBuilder)
			var k int
			switch (id + c) % 13 {
			case 0:
				lb.AppendNull()
				continue
			case 6:
				k = 0
			default:
				k = (id*7 + c) % 5
			}
			if id%397 == 200 {
				k = 2000 + id%1000
			}
			lb.Append(true)
			for j := 0; j < k; j++ {
				v := id*31 + j
				if (id+j+c)%9 == 4 {
					lb.ValueBuilder().AppendNull()
					continue
				}
				switch vb := lb.ValueBuilder().(type) {
				case *array.StringBuilder:
					if listsSchema.Field(c).Name == "essays" {
						vb.Append(strings.Repeat(string(rune('a'+v%26)), 240+v%40))
					} else {
						vb.Append(fmt.Sprintf("tag-%d", v%101))
					}
				case *array.Int16Builder:
					vb.Append(int16(v))
				case *array.Int32Builder:
					vb.Append(int32(v) * 7919)
				case *array.Int64Builder:
					vb.Append(int64(v) << 33)
				case *array.Float32Builder:
					vb.Append(float32(v) / 3)
				case *array.Float64Builder:
					vb.Append(float64(v) * -1.25)
				case *array.BooleanBuilder:
					vb.Append(v%3 == 0)
				case *array.Date32Builder:
					vb.Append(arrow.Date32(v % 40000))
				case *array.TimestampBuilder:
					vb.Append(arrow.Timestamp(int64(v) * 1_000_003))
				case *array.BinaryBuilder:
					vb.Append([]byte{byte(v), byte(v >> 8), 0})
				}
			}
		}
	}
	return b.NewRecord()
}

// TestGoWritesListsPylanceReads creates a dataset of list columns with
// lancegate (several fragments, a deletion, an append), checks that it is
// a 2.1 dataset pylance reads with exactly the same rows at every version,
// then has pylance delete and append and reads the result back.
func TestGoWritesListsPylanceReads(t *testing.T) {
	python(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	store, dir := localStore(t)
	b1 := listsBatch(mem, 0, 3000)
	defer b1.Release()
	b2 := listsBatch(mem, 3000, 500)
	defer b2.Release()
	rr1, rr2 := recordReader(t, b1), recordReader(t, b2)
	defer rr1.Release()
	defer rr2.Release()
	ds, err := lance.Create(ctx, store, "l.lance", listsSchema, rr1, lance.WriteOptions{MaxRowsPerFile: 1200})
	if err != nil {
		t.Fatal(err)
	}
	if ds.DataFormat() != datafile.V2_1 {
		t.Fatalf("dataset with list columns created as %s; want 2.1", ds.DataFormat())
	}
	if ds, err = ds.Append(ctx, rr2, lance.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	goDeleted := func(id int64) bool { return id%41 == 0 }
	ds = deleteIDs(t, ds, goDeleted, "id % 41 = 0")

	want := listsRows(mem, 0, 3500, func(id int) bool { return !goDeleted(int64(id)) })
	defer want.Release()

	got := scanAll(t, mem, ds)
	sameRecords(t, "lancegate scan", got, want)
	got.Release()

	uri := filepath.Join(dir, "l.lance")
	out := filepath.Join(t.TempDir(), "dump.arrow")
	res := pylance(t, "dump", uri, out)
	got = readIPC(t, mem, out)
	sameRecords(t, "pylance to_table", got, want)
	got.Release()
	if res["data_storage_version"] != "2.1" || res["version"].(float64) != 3 {
		t.Errorf("pylance sees data storage version %v, version %v; want 2.1, 3", res["data_storage_version"], res["version"])
	}
	res = pylance(t, "dump", uri, out, "--version", "1")
	got = readIPC(t, mem, out)
	sameRecords(t, "pylance version 1", got, b1)
	got.Release()

	// pylance deletes and appends on top; lancegate reads the result.
	pylance(t, "delete", uri, "id % 43 = 0")
	b3 := listsBatch(mem, 20000, 300)
	defer b3.Release()
	in := filepath.Join(t.TempDir(), "b3.arrow")
	writeIPC(t, in, b3)
	pylance(t, "write", uri, in, "--mode", "append")
	ds, err = lance.Open(ctx, store, "l.lance")
	if err != nil {
		t.Fatal(err)
	}
	want2 := listsRows(mem, 0, 3500, func(id int) bool { return !goDeleted(int64(id)) && id%43 != 0 })
	defer want2.Release()
	want3 := concat(t, mem, listsSchema, []arrow.Record{retain(want2), retain(b3)})
	defer want3.Release()
	got = scanAll(t, mem, ds)
	sameRecords(t, "lancegate after pylance delete and append", got, want3)
	got.Release()
}

// TestPylanceWritesListsGoReads has pylance create list datasets in the
// data file versions lancegate reads lists of (2.1, 2.2 and pylance's
// default), checks lancegate reads the same rows, appends with lancegate
// (in the dataset's version) and checks pylance reads that. 2.0 list
// columns are refused with ErrUnsupported, not misread.
func TestPylanceWritesListsGoReads(t *testing.T) {
	python(t)
	for _, format := range []string{"2.1", "2.2", "default", "2.0"} {
		t.Run(format, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			ctx := context.Background()
			store, dir := localStore(t)
			uri := filepath.Join(dir, "p.lance")
			tmp := t.TempDir()
			b1 := listsBatch(mem, 0, 2000)
			defer b1.Release()
			in := filepath.Join(tmp, "b1.arrow")
			writeIPC(t, in, b1)
			args := []string{"write", uri, in, "--max-rows-per-file", "800"}
			if format != "default" {
				args = append(args, "--format", format)
			}
			res := pylance(t, args...)
			t.Logf("pylance wrote data storage version %v", res["data_storage_version"])
			pylance(t, "delete", uri, "id % 37 = 0")
			want := listsRows(mem, 0, 2000, func(id int) bool { return id%37 != 0 })
			defer want.Release()

			ds, err := lance.Open(ctx, store, "p.lance")
			if err != nil {
				t.Fatal(err)
			}
			if format == "2.0" {
				sc, err := ds.Scan(lance.ScanOptions{Mem: mem})
				if err == nil {
					var rec arrow.Record
					rec, err = sc.Next(ctx)
					if rec != nil {
						rec.Release()
					}
					sc.Close()
				}
				if !errors.Is(err, lance.ErrUnsupported) {
					t.Fatalf("scanning 2.0 list columns: %v; want ErrUnsupported", err)
				}
				return
			}
			got := scanAll(t, mem, ds)
			sameRecords(t, "lancegate scan of pylance's dataset", got, want)
			got.Release()

			b2 := listsBatch(mem, 2000, 400)
			defer b2.Release()
			rr := recordReader(t, b2)
			defer rr.Release()
			if _, err := ds.Append(ctx, rr, lance.WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			want2 := concat(t, mem, listsSchema, []arrow.Record{retain(want), retain(b2)})
			defer want2.Release()
			out := filepath.Join(tmp, "dump.arrow")
			pylance(t, "dump", uri, out)
			got = readIPC(t, mem, out)
			sameRecords(t, "pylance after lancegate append", got, want2)
			got.Release()
		})
	}
}

// TestAddListColumn adds a list column to a 2.1 dataset, and refuses to
// add one to a 2.0 dataset, whose files cannot hold it.
func TestAddListColumn(t *testing.T) {
	ctx := context.Background()
	store, _ := localStore(t)
	f := []arrow.Field{{Name: "more", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true}}
	flat := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	ds, err := lance.Create(ctx, store, "flat.lance", flat, nil, lance.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ds.AddColumns(ctx, f); !errors.Is(err, lance.ErrUnsupportedType) {
		t.Fatalf("AddColumns(list) on a 2.0 dataset: %v; want ErrUnsupportedType", err)
	}
	ds, err = lance.Create(ctx, store, "lists.lance", listsSchema, nil, lance.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ds.AddColumns(ctx, f); err != nil {
		t.Fatalf("AddColumns(list) on a 2.1 dataset: %v", err)
	}
}
