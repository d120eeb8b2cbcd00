package structural

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance/pb/enc21"
)

// Full-zip layout.
//
// Buffer 0 zips every row's levels and value together: a control word
// (bits_rep + bits_def bits packed in 0, 1, 2 or 4 bytes, repetition in the
// high bits, definition in the low bits), then, only when the definition
// level is 0 (a valid item), the value: bits_per_value/8 bytes for
// fixed-width values, or a bits_per_offset-bit length and that many bytes
// for variable-width ones. A page without levels and with fixed-width
// values is thus a plain array, which is aliased rather than copied.
// Buffer 1, when present, is the repetition index (one offset into buffer
// 0 per row, for random access); a full scan does not need it.
//
// Fixed-width values are Flat or a FixedSizeList of Flat; a list whose
// items are nullable stores each row as its item validity bits (padded to
// whole bytes) followed by the items. Variable-width values are Variable,
// Fsst (each value compressed against the page's symbol table) or General
// (each value compressed on its own).

// controlWordBytes is the size of a control word for the given level
// widths.
func controlWordBytes(bitsRep, bitsDef uint32) (int, error) {
	switch total := uint64(bitsRep) + uint64(bitsDef); {
	case total == 0:
		return 0, nil
	case total <= 8:
		return 1, nil
	case total <= 16:
		return 2, nil
	case total <= 32:
		return 4, nil
	}
	return 0, fmt.Errorf("%w: control words of %d+%d bits", ErrCorrupt, bitsRep, bitsDef)
}

// decodeFullZip decodes a full-zip page of a flat or list column.
func decodeFullZip(mem memory.Allocator, t *target, l *enc21.FullZipLayout, numRows uint64, bufs [][]byte) (arrow.Array, error) {
	it, lv, err := pageShape(l.GetLayers(), t)
	if err != nil {
		return nil, fmt.Errorf("full-zip: %w", err)
	}
	if (lv == nil) != (l.BitsRep == 0) {
		return nil, fmt.Errorf("%w: full-zip page with %d repetition bits for type %s", ErrCorrupt, l.BitsRep, t.dt)
	}
	cw, err := controlWordBytes(l.BitsRep, l.BitsDef)
	if err != nil {
		return nil, err
	}
	if len(bufs) < 1 {
		return nil, fmt.Errorf("%w: full-zip page without buffers", ErrCorrupt)
	}
	if numRows > maxRows {
		return nil, fmt.Errorf("%w: page of %d rows", ErrUnsupported, numRows)
	}
	z := &zipper{data: bufs[0], cw: cw, bitsDef: uint(l.BitsDef), defMask: uint64(1)<<l.BitsDef - 1, n: int(numRows), lists: lv}
	if lv != nil {
		// Every level costs at least its control word.
		if uint64(l.NumVisibleItems) > uint64(len(z.data)) {
			return nil, fmt.Errorf("%w: %d items in a %d-byte full-zip page", ErrCorrupt, l.NumVisibleItems, len(z.data))
		}
		z.n, z.levels = int(l.NumVisibleItems), &levelSink{}
	}
	var o *output
	switch det := l.GetDetails().(type) {
	case *enc21.FullZipLayout_BitsPerValue:
		o, err = z.fixed(mem, it, l.GetValueCompression(), uint64(det.BitsPerValue))
	case *enc21.FullZipLayout_BitsPerOffset:
		o, err = z.variable(mem, it, l.GetValueCompression(), uint64(det.BitsPerOffset))
	default:
		return nil, fmt.Errorf("%w: full-zip layout without value details", ErrCorrupt)
	}
	if err != nil {
		return nil, err
	}
	if lv != nil {
		return lv.assemble(mem, t, int(numRows), z.levels, o)
	}
	return o.finish(), nil
}

// zipper walks the levels and values of a full-zip buffer.
type zipper struct {
	data    []byte
	pos     int
	cw      int
	bitsDef uint
	defMask uint64
	n       int // items

	// List pages: what the levels mean, and where they are collected.
	lists  *listLevels
	levels *levelSink
}

// more reports whether another level follows item i: flat pages have one
// level an item, list pages run to the end of the buffer.
func (z *zipper) more(item int) bool {
	if z.lists == nil {
		return item < z.n
	}
	return z.pos < len(z.data)
}

// next reads the next control word and returns its definition level, and
// whether the level has an item. List pages record the levels.
func (z *zipper) next(item int) (def uint64, hasItem bool, err error) {
	if z.cw == 0 {
		return 0, true, nil
	}
	if len(z.data)-z.pos < z.cw {
		return 0, false, fmt.Errorf("%w: full-zip data ends at item %d of %d", ErrCorrupt, item, z.n)
	}
	w := readUint(z.data[z.pos:], z.cw)
	z.pos += z.cw
	def = w & z.defMask
	if z.lists == nil {
		return def, true, nil
	}
	z.levels.rep = append(z.levels.rep, uint16(w>>z.bitsDef))
	z.levels.def = append(z.levels.def, uint16(def))
	if def > uint64(z.lists.maxItem) {
		return def, false, nil
	}
	if item >= z.n {
		return 0, false, fmt.Errorf("%w: more than %d items in a full-zip page", ErrCorrupt, z.n)
	}
	return def, true, nil
}

// take returns the next k bytes.
func (z *zipper) take(k uint64, row int) ([]byte, error) {
	if k > uint64(len(z.data)-z.pos) {
		return nil, fmt.Errorf("%w: full-zip value of %d bytes at row %d overruns the page", ErrCorrupt, k, row)
	}
	b := z.data[z.pos : z.pos+int(k)]
	z.pos += int(k)
	return b, nil
}

func (z *zipper) fixed(mem memory.Allocator, t *target, e *enc21.CompressiveEncoding, bitsPerValue uint64) (*output, error) {
	if t.shape == shapeVariable || t.shape == shapeBool {
		return nil, fmt.Errorf("%w: full-zip fixed-width values for type %s", ErrUnsupported, t.dt)
	}
	hasValidity := false
	switch c := e.GetCompression().(type) {
	case *enc21.CompressiveEncoding_Flat:
		if c.Flat.GetBitsPerValue() != uint64(t.rowBits()) || c.Flat.Data != nil {
			return nil, fmt.Errorf("%w: full-zip flat values of %d bits for type %s", ErrCorrupt, c.Flat.GetBitsPerValue(), t.dt)
		}
	case *enc21.CompressiveEncoding_FixedSizeList:
		f := c.FixedSizeList
		inner := f.GetValues().GetFlat()
		if t.shape != shapeFSL || f.GetItemsPerValue() != uint64(t.dim) || inner == nil || inner.GetBitsPerValue() != uint64(t.itemBits()) || inner.Data != nil {
			return nil, fmt.Errorf("%w: full-zip fixed-size list values for type %s", ErrUnsupported, t.dt)
		}
		hasValidity = f.GetHasValidity()
	default:
		return nil, fmt.Errorf("%w: %s compression of full-zip fixed-width values", ErrUnsupported, encodingName(e))
	}
	rb := t.rowBits() / 8
	vb := 0
	if hasValidity {
		vb = (t.dim + 7) / 8
	}
	if t.rowBits()%8 != 0 || bitsPerValue != uint64(8*(rb+vb)) {
		return nil, fmt.Errorf("%w: full-zip rows of %d bits for type %s", ErrCorrupt, bitsPerValue, t.dt)
	}
	if z.lists != nil {
		return z.fixedList(mem, t, rb, vb)
	}
	if z.cw == 0 && !hasValidity {
		// No levels: the buffer is the values.
		size := uint64(z.n) * uint64(rb)
		if size > uint64(len(z.data)) {
			return nil, fmt.Errorf("%w: full-zip page of %d bytes for %d rows of %d bytes", ErrCorrupt, len(z.data), z.n, rb)
		}
		o, err := newOutput(mem, t, z.n, false)
		if err != nil {
			return nil, err
		}
		o.values = memory.NewBufferBytes(z.data[:size:size])
		return o, nil
	}
	o, err := newOutput(mem, t, z.n, true)
	if err != nil {
		return nil, err
	}
	// Every row of a flat page is visible, so every row has its value
	// bytes, nulls included: the stride is constant.
	stride := uint64(z.cw + vb + rb)
	if uint64(len(z.data)) < stride*uint64(z.n) {
		o.release()
		return nil, fmt.Errorf("%w: full-zip page of %d bytes for %d rows of %d bytes", ErrCorrupt, len(z.data), z.n, stride)
	}
	out := o.values.Bytes()
	src := z.data
	for i := 0; i < z.n; i++ {
		row := src[:stride]
		src = src[stride:]
		if z.cw > 0 && readUint(row, z.cw)&z.defMask != 0 {
			bitutil.ClearBit(o.validBits(), i)
		}
		row = row[z.cw:]
		if vb > 0 {
			bitutil.CopyBitmap(row, 0, t.dim, o.itemValidBits(), i*t.dim)
			row = row[vb:]
		}
		copy(out[i*rb:i*rb+rb], row)
	}
	return o, nil
}

// fixedList unzips the items of a list page: only levels with an item
// have value bytes.
func (z *zipper) fixedList(mem memory.Allocator, t *target, rb, vb int) (*output, error) {
	o, err := newOutput(mem, t, z.n, true)
	if err != nil {
		return nil, err
	}
	out := o.values.Bytes()
	item := 0
	for z.more(item) {
		_, ok, err := z.next(item)
		if err == nil && ok {
			var row []byte
			if row, err = z.take(uint64(vb+rb), item); err == nil {
				if vb > 0 {
					bitutil.CopyBitmap(row, 0, t.dim, o.itemValidBits(), item*t.dim)
				}
				copy(out[item*rb:item*rb+rb], row[vb:])
				item++
			}
		}
		if err != nil {
			o.release()
			return nil, err
		}
	}
	if item != z.n {
		o.release()
		return nil, fmt.Errorf("%w: full-zip page has %d items, want %d", ErrCorrupt, item, z.n)
	}
	return o, nil
}

func (z *zipper) variable(mem memory.Allocator, t *target, e *enc21.CompressiveEncoding, bitsPerOffset uint64) (*output, error) {
	if t.shape != shapeVariable {
		return nil, fmt.Errorf("%w: full-zip variable-width values for type %s", ErrCorrupt, t.dt)
	}
	lw := int(bitsPerOffset / 8)
	if bitsPerOffset%8 != 0 || (lw != 1 && lw != 2 && lw != 4 && lw != 8) {
		return nil, fmt.Errorf("%w: full-zip lengths of %d bits", ErrCorrupt, bitsPerOffset)
	}
	d := newDecoder(t)
	var decode func(v []byte) ([]byte, error)
	switch c := e.GetCompression().(type) {
	case *enc21.CompressiveEncoding_Variable:
		if c.Variable.Values != nil {
			return nil, fmt.Errorf("%w: full-zip variable values with buffer compression", ErrUnsupported)
		}
	case *enc21.CompressiveEncoding_Fsst:
		if _, ok := c.Fsst.GetValues().GetCompression().(*enc21.CompressiveEncoding_Variable); !ok {
			return nil, fmt.Errorf("%w: full-zip fsst over %s", ErrUnsupported, encodingName(c.Fsst.GetValues()))
		}
		tab, err := d.fsstTable(c.Fsst)
		if err != nil {
			return nil, err
		}
		decode = func(v []byte) ([]byte, error) {
			out, err := tab.Decode(d.vData[:0], v)
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
			}
			d.vData = out
			return out, nil
		}
	case *enc21.CompressiveEncoding_General:
		g := c.General
		decode = func(v []byte) ([]byte, error) {
			out, err := decompress(g.GetCompression(), v, d.vData)
			if err != nil {
				return nil, err
			}
			d.vData = out
			return out, nil
		}
	default:
		return nil, fmt.Errorf("%w: %s compression of full-zip variable-width values", ErrUnsupported, encodingName(e))
	}
	o, err := newOutput(mem, t, z.n, false)
	if err != nil {
		return nil, err
	}
	if err := z.variableRows(o, lw, decode); err != nil {
		o.release()
		return nil, err
	}
	return o, nil
}

func (z *zipper) variableRows(o *output, lw int, decode func([]byte) ([]byte, error)) error {
	// Most of the buffer is value bytes: reserve them up front.
	if _, err := o.growData(len(z.data)); err != nil {
		return err
	}
	item := 0
	for z.more(item) {
		def, ok, err := z.next(item)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if def != 0 {
			// A null item: no length, no bytes.
			if z.lists == nil {
				bitutil.ClearBit(o.validBits(), item)
			}
			o.setOffset(item+1, o.dataLen)
			item++
			continue
		}
		lb, err := z.take(uint64(lw), item)
		if err != nil {
			return err
		}
		v, err := z.take(readUint(lb, lw), item)
		if err != nil {
			return err
		}
		if decode != nil {
			if v, err = decode(v); err != nil {
				return fmt.Errorf("item %d: %w", item, err)
			}
		}
		if err := o.appendValue(item, v); err != nil {
			return err
		}
		item++
	}
	if item != z.n {
		return fmt.Errorf("%w: full-zip page has %d items, want %d", ErrCorrupt, item, z.n)
	}
	return nil
}
