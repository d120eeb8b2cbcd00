package structural

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
)

// pageSource is one page's rows gathered from its Arrow chunks into
// page-wide buffers, each starting at row 0. Buffers alias the input when
// the page is a single chunk that needs no rewriting.
type pageSource struct {
	t     *target
	n     int    // rows
	nulls int    // null rows
	valid []byte // row validity, n bits; nil when no row is null

	// Fixed width, bool and fixed-size lists: n*rowBits bits of values.
	values []byte
	// Fixed-size lists: item validity, n*dim bits; nil when no item is null.
	itemValid []byte

	// Variable width: value i is data[offs[i]:offs[i+1]]; null rows are
	// empty. maxLen is the longest value.
	offs   []uint64
	data   []byte
	maxLen int
}

// gatherPage collects the rows of chunks into a pageSource.
func gatherPage(t *target, chunks []arrow.Array) (*pageSource, error) {
	s := &pageSource{t: t}
	nonEmpty := chunks[:0:0]
	for _, a := range chunks {
		if a.Len() > 0 {
			nonEmpty = append(nonEmpty, a)
		}
	}
	chunks = nonEmpty
	for _, a := range chunks {
		s.n += a.Len()
		s.nulls += a.NullN()
	}
	if s.n > maxRows {
		return nil, fmt.Errorf("%w: page of %d rows", ErrUnsupported, s.n)
	}
	if s.nulls > 0 {
		s.valid = concatBits(chunks, s.n, 1, func(a arrow.Array) ([]byte, int, bool) {
			d := a.Data()
			if a.NullN() == 0 || d.Buffers()[0] == nil {
				return nil, 0, false
			}
			return d.Buffers()[0].Bytes(), d.Offset(), true
		})
	}
	switch t.shape {
	case shapeVariable:
		return s, s.gatherVariable(chunks)
	case shapeBool:
		s.values = concatBits(chunks, s.n, 1, func(a arrow.Array) ([]byte, int, bool) {
			d := a.Data()
			return d.Buffers()[1].Bytes(), d.Offset(), true
		})
	case shapeFixed:
		s.values = concatFixed(chunks, s.n, t.byteWidth, func(a arrow.Array) ([]byte, int) {
			d := a.Data()
			return d.Buffers()[1].Bytes(), d.Offset()
		})
	case shapeFSL:
		s.gatherFSL(chunks)
	default:
		return nil, fmt.Errorf("%w: writing %s", ErrUnsupported, t.dt)
	}
	return s, nil
}

// concatBits concatenates a bitmap of per bits a row from each chunk,
// n bits in all; bits returns the chunk's bitmap and its bit offset, or
// false for all bits set.
func concatBits(chunks []arrow.Array, n, per int, bits func(arrow.Array) ([]byte, int, bool)) []byte {
	if len(chunks) == 1 {
		if b, off, ok := bits(chunks[0]); ok && off%8 == 0 {
			return b[off/8 : off/8+int(bitutil.BytesForBits(int64(n)))]
		}
	}
	out := make([]byte, bitutil.BytesForBits(int64(n)))
	at := 0
	for _, a := range chunks {
		k := a.Len() * per
		if b, off, ok := bits(a); ok {
			bitutil.CopyBitmap(b, off, k, out, at)
		} else {
			bitutil.SetBitsTo(out, int64(at), int64(k), true)
		}
		at += k
	}
	return out
}

// concatFixed concatenates the values of fixed-width chunks of w bytes a
// value; vals returns a chunk's value buffer and its first value's index.
func concatFixed(chunks []arrow.Array, n, w int, vals func(arrow.Array) ([]byte, int)) []byte {
	if len(chunks) == 1 {
		b, off := vals(chunks[0])
		return b[off*w : (off+n)*w]
	}
	out := make([]byte, 0, n*w)
	for _, a := range chunks {
		b, off := vals(a)
		out = append(out, b[off*w:(off+a.Len())*w]...)
	}
	return out
}

// gatherFSL collects the items of fixed-size-list chunks: the child
// values of each chunk's rows, and their validity when any is null.
func (s *pageSource) gatherFSL(chunks []arrow.Array) {
	t := s.t
	dim := t.dim
	// items returns the child array of a chunk and the index of its first item.
	items := func(a arrow.Array) (arrow.ArrayData, int) {
		c := a.(*array.FixedSizeList).ListValues().Data()
		return c, c.Offset() + a.Data().Offset()*dim
	}
	itemNulls := false
	for _, a := range chunks {
		c, first := items(a)
		if c.Buffers()[0] != nil && c.NullN() > 0 {
			if bitutil.CountSetBits(c.Buffers()[0].Bytes(), first, a.Len()*dim) != a.Len()*dim {
				itemNulls = true
				break
			}
		}
	}
	if itemNulls {
		s.itemValid = concatBits(chunks, s.n*dim, dim, func(a arrow.Array) ([]byte, int, bool) {
			c, first := items(a)
			if c.Buffers()[0] == nil || c.NullN() == 0 {
				return nil, 0, false
			}
			return c.Buffers()[0].Bytes(), first, true
		})
	}
	if t.byteWidth == 0 {
		// Bool items.
		s.values = concatBits(chunks, s.n*dim, dim, func(a arrow.Array) ([]byte, int, bool) {
			c, first := items(a)
			return c.Buffers()[1].Bytes(), first, true
		})
		return
	}
	s.values = concatFixed(chunks, s.n, dim*t.byteWidth, func(a arrow.Array) ([]byte, int) {
		// The child's offset need not be a multiple of dim: slice bytes.
		c, first := items(a)
		return c.Buffers()[1].Bytes()[first*t.byteWidth:], 0
	})
}

// gatherVariable collects the values of string and binary chunks as
// page-relative offsets and bytes. Null rows become empty values.
func (s *pageSource) gatherVariable(chunks []arrow.Array) error {
	s.offs = make([]uint64, s.n+1)
	var total uint64
	for _, a := range chunks {
		raw, o32, o64 := varView(a)
		if raw == nil && o32 == nil && o64 == nil {
			return fmt.Errorf("%w: writing %s", ErrUnsupported, a.DataType())
		}
		if o32 != nil {
			total += uint64(o32[a.Len()] - o32[0])
		} else {
			total += uint64(o64[a.Len()] - o64[0])
		}
	}
	if total > maxValueBytes {
		return fmt.Errorf("%w: %d bytes of values in one page", ErrUnsupported, total)
	}
	if len(chunks) == 1 && chunks[0].NullN() == 0 {
		// Alias the chunk's bytes.
		raw, o32, o64 := varView(chunks[0])
		if o32 != nil {
			s.data = raw[o32[0]:o32[s.n]]
			s.maxLen = rebase(s.offs, o32)
		} else {
			s.data = raw[o64[0]:o64[s.n]]
			s.maxLen = rebase(s.offs, o64)
		}
		return nil
	}
	s.data = make([]byte, 0, total)
	row := 0
	for _, a := range chunks {
		raw, o32, o64 := varView(a)
		var m int
		if o32 != nil {
			m = appendVarChunk(s, row, a, raw, o32)
		} else {
			m = appendVarChunk(s, row, a, raw, o64)
		}
		s.maxLen = max(s.maxLen, m)
		row += a.Len()
	}
	return nil
}

// rebase writes offs[i] = o[i] - o[0] and returns the longest value.
func rebase[O int32 | int64](offs []uint64, o []O) int {
	o0 := o[0]
	longest := O(0)
	for i := range offs {
		offs[i] = uint64(o[i] - o0)
		if i > 0 {
			longest = max(longest, o[i]-o[i-1])
		}
	}
	return int(longest)
}

// appendVarChunk appends the values of chunk a, whose offsets are o into
// raw, as rows row.. of the page, and returns its longest value.
func appendVarChunk[O int32 | int64](s *pageSource, row int, a arrow.Array, raw []byte, o []O) int {
	n := a.Len()
	longest := O(0)
	if a.NullN() == 0 {
		base := uint64(len(s.data)) - uint64(o[0])
		s.data = append(s.data, raw[o[0]:o[n]]...)
		for i := 1; i <= n; i++ {
			s.offs[row+i] = base + uint64(o[i])
			longest = max(longest, o[i]-o[i-1])
		}
		return int(longest)
	}
	for i := 0; i < n; i++ {
		if a.IsValid(i) {
			s.data = append(s.data, raw[o[i]:o[i+1]]...)
			longest = max(longest, o[i+1]-o[i])
		}
		s.offs[row+i+1] = uint64(len(s.data))
	}
	return int(longest)
}

// varView returns the raw value bytes of a string or binary array and its
// offsets (Len()+1 of them, absolute into the bytes): 32-bit or 64-bit.
func varView(a arrow.Array) (raw []byte, o32 []int32, o64 []int64) {
	d := a.Data()
	if len(d.Buffers()) > 2 && d.Buffers()[2] != nil {
		raw = d.Buffers()[2].Bytes()
	}
	switch v := a.(type) {
	case *array.String:
		o32 = v.ValueOffsets()
	case *array.Binary:
		o32 = v.ValueOffsets()
	case *array.LargeString:
		o64 = v.ValueOffsets()
	case *array.LargeBinary:
		o64 = v.ValueOffsets()
	}
	if raw == nil && (o32 != nil || o64 != nil) {
		raw = []byte{}
	}
	return raw, o32, o64
}
