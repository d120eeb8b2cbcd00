package deletion

import (
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// ipcFile writes an Arrow IPC file of schema s holding one batch per
// element of batches, each built by its function, with extra writer
// options (compression).
func ipcFile(t testing.TB, s *arrow.Schema, batches []func(mem memory.Allocator) arrow.Array, opts ...ipc.Option) []byte {
	t.Helper()
	mem := memory.NewGoAllocator()
	var out appendBuffer
	w, err := ipc.NewFileWriter(&out, append([]ipc.Option{ipc.WithSchema(s), ipc.WithAllocator(mem)}, opts...)...)
	if err != nil {
		t.Fatalf("NewFileWriter: %v", err)
	}
	for _, build := range batches {
		cols := make([]arrow.Array, s.NumFields())
		for i := range cols {
			cols[i] = build(mem)
		}
		rec := array.NewRecord(s, cols, int64(cols[0].Len()))
		if err := w.Write(rec); err != nil {
			t.Fatalf("write batch: %v", err)
		}
		rec.Release()
		for _, c := range cols {
			c.Release()
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close writer: %v", err)
	}
	return out.b
}

// uint32s builds a uint32 array; a value in nulls is appended as null.
func uint32s(vals []uint32, nulls ...uint32) func(memory.Allocator) arrow.Array {
	return func(mem memory.Allocator) arrow.Array {
		b := array.NewUint32Builder(mem)
		defer b.Release()
		for _, v := range vals {
			if slices.Contains(nulls, v) {
				b.AppendNull()
			} else {
				b.Append(v)
			}
		}
		return b.NewArray()
	}
}

// rowIDs returns the schema {name: typ} with the given nullability and
// field metadata.
func rowIDs(name string, typ arrow.DataType, nullable bool, md *arrow.Metadata) *arrow.Schema {
	f := arrow.Field{Name: name, Type: typ, Nullable: nullable}
	if md != nil {
		f.Metadata = *md
	}
	return arrow.NewSchema([]arrow.Field{f}, nil)
}

// bitmapOf returns a bitmap of vals.
func bitmapOf(vals ...uint32) *roaring.Bitmap { return roaring.BitmapOf(vals...) }

// rangeBitmap returns the bitmap of [lo, hi).
func rangeBitmap(lo, hi uint64) *roaring.Bitmap {
	bm := roaring.New()
	bm.AddRange(lo, hi)
	return bm
}
