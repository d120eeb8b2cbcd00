package structural

import (
	"fmt"
	"math"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// maxRows bounds the rows of one page: Arrow lengths are ints and offsets
// of small types are int32.
const maxRows = math.MaxInt32

// maxValueBytes bounds the decoded bytes of one page's values (pages are
// megabytes; this only stops a hostile page from exhausting memory). It is
// a variable so that tests can lower it.
var maxValueBytes uint64 = 1 << 31

// output accumulates the rows of one page in buffers from the caller's
// allocator and assembles them into an Arrow array.
type output struct {
	mem memory.Allocator
	t   *target
	n   int // rows in the page

	// Fixed-width, bool and fixed-size-list values: n*rowBits bits.
	values *memory.Buffer
	// Validity of fixed-size-list items, n*dim bits; nil while all valid.
	itemValid *memory.Buffer

	// Variable-width values: n+1 offsets (4 or 8 bytes) and the bytes.
	offsets *memory.Buffer
	data    *memory.Buffer
	dataLen int

	// Row validity; nil while every row is valid.
	valid *memory.Buffer
}

func newBuffer(mem memory.Allocator, n int) *memory.Buffer {
	b := memory.NewResizableBuffer(mem)
	b.Resize(n)
	return b
}

// newOutput allocates the buffers for n rows. Fixed-width values are left
// for the caller to fill; they start zeroed only if the allocator zeroes.
func newOutput(mem memory.Allocator, t *target, n int, alloc bool) (*output, error) {
	if n < 0 || n > maxRows {
		return nil, fmt.Errorf("%w: page of %d rows", ErrUnsupported, n)
	}
	o := &output{mem: mem, t: t, n: n}
	switch t.shape {
	case shapeList:
		return nil, fmt.Errorf("%w: list values are decoded as their items", ErrUnsupported)
	case shapeVariable:
		w := 4
		if t.large {
			w = 8
		}
		o.offsets = newBuffer(mem, (n+1)*w)
		clear(o.offsets.Bytes()[:w])
		o.data = memory.NewResizableBuffer(mem)
	default:
		if alloc {
			bits := uint64(n) * uint64(t.rowBits())
			if bits/8 > maxValueBytes {
				return nil, fmt.Errorf("%w: page of %d rows of %d bits", ErrUnsupported, n, t.rowBits())
			}
			o.values = newBuffer(mem, int(bitutil.BytesForBits(int64(bits))))
		}
	}
	return o, nil
}

// release frees the buffers of an output that will not be finished.
func (o *output) release() {
	for _, b := range []*memory.Buffer{o.values, o.itemValid, o.offsets, o.data, o.valid} {
		if b != nil {
			b.Release()
		}
	}
	*o = output{}
}

// validBits returns the row validity bitmap, allocating it all-valid on
// first use.
func (o *output) validBits() []byte {
	if o.valid == nil {
		o.valid = newBuffer(o.mem, int(bitutil.BytesForBits(int64(o.n))))
		b := o.valid.Bytes()
		for i := range b {
			b[i] = 0xff
		}
	}
	return o.valid.Bytes()
}

// itemValidBits returns the fixed-size-list item validity bitmap,
// allocating it all-valid on first use.
func (o *output) itemValidBits() []byte {
	if o.itemValid == nil {
		o.itemValid = newBuffer(o.mem, int(bitutil.BytesForBits(int64(o.n)*int64(o.t.dim))))
		b := o.itemValid.Bytes()
		for i := range b {
			b[i] = 0xff
		}
	}
	return o.itemValid.Bytes()
}

// setDefs marks rows [pos, pos+len(defs)) valid where the level is 0 and
// null otherwise (a flat page has a single nullable layer).
func (o *output) setDefs(pos int, defs []uint16) {
	anyNull := false
	for _, d := range defs {
		if d != 0 {
			anyNull = true
			break
		}
	}
	if !anyNull && o.valid == nil {
		return
	}
	v := o.validBits()
	i := 0
	set := func(i int) {
		if defs[i] != 0 {
			bitutil.ClearBit(v, pos+i)
		} else {
			bitutil.SetBit(v, pos+i)
		}
	}
	for ; i < len(defs) && (pos+i)%8 != 0; i++ {
		set(i)
	}
	for ; i+8 <= len(defs); i += 8 {
		d := (*[8]uint16)(defs[i : i+8])
		var b byte
		for k, x := range d {
			if x == 0 {
				b |= 1 << k
			}
		}
		v[(pos+i)/8] = b
	}
	for ; i < len(defs); i++ {
		set(i)
	}
}

// offsetWidth is the byte width of the output offsets.
func (o *output) offsetWidth() int {
	if o.t.large {
		return 8
	}
	return 4
}

// growData makes room for extra more value bytes and returns the slice to
// write them into; commitData then records how many were written.
func (o *output) growData(extra int) ([]byte, error) {
	need := o.dataLen + extra
	if extra < 0 || uint64(need) > maxValueBytes || (!o.t.large && need > math.MaxInt32) {
		return nil, fmt.Errorf("%w: %d bytes of variable-width values in one page", ErrUnsupported, need)
	}
	if need > o.data.Cap() {
		c := max(need, 2*o.data.Cap(), 4096)
		if uint64(c) > maxValueBytes {
			c = need
		}
		o.data.Reserve(c)
	}
	return o.data.Buf()[o.dataLen:need], nil
}

// appendValue appends one value's bytes at row i and records its end
// offset. Rows must be appended in order.
func (o *output) appendValue(i int, v []byte) error {
	dst, err := o.growData(len(v))
	if err != nil {
		return err
	}
	copy(dst, v)
	o.dataLen += len(v)
	o.setOffset(i+1, o.dataLen)
	return nil
}

// setOffset writes offset i.
func (o *output) setOffset(i, off int) {
	b := o.offsets.Bytes()
	if o.t.large {
		putU64(b[8*i:], uint64(off))
	} else {
		putU32(b[4*i:], uint32(off))
	}
}

func putU32(b []byte, v uint32) {
	_ = b[3]
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}
func putU64(b []byte, v uint64) {
	_ = b[7]
	putU32(b, uint32(v))
	putU32(b[4:], uint32(v>>32))
}

// finish assembles the array and hands the buffers to it.
func (o *output) finish() arrow.Array {
	defer o.release()
	nulls := 0
	var valid *memory.Buffer
	if o.valid != nil {
		nulls = o.n - bitutil.CountSetBits(o.valid.Bytes(), 0, o.n)
		if nulls > 0 {
			valid = o.valid
		}
	}
	var data arrow.ArrayData
	switch o.t.shape {
	case shapeVariable:
		o.data.ResizeNoShrink(o.dataLen)
		data = array.NewData(o.t.dt, o.n, []*memory.Buffer{valid, o.offsets, o.data}, nil, nulls, 0)
	case shapeFSL:
		items := o.n * o.t.dim
		itemNulls := 0
		var iv *memory.Buffer
		if o.itemValid != nil {
			itemNulls = items - bitutil.CountSetBits(o.itemValid.Bytes(), 0, items)
			if itemNulls > 0 {
				iv = o.itemValid
			}
		}
		child := array.NewData(o.t.child, items, []*memory.Buffer{iv, o.values}, nil, itemNulls, 0)
		data = array.NewData(o.t.dt, o.n, []*memory.Buffer{valid}, []arrow.ArrayData{child}, nulls, 0)
		child.Release()
	default:
		data = array.NewData(o.t.dt, o.n, []*memory.Buffer{valid, o.values}, nil, nulls, 0)
	}
	defer data.Release()
	return array.MakeFromData(data)
}
