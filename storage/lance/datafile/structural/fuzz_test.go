package structural_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"google.golang.org/protobuf/proto"

	"github.com/lancegate/lancegate/storage/lance/datafile"
	"github.com/lancegate/lancegate/storage/lance/datafile/structural"
	"github.com/lancegate/lancegate/storage/lance/pb/enc21"
)

// fuzzTypes are the types FuzzDecodePage decodes into, chosen by a byte.
var fuzzTypes = []arrow.DataType{
	arrow.PrimitiveTypes.Int64,
	arrow.PrimitiveTypes.Int32,
	arrow.PrimitiveTypes.Float64,
	arrow.FixedWidthTypes.Boolean,
	arrow.BinaryTypes.String,
	arrow.BinaryTypes.LargeBinary,
	arrow.FixedSizeListOf(8, arrow.PrimitiveTypes.Float32),
	arrow.FixedSizeListOf(128, arrow.PrimitiveTypes.Float32),
	&arrow.Decimal128Type{Precision: 20, Scale: 3},
	&arrow.FixedSizeBinaryType{ByteWidth: 16},
	arrow.PrimitiveTypes.Uint8,
	arrow.FixedWidthTypes.Float16,
	arrow.PrimitiveTypes.Int16,
	arrow.FixedSizeListOf(4, arrow.PrimitiveTypes.Float32),
	arrow.BinaryTypes.LargeString,
	arrow.FixedWidthTypes.Timestamp_us,
	arrow.ListOf(arrow.PrimitiveTypes.Int32),
	arrow.ListOf(arrow.BinaryTypes.String),
	arrow.LargeListOf(arrow.PrimitiveTypes.Float64),
	arrow.ListOf(arrow.PrimitiveTypes.Int64),
}

// packBuffers frames page buffers as one byte string: each buffer is a
// little-endian u32 length and its bytes.
func packBuffers(bufs [][]byte) []byte {
	var out []byte
	for _, b := range bufs {
		out = binary.LittleEndian.AppendUint32(out, uint32(len(b)))
		out = append(out, b...)
	}
	return out
}

func unpackBuffers(b []byte) [][]byte {
	var out [][]byte
	for len(b) >= 4 && len(out) < 16 {
		n := int(binary.LittleEndian.Uint32(b))
		b = b[4:]
		if n > len(b) {
			n = len(b)
		}
		out = append(out, b[:n:n])
		b = b[n:]
	}
	return out
}

// maxFuzzRows keeps constant pages, which legitimately expand a few bytes
// into every row, from exhausting memory while fuzzing.
const maxFuzzRows = 1 << 14

func FuzzDecodePage(f *testing.F) {
	structural.Limits(64<<20, 64<<20)
	f.Fuzz(func(t *testing.T, layoutBytes, bufBytes []byte, numRows uint64, typ byte) {
		layout := &enc21.PageLayout{}
		if err := proto.Unmarshal(layoutBytes, layout); err != nil {
			return
		}
		dt := fuzzTypes[int(typ)%len(fuzzTypes)]
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		arr, err := structural.DecodePage(mem, dt, layout, numRows%maxFuzzRows, unpackBuffers(bufBytes))
		if err != nil {
			if !errors.Is(err, structural.ErrCorrupt) && !errors.Is(err, structural.ErrUnsupported) {
				t.Fatalf("error wraps neither sentinel: %v", err)
			}
			return
		}
		defer arr.Release()
		if uint64(arr.Len()) != numRows%maxFuzzRows {
			t.Fatalf("decoded %d rows, want %d", arr.Len(), numRows%maxFuzzRows)
		}
		if !arrow.TypeEqual(arr.DataType(), dt) {
			t.Fatalf("decoded %s, want %s", arr.DataType(), dt)
		}
		touch(t, arr)
	})
}

// touch reads every value so that an inconsistent array shows up here.
func touch(t *testing.T, a arrow.Array) {
	switch a := a.(type) {
	case *array.String:
		for i := 0; i < a.Len(); i++ {
			_ = a.Value(i)
		}
	case *array.LargeBinary:
		for i := 0; i < a.Len(); i++ {
			_ = a.Value(i)
		}
	case *array.LargeString:
		for i := 0; i < a.Len(); i++ {
			_ = a.Value(i)
		}
	case *array.FixedSizeList:
		touch(t, a.ListValues())
	}
	if a.NullN() > a.Len() {
		t.Fatalf("%d nulls in %d rows", a.NullN(), a.Len())
	}
}

// TestWriteFuzzCorpus regenerates the fixture seeds of
// testdata/fuzz/FuzzDecodePage from the first page of every small enough
// fixture column. It only runs when asked to.
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("LANCEGATE_WRITE_FUZZ_CORPUS") == "" {
		t.Skip("set LANCEGATE_WRITE_FUZZ_CORPUS=1 to regenerate the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecodePage")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("testdata/*_2?.lance")
	n := 0
	for _, path := range files {
		base := filepath.Base(path)
		mem := memory.NewGoAllocator()
		schema, cols := readExpected(t, filepath.Join("testdata", base[:strings.LastIndex(base, "_")]+".arrow"), mem)
		for _, c := range cols {
			c.Release()
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := datafile.ParseFile(path, data)
		if err != nil {
			t.Fatal(err)
		}
		col := 0
		for _, field := range schema.Fields() {
			c := col
			col += leaves(field.Type)
			typ := -1
			for i, ft := range fuzzTypes {
				if arrow.TypeEqual(ft, field.Type) {
					typ = i
				}
			}
			if typ < 0 {
				continue
			}
			a, err := f.PageEncoding(c, 0)
			if err != nil {
				t.Fatal(err)
			}
			bufs, err := f.PageBuffers(context.Background(), memSource(data), c, 0)
			if err != nil {
				t.Fatal(err)
			}
			packed := packBuffers(bufs)
			if len(packed)+len(a.Value) > 3000 {
				continue
			}
			rows := f.Columns[c].Pages[0].Length
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n[]byte(%q)\nuint64(%d)\nbyte(%d)\n", a.Value, packed, rows, typ)
			name := fmt.Sprintf("%s_%s", strings.TrimSuffix(base, ".lance"), field.Name)
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	t.Logf("wrote %d seeds", n)
}
