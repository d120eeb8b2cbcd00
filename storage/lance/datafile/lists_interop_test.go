package datafile_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance/datafile"
	"github.com/lancegate/lancegate/storage/lance/pb"
)

// listSchema has a list column of every item type lancegate stores in
// arrays (text[], int[], bigint[], float8[], bool[], …) and an id.
var listSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: false},
	{Name: "tags", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
	{Name: "i16s", Type: arrow.ListOf(arrow.PrimitiveTypes.Int16), Nullable: true},
	{Name: "i32s", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32), Nullable: true},
	{Name: "i64s", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
	{Name: "f32s", Type: arrow.ListOf(arrow.PrimitiveTypes.Float32), Nullable: true},
	{Name: "f64s", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64), Nullable: true},
	{Name: "bools", Type: arrow.ListOf(arrow.FixedWidthTypes.Boolean), Nullable: true},
	{Name: "days", Type: arrow.ListOf(arrow.FixedWidthTypes.Date32), Nullable: true},
	{Name: "times", Type: arrow.ListOf(&arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}), Nullable: true},
	{Name: "blobs", Type: arrow.ListOf(arrow.BinaryTypes.Binary), Nullable: true},
	{Name: "essays", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
	{Name: "nulls", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32), Nullable: true},
}, nil)

// listLanceSchema is listSchema as Lance fields: each list field is
// followed by its "item" child, ids in pre-order.
func listLanceSchema(s *arrow.Schema) *pb.Schema {
	out := &pb.Schema{}
	id := int32(0)
	for _, f := range s.Fields() {
		lf := &pb.Field{Name: f.Name, Id: id, ParentId: -1, Nullable: f.Nullable}
		out.Fields = append(out.Fields, lf)
		id++
		if lt, ok := f.Type.(*arrow.ListType); ok {
			lf.LogicalType = "list"
			out.Fields = append(out.Fields, &pb.Field{Name: "item", Id: id, ParentId: lf.Id, Nullable: true, LogicalType: logicalType(lt.Elem())})
			id++
			continue
		}
		lf.LogicalType = logicalType(f.Type)
	}
	return out
}

// listShapeRow says what row i of a list column holds for a pattern: -1
// for a null list, else the number of items.
type listPattern struct {
	name string
	row  func(i, col int) int
	// nullItem reports whether item j of row i is null.
	nullItem func(i, j int) bool
}

var listPatterns = []listPattern{
	{"mixed", func(i, col int) int {
		switch (i + col) % 11 {
		case 0:
			return -1
		case 5:
			return 0
		}
		return (i*7 + col) % 5
	}, func(i, j int) bool { return (i+j)%6 == 2 }},
	{"no nulls", func(i, col int) int { return 1 + (i+col)%4 }, func(int, int) bool { return false }},
	{"long rows", func(i, col int) int {
		if i%50 == 7 {
			return 3000 + i%1000
		}
		if i%3 == 0 {
			return -1
		}
		return i % 3
	}, func(i, j int) bool { return j%101 == 5 }},
}

// listRecord builds n rows of listSchema, row ids from first.
func listRecord(mem memory.Allocator, p listPattern, n, first int) arrow.Record {
	b := array.NewRecordBuilder(mem, listSchema)
	defer b.Release()
	for i := first; i < first+n; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		for c := 1; c < len(listSchema.Fields()); c++ {
			lb := b.Field(c).(*array.ListBuilder)
			k := p.row(i, c)
			if listSchema.Field(c).Name == "nulls" {
				k = min(k, 1) // null lists, empty lists and null items only
			}
			if k < 0 {
				lb.AppendNull()
				continue
			}
			lb.Append(true)
			for j := 0; j < k; j++ {
				v := i*31 + j
				if p.nullItem(i, j) || listSchema.Field(c).Name == "nulls" {
					lb.ValueBuilder().AppendNull()
					continue
				}
				switch vb := lb.ValueBuilder().(type) {
				case *array.StringBuilder:
					if listSchema.Field(c).Name == "essays" {
						vb.Append(strings.Repeat(fmt.Sprintf("%c", 'a'+v%26), 200+v%200))
					} else {
						vb.Append(fmt.Sprintf("t%d", v%97))
					}
				case *array.Int16Builder:
					vb.Append(int16(v))
				case *array.Int32Builder:
					vb.Append(int32(v * 7919))
				case *array.Int64Builder:
					vb.Append(int64(v) << 33)
				case *array.Float32Builder:
					vb.Append(float32(v) / 3)
				case *array.Float64Builder:
					vb.Append(float64(v) * 1.5)
				case *array.BooleanBuilder:
					vb.Append(v%3 == 0)
				case *array.Date32Builder:
					vb.Append(arrow.Date32(v % 30000))
				case *array.TimestampBuilder:
					vb.Append(arrow.Timestamp(int64(v) * 1e6))
				case *array.BinaryBuilder:
					vb.Append([]byte{byte(v), byte(v >> 8)})
				}
			}
		}
	}
	return b.NewRecord()
}

// writeListFile writes batches of the given sizes and returns the file and
// every row written, concatenated.
func writeListFile(t *testing.T, mem memory.Allocator, p listPattern, batches []int, opts datafile.WriterOptions) ([]byte, arrow.Record) {
	t.Helper()
	var buf bytes.Buffer
	w, err := datafile.NewWriter(&buf, listSchema, listLanceSchema(listSchema), opts)
	if err != nil {
		t.Fatal(err)
	}
	var written []arrow.Record
	defer func() {
		for _, r := range written {
			r.Release()
		}
	}()
	first := 0
	for _, n := range batches {
		rec := listRecord(mem, p, n, first)
		first += n
		if err := w.Write(rec); err != nil {
			rec.Release()
			t.Fatal(err)
		}
		written = append(written, rec)
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	cols := make([]arrow.Array, listSchema.NumFields())
	for c := range cols {
		parts := make([]arrow.Array, len(written))
		for i, r := range written {
			parts[i] = r.Column(c)
		}
		a, err := array.Concatenate(parts, mem)
		if err != nil {
			t.Fatal(err)
		}
		cols[c] = a
	}
	rec := array.NewRecord(listSchema, cols, -1)
	for _, a := range cols {
		a.Release()
	}
	return buf.Bytes(), rec
}

// listWriteCases are the files the list tests write: small and large
// pages, pages cut at the list page row limit, and long rows.
var listWriteCases = []struct {
	name      string
	pattern   int
	batches   []int
	pageBytes int
}{
	{"one row", 0, []int{1}, 0},
	{"mixed", 0, []int{3000}, 0},
	{"no nulls", 1, []int{2000}, 0},
	{"small pages", 0, []int{300, 1, 700, 250}, 2048},
	{"row limit", 0, []int{20000, 15000}, 0},
	{"long rows", 2, []int{400}, 0},
}

// TestListRoundTrip writes list columns into 2.1 and 2.2 files and reads
// them back with the data file reader.
func TestListRoundTrip(t *testing.T) {
	for _, v := range []datafile.Version{datafile.V2_1, datafile.V2_2} {
		for _, c := range listWriteCases {
			t.Run(v.String()+"/"+c.name, func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				data, want := writeListFile(t, mem, listPatterns[c.pattern], c.batches, datafile.WriterOptions{Version: v, PageBytes: c.pageBytes})
				defer want.Release()
				f, err := datafile.ParseFile("lists.lance", data)
				if err != nil {
					t.Fatal(err)
				}
				if len(f.Columns) != listSchema.NumFields() {
					t.Fatalf("%d columns; want %d", len(f.Columns), listSchema.NumFields())
				}
				got := readAll(t, mem, memSource{"f.lance": data}, "f.lance", int64(len(data)), listSchema)
				defer got.Release()
				for i := range listSchema.Fields() {
					if !array.Equal(got.Column(i), want.Column(i)) {
						t.Fatalf("column %s differs:\n got %v\nwant %v", listSchema.Field(i).Name, trunc(got.Column(i)), trunc(want.Column(i)))
					}
				}
			})
		}
	}
	// 2.0 files have no list encoding in lancegate's writer.
	var buf bytes.Buffer
	if _, err := datafile.NewWriter(&buf, listSchema, listLanceSchema(listSchema), datafile.WriterOptions{}); err == nil {
		t.Fatal("NewWriter(2.0, list columns) succeeded; want an error")
	}
}

// TestPylanceReadsLists writes list columns with lancegate and has pylance
// read them back (whole, by row ranges, by scattered rows), as
// TestPylanceReadsWriter does for flat columns.
func TestPylanceReadsLists(t *testing.T) {
	py := interopPython(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	var files []*interopFile
	defer func() {
		for _, f := range files {
			f.want.Release()
		}
	}()
	for _, v := range []datafile.Version{datafile.V2_1, datafile.V2_2} {
		for _, c := range listWriteCases {
			data, want := writeListFile(t, mem, listPatterns[c.pattern], c.batches, datafile.WriterOptions{Version: v, PageBytes: c.pageBytes})
			base := filepath.Join(dir, fmt.Sprintf("f%03d", len(files)))
			f := &interopFile{Name: v.String() + "/" + c.name, Lance: base + ".lance", Expected: base + ".arrow", Out: base + ".out.arrow", Version: v.String(), want: want}
			files = append(files, f)
			if err := os.WriteFile(f.Lance, data, 0o644); err != nil {
				t.Fatal(err)
			}
			writeIPC(t, f.Expected, want)
		}
	}
	manifest := filepath.Join(dir, "manifest.json")
	b, err := json.Marshal(files)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(manifest, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "pylance_read.py", manifest)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	results := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var r struct {
			Name   string   `json:"name"`
			Errors []string `json:"errors"`
		}
		if json.Unmarshal([]byte(line), &r) == nil && r.Name != "" {
			results[r.Name] = r.Errors
		}
	}
	for _, f := range files {
		errs, ok := results[f.Name]
		switch {
		case !ok:
			t.Errorf("%s: pylance_read.py reported nothing", f.Name)
		case len(errs) > 0:
			t.Errorf("%s: pylance read back differently:\n%s", f.Name, strings.Join(errs, "\n"))
		default:
			compareIPC(t, mem, f.Name, f.Out, f.want)
		}
	}
	if runErr != nil && !t.Failed() {
		t.Errorf("pylance_read.py: %v\n%s", runErr, stderr.String())
	}
	if t.Failed() && stderr.Len() > 0 {
		t.Logf("pylance_read.py stderr:\n%s", stderr.String())
	}
}
