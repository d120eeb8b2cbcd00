package structural

import (
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance/pb/enc21"
)

// Constant and all-null layout.
//
// ConstantLayout (2.2) is a page whose visible values are all one scalar,
// or all null; in 2.1 the same message, without inline_value, is the
// AllNullLayout. The buffers say which:
//
//	inline_value, no buffers          every row is the inline value
//	inline_value, 2 buffers           the value, with rep and def levels
//	no inline_value, 1 buffer         the value in a scalar buffer
//	no inline_value, 3 buffers        scalar buffer, rep and def levels
//	no inline_value, 0 or 2 buffers   all null (2 buffers: rep and def)
//
// An inline value is the raw bytes of one fixed-width value (a bool is
// one byte, bit 0). A scalar buffer is the Arrow buffers of a one-element
// array: a u32 buffer count, a u32 length per buffer, then the buffers
// (for strings: two offsets and the bytes). Levels are raw u16 unless the
// layout gives rep/def compression; an empty level buffer means no levels.

func decodeConstant(mem memory.Allocator, t *target, l *enc21.ConstantLayout, numRows uint64, bufs [][]byte) (arrow.Array, error) {
	it, lv, err := pageShape(l.GetLayers(), t)
	if err != nil {
		return nil, fmt.Errorf("constant: %w", err)
	}
	if numRows > maxRows {
		return nil, fmt.Errorf("%w: page of %d rows", ErrUnsupported, numRows)
	}
	var value, repBuf, defBuf []byte
	allNull := false
	inline := l.InlineValue
	switch {
	case inline != nil && len(bufs) == 0:
		value = inline
	case inline != nil && len(bufs) == 2:
		value, repBuf, defBuf = inline, bufs[0], bufs[1]
	case inline == nil && len(bufs) == 1:
		value = bufs[0]
	case inline == nil && len(bufs) == 3:
		value, repBuf, defBuf = bufs[0], bufs[1], bufs[2]
	case inline == nil && len(bufs) == 0:
		allNull = true
	case inline == nil && len(bufs) == 2:
		allNull, repBuf, defBuf = true, bufs[0], bufs[1]
	default:
		return nil, fmt.Errorf("%w: constant layout with %d buffers", ErrCorrupt, len(bufs))
	}
	if !allNull {
		if inline == nil {
			value, err = scalarValue(it, value)
		} else if it.shape == shapeVariable {
			err = fmt.Errorf("%w: inline constant for type %s", ErrCorrupt, it.dt)
		}
		if err != nil {
			return nil, err
		}
	}
	rep, err := constantLevels(l.RepCompression, repBuf, l.NumRepValues)
	if err != nil {
		return nil, fmt.Errorf("repetition levels: %w", err)
	}
	def, err := constantLevels(l.DefCompression, defBuf, l.NumDefValues)
	if err != nil {
		return nil, fmt.Errorf("definition levels: %w", err)
	}
	n := int(numRows)
	if lv == nil {
		if rep != nil {
			return nil, fmt.Errorf("%w: constant page of a flat column with repetition levels", ErrCorrupt)
		}
		if def != nil && len(def) != n {
			return nil, fmt.Errorf("%w: %d definition levels for %d rows", ErrCorrupt, len(def), n)
		}
		return constantItems(mem, it, n, value, allNull, def)
	}
	if rep == nil {
		if !allNull {
			return nil, fmt.Errorf("%w: constant list page without repetition levels", ErrCorrupt)
		}
		return nullLists(mem, t, n)
	}
	if def != nil && len(def) != len(rep) {
		return nil, fmt.Errorf("%w: %d repetition levels but %d definition levels", ErrCorrupt, len(rep), len(def))
	}
	items := lv.visible(def, len(rep))
	o, err := constantOutput(mem, it, items, value, allNull)
	if err != nil {
		return nil, err
	}
	return lv.assemble(mem, t, n, &levelSink{rep: rep, def: def}, o)
}

// constantLevels decodes the levels of a constant page: raw u16 unless
// compressed, and absent when the buffer is empty.
func constantLevels(e *enc21.CompressiveEncoding, b []byte, count uint64) ([]uint16, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if e == nil {
		if len(b)%2 != 0 {
			return nil, fmt.Errorf("%w: %d bytes of 16-bit levels", ErrCorrupt, len(b))
		}
		return decodeLevels(nil, b, len(b)/2)
	}
	if count > 256*uint64(len(b))+1024 || count > maxRows {
		return nil, fmt.Errorf("%w: %d levels in %d bytes", ErrCorrupt, count, len(b))
	}
	return decodeLevels(e, b, int(count))
}

// constantOutput makes n items all equal to value, or all null.
func constantOutput(mem memory.Allocator, t *target, n int, value []byte, allNull bool) (*output, error) {
	o, err := newOutput(mem, t, n, true)
	if err != nil {
		return nil, err
	}
	if allNull {
		if o.values != nil {
			clear(o.values.Bytes())
		}
		clear(o.validBits())
		return o, nil
	}
	if err := o.fillConstant(value); err != nil {
		o.release()
		return nil, err
	}
	return o, nil
}

// constantItems decodes the rows of a constant page of a flat column.
func constantItems(mem memory.Allocator, t *target, n int, value []byte, allNull bool, def []uint16) (arrow.Array, error) {
	o, err := constantOutput(mem, t, n, value, allNull)
	if err != nil {
		return nil, err
	}
	if def != nil && !allNull {
		o.setDefs(0, def)
	}
	return o.finish(), nil
}

// nullLists makes n null lists.
func nullLists(mem memory.Allocator, t *target, n int) (arrow.Array, error) {
	items, err := newOutput(mem, t.elem, 0, true)
	if err != nil {
		return nil, err
	}
	rep := make([]uint16, n)
	def := make([]uint16, n)
	lv, err := parseListLayers([]enc21.RepDefLayer{enc21.RepDefLayer_REPDEF_ALL_VALID_ITEM, enc21.RepDefLayer_REPDEF_NULLABLE_LIST})
	if err != nil {
		items.release()
		return nil, err
	}
	for i := range rep {
		rep[i], def[i] = 1, lv.listNull
	}
	return lv.assemble(mem, t, n, &levelSink{rep: rep, def: def}, items)
}

// scalarValue extracts the value bytes from a scalar buffer.
func scalarValue(t *target, b []byte) ([]byte, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("%w: scalar buffer of %d bytes", ErrCorrupt, len(b))
	}
	k := binary.LittleEndian.Uint32(b)
	if k == 0 || k > 4 || len(b) < 4+4*int(k) {
		return nil, fmt.Errorf("%w: scalar buffer with %d buffers", ErrCorrupt, k)
	}
	parts := make([][]byte, k)
	off := 4 + 4*int(k)
	for i := range parts {
		l := uint64(binary.LittleEndian.Uint32(b[4+4*i:]))
		if l > uint64(len(b)-off) {
			return nil, fmt.Errorf("%w: scalar buffer part of %d bytes overruns it", ErrCorrupt, l)
		}
		parts[i] = b[off : off+int(l)]
		off += int(l)
	}
	if t.shape != shapeVariable {
		return parts[0], nil
	}
	if len(parts) != 2 {
		return nil, fmt.Errorf("%w: variable-width scalar with %d buffers", ErrCorrupt, len(parts))
	}
	offs, data := parts[0], parts[1]
	var lo, hi uint64
	switch len(offs) {
	case 8:
		lo, hi = uint64(binary.LittleEndian.Uint32(offs)), uint64(binary.LittleEndian.Uint32(offs[4:]))
	case 16:
		lo, hi = binary.LittleEndian.Uint64(offs), binary.LittleEndian.Uint64(offs[8:])
	default:
		return nil, fmt.Errorf("%w: variable-width scalar offsets of %d bytes", ErrCorrupt, len(offs))
	}
	if lo > hi || hi > uint64(len(data)) {
		return nil, fmt.Errorf("%w: variable-width scalar offsets %d..%d of %d bytes", ErrCorrupt, lo, hi, len(data))
	}
	return data[lo:hi], nil
}

// fillConstant sets every row of o to v.
func (o *output) fillConstant(v []byte) error {
	t := o.t
	switch t.shape {
	case shapeVariable:
		total := uint64(len(v)) * uint64(o.n)
		if total > maxValueBytes {
			return fmt.Errorf("%w: constant page expands to %d bytes", ErrUnsupported, total)
		}
		dst, err := o.growData(int(total))
		if err != nil {
			return err
		}
		fillRepeat(dst, v)
		o.dataLen = int(total)
		for i := 1; i <= o.n; i++ {
			o.setOffset(i, i*len(v))
		}
		return nil
	case shapeBool:
		if len(v) != 1 {
			return fmt.Errorf("%w: bool constant of %d bytes", ErrCorrupt, len(v))
		}
		b := o.values.Bytes()
		fill := byte(0)
		if v[0]&1 != 0 {
			fill = 0xff
		}
		for i := range b {
			b[i] = fill
		}
		return nil
	}
	if t.rowBits()%8 != 0 || len(v) != t.rowBits()/8 {
		return fmt.Errorf("%w: constant of %d bytes for type %s", ErrCorrupt, len(v), t.dt)
	}
	fillRepeat(o.values.Bytes()[:o.n*len(v)], v)
	return nil
}
