package datafile_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance/datafile"
)

// TestWriterGlobalBuffers checks that extra global buffers are numbered
// from 1 after the FileDescriptor, are aligned, and read back byte for
// byte, with and without rows, in every version.
func TestWriterGlobalBuffers(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Uint64}}, nil)
	extra := [][]byte{[]byte("ivf"), {}, bytes.Repeat([]byte{7}, 1000)}
	for _, v := range []datafile.Version{datafile.V2_0, datafile.V2_1, datafile.V2_2} {
		for _, rows := range []int{0, 100} {
			var buf bytes.Buffer
			w, err := datafile.NewWriter(&buf, schema, lanceFields(schema), datafile.WriterOptions{Version: v, GlobalBuffers: extra})
			if err != nil {
				t.Fatal(err)
			}
			if rows > 0 {
				b := array.NewUint64Builder(memory.DefaultAllocator)
				for i := range rows {
					b.Append(uint64(i))
				}
				col := b.NewArray()
				rec := array.NewRecord(schema, []arrow.Array{col}, int64(rows))
				if err := w.Write(rec); err != nil {
					t.Fatal(err)
				}
				rec.Release()
				col.Release()
				b.Release()
			}
			if _, err := w.Close(); err != nil {
				t.Fatal(err)
			}
			data := buf.Bytes()
			f, err := datafile.Open(context.Background(), memSource{"f": data}, "f", int64(len(data)))
			if err != nil {
				t.Fatalf("%s, %d rows: %v", v, rows, err)
			}
			if len(f.GlobalBuffers) != 1+len(extra) || f.NumRows != uint64(rows) {
				t.Fatalf("%s: %d global buffers, %d rows", v, len(f.GlobalBuffers), f.NumRows)
			}
			for i, want := range extra {
				g := f.GlobalBuffers[i+1]
				if g.Offset%64 != 0 {
					t.Errorf("%s: global buffer %d at unaligned offset %d", v, i+1, g.Offset)
				}
				if got := data[g.Offset : g.Offset+g.Length]; !bytes.Equal(got, want) {
					t.Errorf("%s: global buffer %d = %q, want %q", v, i+1, got, want)
				}
			}
		}
	}
}
