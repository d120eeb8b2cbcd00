package datafile_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance/datafile"
	"github.com/lancegate/lancegate/storage/lance/pb"
)

// memSource serves ranges of in-memory files.
type memSource map[string][]byte

func (m memSource) GetRange(_ context.Context, key string, off, n int64) ([]byte, error) {
	b, ok := m[key]
	if !ok {
		return nil, fmt.Errorf("no file %s", key)
	}
	if n < 0 || off+n > int64(len(b)) {
		n = int64(len(b)) - off
	}
	return b[off : off+n], nil
}

// lanceFields gives each top-level Arrow field a Lance field with id i.
func lanceFields(s *arrow.Schema) *pb.Schema {
	out := &pb.Schema{}
	for i, f := range s.Fields() {
		out.Fields = append(out.Fields, &pb.Field{Name: f.Name, Id: int32(i), ParentId: -1, Nullable: f.Nullable})
	}
	return out
}

// buildRecord makes a batch of n rows of every writable type, with nulls
// at the first and last row and scattered in between.
func buildRecord(mem memory.Allocator, n, seed int) arrow.Record {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "i8", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
		{Name: "i16", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
		{Name: "i32", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "i64", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "f64", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "low", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "ls", Type: arrow.BinaryTypes.LargeString, Nullable: true},
		{Name: "bin", Type: arrow.BinaryTypes.Binary, Nullable: true},
		{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
		{Name: "tstz", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
		{Name: "vec", Type: arrow.FixedSizeListOf(3, arrow.PrimitiveTypes.Float32), Nullable: true},
		{Name: "allnull", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	null := func(i int) bool { return i == 0 || i == n-1 || (i+seed)%7 == 3 }
	for i := 0; i < n; i++ {
		v := i + seed
		if null(i) {
			for j := 0; j < len(b.Fields()); j++ {
				b.Field(j).AppendNull()
			}
			continue
		}
		b.Field(0).(*array.BooleanBuilder).Append(v%3 == 0)
		b.Field(1).(*array.Int8Builder).Append(int8(v))
		b.Field(2).(*array.Int16Builder).Append(int16(v * 3))
		b.Field(3).(*array.Int32Builder).Append(int32(-v))
		b.Field(4).(*array.Int64Builder).Append(int64(v) << 33)
		b.Field(5).(*array.Float32Builder).Append(float32(v) / 3)
		b.Field(6).(*array.Float64Builder).Append(float64(v) / 7)
		b.Field(7).(*array.StringBuilder).Append(strings.Repeat("é", v%5) + fmt.Sprint(v))
		b.Field(8).(*array.StringBuilder).Append(fmt.Sprint("cat", v%4))
		b.Field(9).(*array.LargeStringBuilder).Append(strings.Repeat("x", v%300))
		b.Field(10).(*array.BinaryBuilder).Append([]byte{byte(v), 0, byte(v >> 8)})
		b.Field(11).(*array.Date32Builder).Append(arrow.Date32(v))
		b.Field(12).(*array.TimestampBuilder).Append(arrow.Timestamp(int64(v) * 1e6))
		b.Field(13).(*array.TimestampBuilder).Append(arrow.Timestamp(-int64(v) * 1e3))
		lb := b.Field(14).(*array.FixedSizeListBuilder)
		lb.Append(true)
		vb := lb.ValueBuilder().(*array.Float32Builder)
		vb.Append(float32(v))
		if v%5 == 0 {
			vb.AppendNull()
		} else {
			vb.Append(-float32(v))
		}
		vb.Append(0.5)
		b.Field(15).AppendNull()
	}
	return b.NewRecord()
}

// readAll decodes every page of every column and concatenates them.
func readAll(t *testing.T, mem memory.Allocator, src datafile.Source, key string, size int64, schema *arrow.Schema) arrow.Record {
	t.Helper()
	f, err := datafile.Open(context.Background(), src, key, size)
	if err != nil {
		t.Fatal(err)
	}
	cols := make([]arrow.Array, len(f.Columns))
	for c := range f.Columns {
		var parts []arrow.Array
		for p := range f.Columns[c].Pages {
			a, err := f.ReadPage(context.Background(), src, mem, c, p, schema.Field(c).Type)
			if err != nil {
				t.Fatalf("column %d page %d: %v", c, p, err)
			}
			parts = append(parts, a)
		}
		cat, err := array.Concatenate(parts, mem)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range parts {
			a.Release()
		}
		cols[c] = cat
	}
	rec := array.NewRecord(schema, cols, int64(f.NumRows))
	for _, a := range cols {
		a.Release()
	}
	return rec
}

func TestWriteReadRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name      string
		batches   []int
		pageBytes int
		dict      bool
	}{
		{"one row", []int{1}, 0, true},
		{"one batch", []int{500}, 0, true},
		{"many pages", []int{300, 1, 700, 250}, 1024, true},
		{"no dictionary", []int{400}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			var recs []arrow.Record
			for i, n := range tc.batches {
				recs = append(recs, buildRecord(mem, n, i*1000))
			}
			defer func() {
				for _, r := range recs {
					r.Release()
				}
			}()
			schema := recs[0].Schema()
			var buf bytes.Buffer
			w, err := datafile.NewWriter(&buf, schema, lanceFields(schema), datafile.WriterOptions{PageBytes: tc.pageBytes, DictionaryStrings: tc.dict})
			if err != nil {
				t.Fatal(err)
			}
			total := 0
			for _, r := range recs {
				if err := w.Write(r); err != nil {
					t.Fatal(err)
				}
				total += int(r.NumRows())
			}
			info, err := w.Close()
			if err != nil {
				t.Fatal(err)
			}
			if info.Rows != uint64(total) || info.Size != uint64(buf.Len()) {
				t.Fatalf("Close() = %+v; want %d rows, %d bytes", info, total, buf.Len())
			}
			src := memSource{"f.lance": buf.Bytes()}
			got := readAll(t, mem, src, "f.lance", int64(buf.Len()), schema)
			defer got.Release()
			want, err := concatRecords(mem, recs)
			if err != nil {
				t.Fatal(err)
			}
			defer want.Release()
			for c := 0; c < int(want.NumCols()); c++ {
				if !array.Equal(got.Column(c), want.Column(c)) {
					t.Errorf("column %s: got %v; want %v", schema.Field(c).Name, got.Column(c), want.Column(c))
				}
			}
		})
	}
}

func concatRecords(mem memory.Allocator, recs []arrow.Record) (arrow.Record, error) {
	schema := recs[0].Schema()
	cols := make([]arrow.Array, schema.NumFields())
	n := int64(0)
	for _, r := range recs {
		n += r.NumRows()
	}
	for c := range cols {
		parts := make([]arrow.Array, len(recs))
		for i, r := range recs {
			parts[i] = r.Column(c)
		}
		a, err := array.Concatenate(parts, mem)
		if err != nil {
			return nil, err
		}
		cols[c] = a
	}
	rec := array.NewRecord(schema, cols, n)
	for _, a := range cols {
		a.Release()
	}
	return rec, nil
}
