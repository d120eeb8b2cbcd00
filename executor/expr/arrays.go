package expr

import (
	"unsafe"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"
)

// This file holds the few helpers every kernel uses to read argument
// arrays and to assemble result arrays from raw buffers. Kernels take the
// typed value slice of each argument once and loop over it; an argument
// of length 1 in a call of n rows is a constant that stands for every row.

// fixed is the set of Go types that back Arrow's fixed-width arrays.
type fixed interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 |
		~float32 | ~float64 | decimal128.Num
}

// values returns the typed values of a fixed-width array, offset applied.
func values[T fixed](a arrow.Array) []T {
	d := a.Data()
	bufs := d.Buffers()
	if len(bufs) < 2 || bufs[1] == nil || d.Len() == 0 {
		return nil
	}
	b := bufs[1].Bytes()
	var z T
	all := unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/int(unsafe.Sizeof(z)))
	return all[d.Offset() : d.Offset()+d.Len()]
}

// newBuffer returns a buffer of size bytes from mem.
func newBuffer(mem memory.Allocator, size int) *memory.Buffer {
	b := memory.NewResizableBuffer(mem)
	b.Resize(size)
	return b
}

// allocValues returns a buffer for n values of T and its typed view.
func allocValues[T fixed](mem memory.Allocator, n int) (*memory.Buffer, []T) {
	var z T
	b := newBuffer(mem, n*int(unsafe.Sizeof(z)))
	if n == 0 {
		return b, nil
	}
	return b, unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b.Bytes()))), n)
}

// allocBitmap returns a zeroed bitmap buffer for n bits.
func allocBitmap(mem memory.Allocator, n int) *memory.Buffer {
	b := newBuffer(mem, int(bitutil.BytesForBits(int64(n))))
	clear(b.Bytes())
	return b
}

// makeArray wraps buffers (validity first) as an array of dt with n
// values and takes over the caller's references to the buffers.
func makeArray(dt arrow.DataType, n int, bufs []*memory.Buffer, nulls int) arrow.Array {
	d := array.NewData(dt, n, bufs, nil, nulls, 0)
	a := array.MakeFromData(d)
	d.Release()
	for _, b := range bufs {
		if b != nil {
			b.Release()
		}
	}
	return a
}

// fixedArray builds a fixed-width array from a validity bitmap (nil when
// no nulls) and a value buffer, taking over both references.
func fixedArray(dt arrow.DataType, n int, valid *memory.Buffer, nulls int, data *memory.Buffer) arrow.Array {
	if nulls == 0 && valid != nil {
		valid.Release()
		valid = nil
	}
	return makeArray(dt, n, []*memory.Buffer{valid, data}, nulls)
}

// isConst reports whether argument a stands for all n rows of a call.
func isConst(a arrow.Array, n int) bool { return a.Len() == 1 && n != 1 }

// andValidity returns a fresh bitmap (offset 0) of the rows, of n, where
// every argument is non-null, with the number of null rows; the bitmap is
// nil when no row is null. A constant NULL argument makes every row null.
func andValidity(mem memory.Allocator, args []arrow.Array, n int) (*memory.Buffer, int) {
	var out *memory.Buffer
	for _, a := range args {
		if a.NullN() == 0 {
			continue
		}
		if isConst(a, n) || a.DataType().ID() == arrow.NULL {
			if out != nil {
				out.Release()
			}
			return allocBitmap(mem, n), n
		}
		bits := a.NullBitmapBytes()
		off := a.Data().Offset()
		if out == nil {
			out = newBuffer(mem, int(bitutil.BytesForBits(int64(n))))
			bitutil.CopyBitmap(bits, off, n, out.Bytes(), 0)
			continue
		}
		tmp := make([]byte, len(out.Bytes()))
		copy(tmp, out.Bytes())
		bitutil.BitmapAnd(tmp, bits, 0, int64(off), out.Bytes(), 0, int64(n))
	}
	if out == nil {
		return nil, 0
	}
	nulls := n - bitutil.CountSetBits(out.Bytes(), 0, n)
	if nulls == 0 {
		out.Release()
		return nil, 0
	}
	return out, nulls
}

// copyValidity returns a fresh bitmap of a's validity (nil when a has no
// nulls), with the null count.
func copyValidity(mem memory.Allocator, a arrow.Array) (*memory.Buffer, int) {
	return andValidity(mem, []arrow.Array{a}, a.Len())
}

// nullArray returns n NULLs of type dt.
func nullArray(mem memory.Allocator, dt arrow.DataType, n int) arrow.Array {
	return array.MakeArrayOfNull(mem, dt, n)
}

// broadcast returns a as an array of n values: a itself (retained) when
// it has n values, else its single value repeated n times.
func broadcast(mem memory.Allocator, a arrow.Array, n int) (arrow.Array, error) {
	if a.Len() == n {
		a.Retain()
		return a, nil
	}
	if a.IsNull(0) || a.DataType().ID() == arrow.NULL {
		return nullArray(mem, a.DataType(), n), nil
	}
	sc, err := scalar.GetScalar(a, 0)
	if err != nil {
		return nil, err
	}
	if r, ok := sc.(scalar.Releasable); ok {
		defer r.Release()
	}
	return scalar.MakeArrayFromScalar(sc, n, mem)
}

// bitmapOf returns a boolean array's bitmap and bit offset.
func bitmapOf(a arrow.Array) ([]byte, int) {
	d := a.Data()
	return d.Buffers()[1].Bytes(), d.Offset()
}

// boolArray builds a boolean array from a value bitmap and a validity
// bitmap (nil when no nulls), taking over both references.
func boolArray(n int, valid *memory.Buffer, nulls int, data *memory.Buffer) arrow.Array {
	return fixedArray(arrow.FixedWidthTypes.Boolean, n, valid, nulls, data)
}

// constBool returns n copies of a boolean, or n NULLs when null.
func constBool(mem memory.Allocator, n int, v, null bool) arrow.Array {
	data := allocBitmap(mem, n)
	if null {
		return boolArray(n, allocBitmap(mem, n), n, data)
	}
	if v {
		bitutil.SetBitsTo(data.Bytes(), 0, int64(n), true)
	}
	return boolArray(n, nil, 0, data)
}

// releaseAll releases every non-nil array.
func releaseAll(as []arrow.Array) {
	for _, a := range as {
		if a != nil {
			a.Release()
		}
	}
}

// arrayDataWithType returns d's buffers and children under type dt.
func arrayDataWithType(d arrow.ArrayData, dt arrow.DataType) *array.Data {
	return array.NewData(dt, d.Len(), d.Buffers(), d.Children(), d.NullN(), d.Offset())
}

func makeFromData(d arrow.ArrayData) arrow.Array { return array.MakeFromData(d) }
