package deletion

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance/pb"
)

// arrowOffsets returns the row_id values of a one-batch Arrow file in file
// order.
func arrowOffsets(t *testing.T, data []byte) []uint32 {
	t.Helper()
	r, err := ipc.NewFileReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("NewFileReader = %v; want nil", err)
	}
	defer r.Close()
	rec, err := r.Record(0)
	if err != nil {
		t.Fatalf("Record(0) = %v; want nil", err)
	}
	return slices.Clone(rec.Column(0).(*array.Uint32).Uint32Values())
}

func TestDecodeArrowAccepts(t *testing.T) {
	good := rowIDs("row_id", arrow.PrimitiveTypes.Uint32, false, nil)
	vals := []uint32{9, 3, 3, 1 << 31, 0} // unsorted, with a duplicate
	tests := []struct {
		name string
		data []byte
		want []uint32
	}{
		{"zstd", ipcFile(t, good, []func(memory.Allocator) arrow.Array{uint32s(vals)}, ipc.WithZstd()), []uint32{0, 3, 9, 1 << 31}},
		{"lz4", ipcFile(t, good, []func(memory.Allocator) arrow.Array{uint32s(vals)}, ipc.WithLZ4()), []uint32{0, 3, 9, 1 << 31}},
		{"uncompressed", ipcFile(t, good, []func(memory.Allocator) arrow.Array{uint32s(vals)}), []uint32{0, 3, 9, 1 << 31}},
		{"empty batch", ipcFile(t, good, []func(memory.Allocator) arrow.Array{uint32s(nil)}, ipc.WithZstd()), []uint32{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bm, err := Decode(pb.DeletionFile_ARROW_ARRAY, tt.data)
			if err != nil {
				t.Fatalf("Decode = %v; want nil", err)
			}
			if got := bm.ToArray(); !slices.Equal(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
				t.Errorf("Decode = %v; want %v", got, tt.want)
			}
		})
	}
}

func TestDecodeArrowRejects(t *testing.T) {
	u32 := arrow.PrimitiveTypes.Uint32
	one := []func(memory.Allocator) arrow.Array{uint32s([]uint32{1, 2})}
	md := arrow.NewMetadata([]string{"k"}, []string{"v"})
	withSchemaMD := arrow.NewSchema([]arrow.Field{{Name: "row_id", Type: u32}}, &md)
	twoFields := arrow.NewSchema([]arrow.Field{{Name: "row_id", Type: u32}, {Name: "extra", Type: u32}}, nil)
	int32s := func(mem memory.Allocator) arrow.Array {
		b := array.NewInt32Builder(mem)
		defer b.Release()
		b.AppendValues([]int32{1, 2}, nil)
		return b.NewArray()
	}
	uint64s := func(mem memory.Allocator) arrow.Array {
		b := array.NewUint64Builder(mem)
		defer b.Release()
		b.AppendValues([]uint64{1, 2}, nil)
		return b.NewArray()
	}
	dictArray := func(mem memory.Allocator) arrow.Array {
		b := array.NewDictionaryBuilder(mem, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: u32}).(*array.Uint32DictionaryBuilder)
		defer b.Release()
		for _, v := range []uint32{1, 2, 1} {
			if err := b.Append(v); err != nil {
				t.Fatal(err)
			}
		}
		return b.NewArray()
	}
	listArray := func(mem memory.Allocator) arrow.Array {
		b := array.NewListBuilder(mem, u32)
		defer b.Release()
		b.Append(true)
		b.ValueBuilder().(*array.Uint32Builder).AppendValues([]uint32{1, 2}, nil)
		return b.NewArray()
	}
	stream := func() []byte {
		var buf bytes.Buffer
		w := ipc.NewWriter(&buf, ipc.WithSchema(rowIDSchema), ipc.WithZstd())
		arr := uint32s([]uint32{1})(memory.DefaultAllocator)
		defer arr.Release()
		rec := array.NewRecord(rowIDSchema, []arrow.Array{arr}, 1)
		defer rec.Release()
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	_, bitmapBytes, err := Encode(rangeBitmap(0, 6000))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    []byte
		wantMsg string
	}{
		{"int32 row_id", ipcFile(t, rowIDs("row_id", arrow.PrimitiveTypes.Int32, false, nil), []func(memory.Allocator) arrow.Array{int32s}), "type int32"},
		{"uint64 row_id", ipcFile(t, rowIDs("row_id", arrow.PrimitiveTypes.Uint64, false, nil), []func(memory.Allocator) arrow.Array{uint64s}), "type uint64"},
		{"nullable field", ipcFile(t, rowIDs("row_id", u32, true, nil), one), "nullable"},
		{"other name", ipcFile(t, rowIDs("rowid", u32, false, nil), one), "named"},
		{"field metadata", ipcFile(t, rowIDs("row_id", u32, false, &md), one), "field row_id has metadata"},
		{"schema metadata", ipcFile(t, withSchemaMD, one), "schema has metadata"},
		{"extra field", ipcFile(t, twoFields, []func(memory.Allocator) arrow.Array{uint32s([]uint32{1})}), "2 fields"},
		{"two batches", ipcFile(t, rowIDSchema, []func(memory.Allocator) arrow.Array{uint32s([]uint32{1}), uint32s([]uint32{2})}, ipc.WithZstd()), "2 record batches"},
		{"no batch", ipcFile(t, rowIDSchema, nil, ipc.WithZstd()), "0 record batches"},
		{"nulls", ipcFile(t, rowIDSchema, []func(memory.Allocator) arrow.Array{uint32s([]uint32{1, 2, 3}, 2)}, ipc.WithZstd()), "null"},
		{"dictionary-encoded", ipcFile(t, rowIDs("row_id", &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: u32}, false, nil), []func(memory.Allocator) arrow.Array{dictArray}), "dictionary"},
		{"list of uint32", ipcFile(t, rowIDs("row_id", arrow.ListOf(u32), false, nil), []func(memory.Allocator) arrow.Array{listArray}), "type list"},
		{"stream format", stream(), "not an Arrow IPC file"},
		{"bitmap bytes", bitmapBytes, "not an Arrow IPC file"},
		{"empty", nil, "not an Arrow IPC file"},
		{"text", []byte("this is not a deletion file at all"), "not an Arrow IPC file"},
		{"magic only", []byte("ARROW1\x00\x00ARROW1"), "not an Arrow IPC file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bm, err := Decode(pb.DeletionFile_ARROW_ARRAY, tt.data)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Decode = %v, %v; want ErrCorrupt", bm, err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Decode error = %q; want it to mention %q", err, tt.wantMsg)
			}
		})
	}
}

func TestDecodeBitmapRejects(t *testing.T) {
	_, valid, err := Encode(rangeBitmap(100, 6100))
	if err != nil {
		t.Fatal(err)
	}
	_, arrowBytes, err := Encode(bitmapOf(1, 2, 3))
	if err != nil {
		t.Fatal(err)
	}
	// A valid header claiming one array container of 3 values, key 0,
	// whose values are not ascending.
	unsorted := []byte{0x3a, 0x30, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0, 16, 0, 0, 0, 5, 0, 3, 0, 4, 0}
	tests := []struct {
		name    string
		data    []byte
		wantMsg string
	}{
		{"empty", nil, "empty BITMAP file"},
		{"truncated header", valid[:6], "roaring bitmap"},
		{"truncated container", valid[:len(valid)-1], "roaring bitmap"},
		{"trailing bytes", append(slices.Clone(valid), 0, 0), "2 bytes after the roaring bitmap"},
		{"bad cookie", []byte{1, 2, 3, 4, 0, 0, 0, 0}, "roaring bitmap"},
		{"arrow bytes", arrowBytes, "roaring bitmap"},
		{"unsorted array container", unsorted, "roaring bitmap"},
		{"wrong cardinality", func() []byte {
			b := slices.Clone(valid)
			b[10]++ // card-1 of the first container, a bitmap
			return b
		}(), "roaring bitmap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bm, err := Decode(pb.DeletionFile_BITMAP, tt.data)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Decode = %v, %v; want ErrCorrupt", bm, err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Decode error = %q; want it to mention %q", err, tt.wantMsg)
			}
		})
	}
}

func TestDecodeUnknownKind(t *testing.T) {
	_, data, err := Encode(bitmapOf(1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(pb.DeletionFile_DeletionFileType(2), data); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Decode(type 2) = %v; want ErrCorrupt", err)
	}
}

// TestDecodeCorruptedBytes damages valid files byte by byte: truncation
// must be reported, and no damage may panic or yield an error other than
// ErrCorrupt.
func TestDecodeCorruptedBytes(t *testing.T) {
	small := bitmapOf(0, 7, 4096, 65535, 65536, 1<<31, 1<<32-1)
	for _, set := range []struct {
		name string
		kind pb.DeletionFile_DeletionFileType
		data []byte
	}{
		{"arrow", pb.DeletionFile_ARROW_ARRAY, must(encodeArrow(memory.DefaultAllocator, small.ToArray()))},
		{"bitmap", pb.DeletionFile_BITMAP, encodeBitmap(roaring.Or(small, rangeBitmap(10, 5000)))},
	} {
		t.Run(set.name+"/truncated", func(t *testing.T) {
			for n := range len(set.data) {
				if _, err := Decode(set.kind, set.data[:n]); !errors.Is(err, ErrCorrupt) {
					t.Fatalf("Decode(first %d of %d bytes) = %v; want ErrCorrupt", n, len(set.data), err)
				}
			}
		})
		t.Run(set.name+"/flipped", func(t *testing.T) {
			for i := range set.data {
				for _, mask := range []byte{0x01, 0x80, 0xff} {
					b := slices.Clone(set.data)
					b[i] ^= mask
					if _, err := Decode(set.kind, b); err != nil && !errors.Is(err, ErrCorrupt) {
						t.Fatalf("Decode(byte %d ^ %#x) = %v; want nil or ErrCorrupt", i, mask, err)
					}
				}
			}
		})
	}
}

func TestDecodeBudget(t *testing.T) {
	data, err := encodeArrow(memory.DefaultAllocator, rangeBitmap(0, 4000).ToArray())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decode(pb.DeletionFile_ARROW_ARRAY, data, 1000); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "more than the 1000") {
		t.Errorf("decode with a 1000-byte budget = %v; want ErrCorrupt about the budget", err)
	}
	if _, err := decode(pb.DeletionFile_ARROW_ARRAY, data, budgetBase+budgetPerByte*len(data)); err != nil {
		t.Errorf("decode with the default budget = %v; want nil", err)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// TestDecodeHugeSchemaVector is the regression test of a crash the byte
// flips found: a schema claiming billions of fields made the Arrow reader
// allocate them before reading any, a fatal out-of-memory no recover
// catches. The footer check must refuse the file first.
func TestDecodeHugeSchemaVector(t *testing.T) {
	data, err := encodeArrow(memory.DefaultAllocator, []uint32{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	n := int(binary.LittleEndian.Uint32(data[len(data)-10:]))
	footerStart := len(data) - 10 - n
	footer := data[footerStart : len(data)-10]
	root, err := fbRoot(footer)
	if err != nil {
		t.Fatal(err)
	}
	schema, _, err := root.table(footerSchema)
	if err != nil {
		t.Fatal(err)
	}
	pos, ok, err := schema.target(schemaFields)
	if err != nil || !ok {
		t.Fatalf("no fields vector: %v", err)
	}
	bad := slices.Clone(data)
	binary.LittleEndian.PutUint32(bad[footerStart+int(pos):], 0x7fffffff)
	if _, err := Decode(pb.DeletionFile_ARROW_ARRAY, bad); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "schema fields") {
		t.Errorf("Decode(fields vector of 2^31-1) = %v; want ErrCorrupt about the schema fields", err)
	}
}
