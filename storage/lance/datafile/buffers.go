package datafile

import (
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// newBuffer allocates an n-byte buffer from mem. The caller holds one
// reference.
func newBuffer(mem memory.Allocator, n int) *memory.Buffer {
	b := memory.NewResizableBuffer(mem)
	b.Resize(n)
	return b
}

// newData builds array data from buffers the caller owns one reference of
// each, and hands those references to the data: the caller must not release
// them afterwards. Children are retained by the data; the caller keeps its
// own references to them.
func newData(dt arrow.DataType, n int, bufs []*memory.Buffer, children []arrow.ArrayData, nulls int) arrow.ArrayData {
	d := array.NewData(dt, n, bufs, children, nulls, 0)
	for _, b := range bufs {
		if b != nil {
			b.Release()
		}
	}
	return d
}

// countNulls counts the zero bits of the first n bits of a validity bitmap.
func countNulls(validity []byte, n int) int {
	return n - bitutil.CountSetBits(validity, 0, n)
}

// sliceArray returns a new reference to a[i:j].
func sliceArray(a arrow.Array, i, j int) arrow.Array {
	return array.NewSlice(a, int64(i), int64(j))
}

// varBytes returns the raw value bytes of a string or binary array and an
// accessor for the absolute offset of row i's start (i may equal Len(),
// giving the end of the last row).
func varBytes(a arrow.Array) ([]byte, func(int) int64, bool) {
	d := a.Data()
	var raw []byte
	if len(d.Buffers()) > 2 && d.Buffers()[2] != nil {
		raw = d.Buffers()[2].Bytes()
	}
	switch v := a.(type) {
	case *array.String:
		o := v.ValueOffsets()
		return raw, func(i int) int64 { return int64(o[i]) }, true
	case *array.Binary:
		o := v.ValueOffsets()
		return raw, func(i int) int64 { return int64(o[i]) }, true
	case *array.LargeString:
		o := v.ValueOffsets()
		return raw, func(i int) int64 { return o[i] }, true
	case *array.LargeBinary:
		o := v.ValueOffsets()
		return raw, func(i int) int64 { return o[i] }, true
	}
	return nil, nil, false
}
