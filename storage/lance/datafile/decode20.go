package datafile

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance/pb/enc20"
)

// decode20 decodes a 2.0 page: an ArrayEncoding tree over the page's
// buffers. See docs/datafile-2.0.md for the layouts.
func decode20(mem memory.Allocator, dt arrow.DataType, enc *enc20.ArrayEncoding, rows uint64, bufs [][]byte) (arrow.Array, error) {
	if rows > math.MaxInt32 {
		return nil, fmt.Errorf("%w: page of %d rows", ErrUnsupported, rows)
	}
	d := &decoder20{mem: mem, bufs: bufs}
	data, err := d.node(enc, dt, int(rows), 0)
	if err != nil {
		return nil, err
	}
	defer data.Release()
	return array.MakeFromData(data), nil
}

type decoder20 struct {
	mem  memory.Allocator
	bufs [][]byte
}

// maxDepth bounds the recursion on hostile encodings.
const maxDepth = 16

func (d *decoder20) totalBytes() uint64 {
	var n uint64
	for _, b := range d.bufs {
		n += uint64(len(b))
	}
	return n
}

func (d *decoder20) buffer(b *enc20.Buffer) ([]byte, error) {
	if b.GetBufferType() != enc20.Buffer_page {
		return nil, fmt.Errorf("%w: %s buffers", ErrUnsupported, b.GetBufferType())
	}
	i := b.GetBufferIndex()
	if int(i) >= len(d.bufs) {
		return nil, fmt.Errorf("%w: buffer %d of a page with %d buffers", ErrCorrupt, i, len(d.bufs))
	}
	return d.bufs[i], nil
}

func (d *decoder20) node(enc *enc20.ArrayEncoding, dt arrow.DataType, n, depth int) (arrow.ArrayData, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: encoding nested too deeply", ErrCorrupt)
	}
	switch e := enc.GetArrayEncoding().(type) {
	case *enc20.ArrayEncoding_Nullable:
		return d.nullable(e.Nullable, dt, n, depth)
	case *enc20.ArrayEncoding_Flat:
		return d.flat(e.Flat, dt, n)
	case *enc20.ArrayEncoding_FixedSizeList:
		return d.fixedSizeList(e.FixedSizeList, dt, n, depth)
	case *enc20.ArrayEncoding_Binary:
		return d.binary(e.Binary, dt, n, depth)
	case *enc20.ArrayEncoding_Dictionary:
		return d.dictionary(e.Dictionary, dt, n, depth)
	case *enc20.ArrayEncoding_Constant:
		return d.constant(e.Constant, dt, n)
	case nil:
		return nil, fmt.Errorf("%w: empty array encoding", ErrCorrupt)
	default:
		return nil, fmt.Errorf("%w: 2.0 encoding %T", ErrUnsupported, e)
	}
}

func (d *decoder20) nullable(e *enc20.Nullable, dt arrow.DataType, n, depth int) (arrow.ArrayData, error) {
	switch nn := e.GetNullability().(type) {
	case *enc20.Nullable_NoNulls:
		return d.node(nn.NoNulls.GetValues(), dt, n, depth+1)
	case *enc20.Nullable_AllNulls:
		a := array.MakeArrayOfNull(d.mem, dt, n)
		defer a.Release()
		data := a.Data()
		data.Retain()
		return data, nil
	case *enc20.Nullable_SomeNulls:
		validity, err := d.bitmap(nn.SomeNulls.GetValidity(), n)
		if err != nil {
			return nil, fmt.Errorf("validity: %w", err)
		}
		values, err := d.node(nn.SomeNulls.GetValues(), dt, n, depth+1)
		if err != nil {
			return nil, err
		}
		defer values.Release()
		return withValidity(values, validity), nil
	}
	return nil, fmt.Errorf("%w: nullable encoding without nullability", ErrCorrupt)
}

// withValidity returns data with its validity bitmap replaced.
func withValidity(data arrow.ArrayData, validity []byte) arrow.ArrayData {
	bufs := append([]*memory.Buffer(nil), data.Buffers()...)
	bufs[0] = memory.NewBufferBytes(validity)
	n := data.Len()
	return array.NewData(data.DataType(), n, bufs, data.Children(), countNulls(validity, n), data.Offset())
}

// bitmap decodes a Flat{1} buffer of at least n bits.
func (d *decoder20) bitmap(enc *enc20.ArrayEncoding, n int) ([]byte, error) {
	f := enc.GetFlat()
	if f == nil || f.BitsPerValue != 1 {
		return nil, fmt.Errorf("%w: bitmap is not a 1-bit flat encoding", ErrUnsupported)
	}
	b, err := d.flatBytes(f)
	if err != nil {
		return nil, err
	}
	if len(b) < int(bitutil.BytesForBits(int64(n))) {
		return nil, fmt.Errorf("%w: bitmap of %d bytes for %d rows", ErrCorrupt, len(b), n)
	}
	return b, nil
}

// flatBytes returns a Flat encoding's buffer, decompressed if needed.
func (d *decoder20) flatBytes(f *enc20.Flat) ([]byte, error) {
	b, err := d.buffer(f.GetBuffer())
	if err != nil {
		return nil, err
	}
	if c := f.GetCompression(); c != nil && c.Scheme != "" && c.Scheme != "none" {
		return decompress(c.Scheme, b)
	}
	return b, nil
}

func (d *decoder20) flat(f *enc20.Flat, dt arrow.DataType, n int) (arrow.ArrayData, error) {
	bits, ok := fixedBits(dt)
	if !ok {
		return nil, fmt.Errorf("%w: flat encoding for %s", ErrUnsupported, dt)
	}
	if f.BitsPerValue != uint64(bits) {
		return nil, fmt.Errorf("%w: %d-bit flat values for %s", ErrCorrupt, f.BitsPerValue, dt)
	}
	b, err := d.flatBytes(f)
	if err != nil {
		return nil, err
	}
	need := bitutil.BytesForBits(int64(n) * int64(bits))
	if int64(len(b)) < need {
		return nil, fmt.Errorf("%w: %d bytes of values for %d rows of %s", ErrCorrupt, len(b), n, dt)
	}
	return array.NewData(dt, n, []*memory.Buffer{nil, memory.NewBufferBytes(b[:need])}, nil, 0, 0), nil
}

// fixedBits is the width in bits of one value of a fixed-width type.
func fixedBits(dt arrow.DataType) (int, bool) {
	if dt.ID() == arrow.BOOL {
		return 1, true
	}
	if fw, ok := dt.(arrow.FixedWidthDataType); ok && dt.ID() != arrow.FIXED_SIZE_LIST {
		return fw.BitWidth(), true
	}
	return 0, false
}

func (d *decoder20) fixedSizeList(e *enc20.FixedSizeList, dt arrow.DataType, n, depth int) (arrow.ArrayData, error) {
	fsl, ok := dt.(*arrow.FixedSizeListType)
	if !ok {
		return nil, fmt.Errorf("%w: fixed-size-list encoding for %s", ErrCorrupt, dt)
	}
	if int64(e.Dimension) != int64(fsl.Len()) {
		return nil, fmt.Errorf("%w: fixed-size-list of dimension %d for %s", ErrCorrupt, e.Dimension, dt)
	}
	if e.HasValidity {
		return nil, fmt.Errorf("%w: fixed-size-list with inline validity", ErrUnsupported)
	}
	items := int64(n) * int64(fsl.Len())
	if items > math.MaxInt32 {
		return nil, fmt.Errorf("%w: %d fixed-size-list items in one page", ErrUnsupported, items)
	}
	child, err := d.node(e.GetItems(), fsl.Elem(), int(items), depth+1)
	if err != nil {
		return nil, err
	}
	defer child.Release()
	return array.NewData(dt, n, []*memory.Buffer{nil}, []arrow.ArrayData{child}, 0, 0), nil
}

// u64s decodes an encoding of n unsigned integers (Binary indices).
func (d *decoder20) u64s(enc *enc20.ArrayEncoding, n, depth int) ([]uint64, error) {
	data, err := d.node(enc, arrow.PrimitiveTypes.Uint64, n, depth+1)
	if err != nil {
		return nil, err
	}
	defer data.Release()
	if data.NullN() != 0 {
		return nil, fmt.Errorf("%w: null offsets", ErrCorrupt)
	}
	raw := data.Buffers()[1].Bytes()
	out := make([]uint64, n)
	for i := range out {
		out[i] = binary.LittleEndian.Uint64(raw[8*i:])
	}
	return out, nil
}

func (d *decoder20) binary(e *enc20.Binary, dt arrow.DataType, n, depth int) (arrow.ArrayData, error) {
	large, ok := varWidth(dt)
	if !ok {
		return nil, fmt.Errorf("%w: binary encoding for %s", ErrCorrupt, dt)
	}
	ends, err := d.u64s(e.GetIndices(), n, depth)
	if err != nil {
		return nil, fmt.Errorf("offsets: %w", err)
	}
	f := e.GetBytes().GetFlat()
	if f == nil || f.BitsPerValue != 8 {
		return nil, fmt.Errorf("%w: binary bytes are not an 8-bit flat encoding", ErrUnsupported)
	}
	bytes, err := d.flatBytes(f)
	if err != nil {
		return nil, fmt.Errorf("bytes: %w", err)
	}
	return buildVarWidth(d.mem, dt, large, n, bytes, func(i int) (uint64, bool) {
		// A null's entry is its end plus null_adjustment.
		if v := ends[i]; v >= e.NullAdjustment && e.NullAdjustment > 0 {
			return v - e.NullAdjustment, false
		}
		return ends[i], true
	})
}

// varWidth reports whether dt is variable-width binary and whether its
// offsets are 64-bit.
func varWidth(dt arrow.DataType) (large, ok bool) {
	switch dt.ID() {
	case arrow.STRING, arrow.BINARY:
		return false, true
	case arrow.LARGE_STRING, arrow.LARGE_BINARY:
		return true, true
	}
	return false, false
}

// buildVarWidth assembles a string or binary array from per-row end offsets
// relative to bytes. end(i) returns row i's end offset and validity.
func buildVarWidth(mem memory.Allocator, dt arrow.DataType, large bool, n int, bytes []byte, end func(int) (uint64, bool)) (arrow.ArrayData, error) {
	width := 4
	if large {
		width = 8
	}
	offs := newBuffer(mem, (n+1)*width)
	var validity *memory.Buffer
	ob := offs.Bytes()
	nulls := 0
	prev := uint64(0)
	for i := 0; i < n; i++ {
		e, valid := end(i)
		if e < prev || e > uint64(len(bytes)) {
			offs.Release()
			if validity != nil {
				validity.Release()
			}
			return nil, fmt.Errorf("%w: offset %d of row %d out of order or beyond %d bytes", ErrCorrupt, e, i, len(bytes))
		}
		if !valid {
			if validity == nil {
				validity = newBuffer(mem, int(bitutil.BytesForBits(int64(n))))
				bitutil.SetBitsTo(validity.Bytes(), 0, int64(n), true)
			}
			bitutil.ClearBit(validity.Bytes(), i)
			nulls++
		}
		if large {
			binary.LittleEndian.PutUint64(ob[8*(i+1):], e)
		} else {
			if e > math.MaxInt32 {
				offs.Release()
				if validity != nil {
					validity.Release()
				}
				return nil, fmt.Errorf("%w: %d bytes of %s in one page", ErrUnsupported, e, dt)
			}
			binary.LittleEndian.PutUint32(ob[4*(i+1):], uint32(e))
		}
		prev = e
	}
	return newData(dt, n, []*memory.Buffer{validity, offs, memory.NewBufferBytes(bytes[:prev])}, nil, nulls), nil
}

func (d *decoder20) dictionary(e *enc20.Dictionary, dt arrow.DataType, n, depth int) (arrow.ArrayData, error) {
	large, ok := varWidth(dt)
	if !ok {
		return nil, fmt.Errorf("%w: dictionary encoding for %s", ErrUnsupported, dt)
	}
	// Every item needs at least an 8-byte offset, so the page's bytes bound
	// the item count a well-formed page can claim.
	if uint64(e.NumDictionaryItems) > d.totalBytes()/8+1 {
		return nil, fmt.Errorf("%w: %d dictionary items in a page of %d bytes", ErrCorrupt, e.NumDictionaryItems, d.totalBytes())
	}
	items, err := d.node(e.GetItems(), dt, int(e.NumDictionaryItems), depth+1)
	if err != nil {
		return nil, fmt.Errorf("dictionary items: %w", err)
	}
	defer items.Release()
	idxData, err := d.node(e.GetIndices(), arrow.PrimitiveTypes.Uint8, n, depth+1)
	if err != nil {
		return nil, fmt.Errorf("dictionary indices: %w", err)
	}
	defer idxData.Release()
	idx := idxData.Buffers()[1].Bytes()
	dict := array.MakeFromData(items)
	defer dict.Release()
	// Index 0 is null; index k is dictionary item k-1 (which may itself be null).
	values, offs, ok := varBytes(dict)
	if !ok {
		return nil, fmt.Errorf("%w: dictionary of %s", ErrUnsupported, dt)
	}
	itemOff := func(k int) (int64, int64) { return offs(k), offs(k + 1) }
	// Materialize: concatenate the selected items.
	total := 0
	for _, k := range idx[:n] {
		if k == 0 {
			continue
		}
		if int(k) > dict.Len() {
			return nil, fmt.Errorf("%w: dictionary index %d of %d items", ErrCorrupt, k, dict.Len())
		}
		if dict.IsValid(int(k) - 1) {
			s, e := itemOff(int(k) - 1)
			total += int(e - s)
		}
	}
	out := make([]byte, 0, total)
	ends := make([]uint64, n)
	valid := make([]bool, n)
	for i, k := range idx[:n] {
		if k != 0 && dict.IsValid(int(k)-1) {
			s, e := itemOff(int(k) - 1)
			out = append(out, values[s:e]...)
			valid[i] = true
		}
		ends[i] = uint64(len(out))
	}
	return buildVarWidth(d.mem, dt, large, n, out, func(i int) (uint64, bool) { return ends[i], valid[i] })
}

func (d *decoder20) constant(e *enc20.Constant, dt arrow.DataType, n int) (arrow.ArrayData, error) {
	bits, ok := fixedBits(dt)
	if !ok || bits%8 != 0 {
		return nil, fmt.Errorf("%w: constant encoding for %s", ErrUnsupported, dt)
	}
	w := bits / 8
	if len(e.Value) != w {
		return nil, fmt.Errorf("%w: constant of %d bytes for %s", ErrCorrupt, len(e.Value), dt)
	}
	buf := newBuffer(d.mem, n*w)
	b := buf.Bytes()
	for i := 0; i < n; i++ {
		copy(b[i*w:], e.Value)
	}
	return newData(dt, n, []*memory.Buffer{nil, buf}, nil, 0), nil
}
