package datafile_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"google.golang.org/protobuf/proto"

	"github.com/lancegate/lancegate/storage/lance/datafile"
	"github.com/lancegate/lancegate/storage/lance/pb/enc21"
)

// writeCase is one file the 2.1+ tests write: batches of typesRecord
// rows with a null pattern, split into pages of at most pageBytes.
type writeCase struct {
	name      string
	batches   []int
	pageBytes int
	null      nullPattern
	slice     bool // write slices of the batches (arrays with offsets)
}

// writeCases are the files written for every version and null pattern.
func writeCases() []writeCase {
	var out []writeCase
	for _, p := range nullPatterns {
		out = append(out,
			writeCase{name: "one row/" + p.name, batches: []int{1}, null: p.null},
			writeCase{name: "one batch/" + p.name, batches: []int{3000}, null: p.null},
			writeCase{name: "many pages/" + p.name, batches: []int{300, 1, 700, 250, 1100}, pageBytes: 2048, null: p.null},
			writeCase{name: "sliced/" + p.name, batches: []int{40, 1029, 13}, null: p.null, slice: true},
		)
	}
	// Pages whose last chunk has 64 or 65 definition levels: the first
	// are stored raw, the second bitpacked.
	for _, n := range []int{576, 577, 1088, 1089} {
		out = append(out, writeCase{name: fmt.Sprintf("%d rows/some", n), batches: []int{n}, null: nullPatterns[1].null})
	}
	return out
}

// writeFile writes the case's batches with opts and returns the file and
// every row written, concatenated.
func writeFile(t testing.TB, mem memory.Allocator, c writeCase, opts datafile.WriterOptions) ([]byte, arrow.Record) {
	t.Helper()
	opts.PageBytes = c.pageBytes
	var buf bytes.Buffer
	w, err := datafile.NewWriter(&buf, typesSchema, lanceSchema(typesSchema), opts)
	if err != nil {
		t.Fatal(err)
	}
	var written []arrow.Record
	defer func() {
		for _, r := range written {
			r.Release()
		}
	}()
	for i, n := range c.batches {
		rec := typesRecord(mem, n, i*1000, c.null)
		if c.slice && n > 4 {
			s := rec.NewSlice(2, int64(n-1))
			rec.Release()
			rec = s
		}
		if err := w.Write(rec); err != nil {
			rec.Release()
			t.Fatal(err)
		}
		written = append(written, rec)
	}
	info, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	want, err := concatRecords(mem, written)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != uint64(buf.Len()) || info.Rows != uint64(want.NumRows()) {
		want.Release()
		t.Fatalf("Close() = %+v; wrote %d bytes, %d rows", info, buf.Len(), want.NumRows())
	}
	return buf.Bytes(), want
}

// TestWriteReadRoundTrip21 writes 2.1 and 2.2 files of every type and
// null pattern and reads them back with the file reader.
func TestWriteReadRoundTrip21(t *testing.T) {
	for _, v := range []datafile.Version{datafile.V2_1, datafile.V2_2} {
		for _, c := range writeCases() {
			t.Run(fmt.Sprintf("%s/%s", v, c.name), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				data, want := writeFile(t, mem, c, datafile.WriterOptions{Version: v})
				defer want.Release()
				checkFile(t, mem, data, v, want)
			})
		}
	}
}

// checkFile reads every column of a file written by the tests and
// compares it with want; it also checks the footer version, the page
// priorities and that every page is a 2.1+ layout.
func checkFile(t *testing.T, mem memory.Allocator, data []byte, v datafile.Version, want arrow.Record) {
	t.Helper()
	f, err := datafile.ParseFile("f.lance", data)
	if err != nil {
		t.Fatal(err)
	}
	if f.Version != v {
		t.Fatalf("file version %s, want %s", f.Version, v)
	}
	for c, col := range f.Columns {
		var row uint64
		for p, page := range col.Pages {
			if page.Priority != row {
				t.Errorf("column %d page %d: priority %d, want first row %d", c, p, page.Priority, row)
			}
			row += page.Length
			a, err := f.PageEncoding(c, p)
			if err != nil {
				t.Fatal(err)
			}
			if a.TypeUrl != datafile.URLPageLayout {
				t.Fatalf("column %d page %d: encoding %s", c, p, a.TypeUrl)
			}
			l := &enc21.PageLayout{}
			if err := proto.Unmarshal(a.Value, l); err != nil {
				t.Fatal(err)
			}
			if mb := l.GetMiniBlockLayout(); mb != nil && mb.HasLargeChunk != (v == datafile.V2_2) {
				t.Errorf("column %d page %d: has_large_chunk %v in a %s file", c, p, mb.HasLargeChunk, v)
			}
			for k, off := range page.BufferOffsets {
				if off%64 != 0 {
					t.Errorf("column %d page %d buffer %d at %d is not 64-byte aligned", c, p, k, off)
				}
			}
		}
	}
	if f.GlobalBuffers[0].Offset%64 != 0 {
		t.Errorf("global buffer 0 at %d is not 64-byte aligned", f.GlobalBuffers[0].Offset)
	}
	got := readAll(t, mem, memSource{"f.lance": data}, "f.lance", int64(len(data)), want.Schema())
	defer got.Release()
	if got.NumRows() != want.NumRows() {
		t.Fatalf("read %d rows, want %d", got.NumRows(), want.NumRows())
	}
	for c := 0; c < int(want.NumCols()); c++ {
		if !array.Equal(got.Column(c), want.Column(c)) {
			t.Errorf("column %s:\n got %v\nwant %v", want.Schema().Field(c).Name, trunc(got.Column(c)), trunc(want.Column(c)))
		}
	}
}

func trunc(a arrow.Array) string {
	s := fmt.Sprint(a)
	if len(s) > 400 {
		s = s[:400] + "..."
	}
	return s
}

// TestWriteReadDefaultTypes21 writes the 2.0 round trip's record (which
// has an all-null column among nullable ones) in 2.1 and 2.2.
func TestWriteReadDefaultTypes21(t *testing.T) {
	for _, v := range []datafile.Version{datafile.V2_1, datafile.V2_2} {
		t.Run(v.String(), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			rec := buildRecord(mem, 700, 3)
			defer rec.Release()
			var buf bytes.Buffer
			w, err := datafile.NewWriter(&buf, rec.Schema(), lanceFields(rec.Schema()), datafile.WriterOptions{Version: v, PageBytes: 4096})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(rec); err != nil {
				t.Fatal(err)
			}
			if _, err := w.Close(); err != nil {
				t.Fatal(err)
			}
			checkFile(t, mem, buf.Bytes(), v, rec)
		})
	}
}

// TestWriterVersion checks the footer numbers of each version and that
// the zero value writes 2.0.
func TestWriterVersion(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int32, Nullable: true}}, nil)
	for _, tc := range []struct {
		opt  datafile.Version
		want datafile.Version
	}{
		{datafile.Version{}, datafile.V2_0},
		{datafile.V2_0, datafile.V2_0},
		{datafile.V2_1, datafile.V2_1},
		{datafile.V2_2, datafile.V2_2},
	} {
		var buf bytes.Buffer
		w, err := datafile.NewWriter(&buf, schema, lanceFields(schema), datafile.WriterOptions{Version: tc.opt})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Close(); err != nil {
			t.Fatal(err)
		}
		f, err := datafile.Open(context.Background(), memSource{"f": buf.Bytes()}, "f", int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		if f.Version != tc.want || f.NumRows != 0 {
			t.Errorf("option %v: file version %s with %d rows, want %s", tc.opt, f.Version, f.NumRows, tc.want)
		}
	}
	if _, err := datafile.NewWriter(&bytes.Buffer{}, schema, lanceFields(schema), datafile.WriterOptions{Version: datafile.Version{Major: 2, Minor: 3}}); err == nil {
		t.Error("NewWriter accepted version 2.3")
	}
}
