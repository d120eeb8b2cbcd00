package structural_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/lancegate/lancegate/storage/lance/datafile"
	"github.com/lancegate/lancegate/storage/lance/datafile/structural"
	"github.com/lancegate/lancegate/storage/lance/pb/enc21"
)

// memSource serves one in-memory file.
type memSource []byte

func (m memSource) GetRange(_ context.Context, _ string, off, n int64) ([]byte, error) {
	if off < 0 || off > int64(len(m)) {
		return nil, fmt.Errorf("range %d out of bounds", off)
	}
	if n < 0 || off+n > int64(len(m)) {
		n = int64(len(m)) - off
	}
	return m[off : off+n], nil
}

// readExpected reads the Arrow IPC file pylance's read-back was saved to,
// one concatenated array per column.
func readExpected(t *testing.T, path string, mem memory.Allocator) (*arrow.Schema, []arrow.Array) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := ipc.NewFileReader(f, ipc.WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	schema := r.Schema()
	chunks := make([][]arrow.Array, schema.NumFields())
	for i := 0; i < r.NumRecords(); i++ {
		rec, err := r.RecordAt(i)
		if err != nil {
			t.Fatal(err)
		}
		for c := range chunks {
			col := rec.Column(c)
			col.Retain()
			chunks[c] = append(chunks[c], col)
		}
		rec.Release()
	}
	cols := make([]arrow.Array, len(chunks))
	for c, cs := range chunks {
		a, err := array.Concatenate(cs, mem)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range cs {
			x.Release()
		}
		cols[c] = a
	}
	return schema, cols
}

// leaves is the number of Lance columns a field occupies: one per leaf.
func leaves(dt arrow.DataType) int {
	switch t := dt.(type) {
	case *arrow.StructType:
		n := 0
		for _, f := range t.Fields() {
			n += leaves(f.Type)
		}
		return n
	case *arrow.ListType:
		return leaves(t.Elem())
	case *arrow.LargeListType:
		return leaves(t.Elem())
	}
	return 1
}

// decodable reports whether the package decodes pages of type dt: flat
// types, and lists of flat types.
func decodable(dt arrow.DataType) bool {
	switch t := dt.(type) {
	case *arrow.StructType, *arrow.MapType:
		return false
	case *arrow.ListType:
		return decodable(t.Elem()) && leaves(t.Elem()) == 1 && !isList(t.Elem())
	case *arrow.LargeListType:
		return decodable(t.Elem()) && leaves(t.Elem()) == 1 && !isList(t.Elem())
	}
	return true
}

func isList(dt arrow.DataType) bool {
	switch dt.(type) {
	case *arrow.ListType, *arrow.LargeListType:
		return true
	}
	return false
}

// encodingsOf names the layout and every compressive encoding of a page.
func encodingsOf(l *enc21.PageLayout) []string {
	var out []string
	var walk func(m protoreflect.Message, prefix string)
	walk = func(m protoreflect.Message, prefix string) {
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			if fd.Kind() != protoreflect.MessageKind || fd.IsList() {
				return true
			}
			name := string(fd.Name())
			if fd.ContainingOneof() != nil {
				out = append(out, prefix+name)
			}
			walk(v.Message(), prefix)
			return true
		})
	}
	walk(l.ProtoReflect(), "")
	if mb := l.GetMiniBlockLayout(); mb != nil && mb.HasLargeChunk {
		out = append(out, "has_large_chunk")
	}
	if mb := l.GetMiniBlockLayout(); mb != nil && mb.Dictionary != nil {
		out = append(out, "dictionary")
	}
	if c := l.GetConstantLayout(); c != nil && c.InlineValue != nil {
		out = append(out, "inline_value")
	}
	if fz := l.GetFullZipLayout(); fz != nil && fz.BitsDef > 0 {
		out = append(out, "full_zip_control_words")
	}
	if fz := l.GetFullZipLayout(); fz != nil && fz.BitsRep > 0 {
		out = append(out, "full_zip_list")
	}
	if mb := l.GetMiniBlockLayout(); mb != nil && mb.RepCompression != nil {
		out = append(out, "mini_block_list")
	}
	return out
}

func TestFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/*_2?.lance")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, path := range files {
		base := filepath.Base(path)
		name := base[:strings.LastIndex(base, "_")]
		t.Run(strings.TrimSuffix(base, ".lance"), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			schema, want := readExpected(t, filepath.Join("testdata", name+".arrow"), mem)
			defer func() {
				for _, a := range want {
					a.Release()
				}
			}()
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := datafile.ParseFile(base, data)
			if err != nil {
				t.Fatal(err)
			}
			col := 0
			for i, field := range schema.Fields() {
				c := col
				col += leaves(field.Type)
				t.Run(field.Name, func(t *testing.T) {
					checkColumn(t, f, memSource(data), mem, c, field, want[i])
				})
			}
		})
	}
}

// TestFixtureCoverage fails if no fixture page exercises one of the
// layouts and encodings the decoder must handle, so that a regeneration
// that stops producing one is noticed.
func TestFixtureCoverage(t *testing.T) {
	files, err := filepath.Glob("testdata/*_2?.lance")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	seen := map[string]int{}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := datafile.ParseFile(path, data)
		if err != nil {
			t.Fatal(err)
		}
		for c := range f.Columns {
			for p := range f.Columns[c].Pages {
				a, err := f.PageEncoding(c, p)
				if err != nil {
					t.Fatal(err)
				}
				l := &enc21.PageLayout{}
				if err := proto.Unmarshal(a.Value, l); err != nil {
					t.Fatal(err)
				}
				for _, e := range encodingsOf(l) {
					seen[e]++
				}
			}
		}
	}
	var names []string
	for k, v := range seen {
		names = append(names, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(names)
	t.Logf("fixture pages per encoding: %s", strings.Join(names, " "))
	for _, must := range []string{
		"mini_block_layout", "full_zip_layout", "constant_layout", "inline_value", "has_large_chunk",
		"inline_bitpacking", "out_of_line_bitpacking", "flat", "variable", "fsst", "rle", "general",
		"byte_stream_split", "fixed_size_list", "dictionary", "full_zip_control_words",
		"mini_block_list", "full_zip_list",
	} {
		if seen[must] == 0 {
			t.Errorf("no fixture page uses %s", must)
		}
	}
}

func checkColumn(t *testing.T, f *datafile.File, src datafile.Source, mem memory.Allocator, col int, field arrow.Field, want arrow.Array) {
	ctx := context.Background()
	var row int64
	for p := range f.Columns[col].Pages {
		a, err := f.PageEncoding(col, p)
		if err != nil {
			t.Fatal(err)
		}
		l := &enc21.PageLayout{}
		if err := proto.Unmarshal(a.Value, l); err != nil {
			t.Fatal(err)
		}
		got, err := f.ReadPage(ctx, src, mem, col, p, field.Type)
		if !decodable(field.Type) {
			if !errors.Is(err, structural.ErrUnsupported) {
				t.Fatalf("page %d of nested %s: want ErrUnsupported, got %v", p, field.Type, err)
			}
			if got != nil {
				got.Release()
			}
			return
		}
		if err != nil {
			t.Fatalf("page %d (%v): %v", p, encodingsOf(l), err)
		}
		n := int64(got.Len())
		exp := array.NewSlice(want, row, row+n)
		if !array.Equal(exp, got) {
			t.Errorf("page %d (%v) rows %d..%d differ:\n got %v\nwant %v", p, encodingsOf(l), row, row+n, trunc(got), trunc(exp))
		}
		exp.Release()
		got.Release()
		row += n
	}
	if row != int64(want.Len()) {
		t.Errorf("decoded %d rows, want %d", row, want.Len())
	}
}

func trunc(a arrow.Array) string {
	s := fmt.Sprint(a)
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}
