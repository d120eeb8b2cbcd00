package datafile

import (
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/bitutil"

	"github.com/lancegate/lancegate/storage/lance/pb/enc20"
)

// The 2.0 page layouts lancegate writes, the same as pylance's defaults:
//
//	fixed width   Nullable{no_nulls{Flat{w, #0}}}
//	              Nullable{some_nulls{validity: Flat{1, #0}, values: Flat{w, #1}}}
//	              Nullable{all_nulls}                                (no buffers)
//	strings       Binary{indices: Nullable{no_nulls{Flat{64, #0}}}, bytes: Flat{8, #1}, null_adjustment: A}
//	              #0 holds each row's end offset; a null row's entry is end + A, A = total bytes + 1
//	low-card utf8 Dictionary{indices: Nullable{no_nulls{Flat{8, #0}}}, items: Binary{#1, #2}, n}
//	              index 0 is null, k is item k-1
//	vectors       Nullable{no_nulls|some_nulls{[validity #0,] FixedSizeList{dim, items: <fixed width>}}}
//	              outer validity, then item validity, then item values

// dictionaryMinRows and dictionaryMaxItems decide when a utf8 page is
// dictionary-encoded, as pylance decides by default.
const (
	dictionaryMinRows  = 100
	dictionaryMaxItems = 100
)

type pageBuffers struct{ bufs [][]byte }

func (p *pageBuffers) add(b []byte) *enc20.Buffer {
	p.bufs = append(p.bufs, b)
	return &enc20.Buffer{BufferIndex: uint32(len(p.bufs) - 1)}
}

func encode20(dt arrow.DataType, chunks []arrow.Array, rows int, opts WriterOptions) (*enc20.ArrayEncoding, [][]byte, error) {
	p := &pageBuffers{}
	var enc *enc20.ArrayEncoding
	switch {
	case dt.ID() == arrow.FIXED_SIZE_LIST:
		enc = p.fixedSizeList(dt.(*arrow.FixedSizeListType), chunks, rows)
	case isVarWidth(dt):
		var err error
		enc, err = p.varWidth(dt, chunks, rows, opts)
		if err != nil {
			return nil, nil, err
		}
	default:
		bits, ok := fixedBits(dt)
		if !ok {
			return nil, nil, fmt.Errorf("%w: writing %s", ErrUnsupported, dt)
		}
		enc = p.fixed(bits, chunks, rows)
	}
	return enc, p.bufs, nil
}

func isVarWidth(dt arrow.DataType) bool { _, ok := varWidth(dt); return ok }

func nullCount(chunks []arrow.Array) int {
	n := 0
	for _, a := range chunks {
		n += a.NullN()
	}
	return n
}

func nullable(validity *enc20.ArrayEncoding, values *enc20.ArrayEncoding) *enc20.ArrayEncoding {
	nb := &enc20.Nullable{}
	if validity == nil {
		nb.Nullability = &enc20.Nullable_NoNulls{NoNulls: &enc20.Nullable_NoNull{Values: values}}
	} else {
		nb.Nullability = &enc20.Nullable_SomeNulls{SomeNulls: &enc20.Nullable_SomeNull{Validity: validity, Values: values}}
	}
	return &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_Nullable{Nullable: nb}}
}

func allNulls() *enc20.ArrayEncoding {
	return &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_Nullable{Nullable: &enc20.Nullable{
		Nullability: &enc20.Nullable_AllNulls{AllNulls: &enc20.Nullable_AllNull{}},
	}}}
}

func flat(bits int, b *enc20.Buffer) *enc20.ArrayEncoding {
	return &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_Flat{Flat: &enc20.Flat{BitsPerValue: uint64(bits), Buffer: b}}}
}

// validityBitmap concatenates the validity of the chunks' rows.
func validityBitmap(chunks []arrow.Array, rows int) []byte {
	out := make([]byte, bitutil.BytesForBits(int64(rows)))
	at := 0
	for _, a := range chunks {
		d := a.Data()
		if a.NullN() == 0 || d.Buffers()[0] == nil {
			bitutil.SetBitsTo(out, int64(at), int64(a.Len()), true)
		} else {
			bitutil.CopyBitmap(d.Buffers()[0].Bytes(), d.Offset(), a.Len(), out, at)
		}
		at += a.Len()
	}
	return out
}

// fixedValues concatenates the value buffers of fixed-width chunks.
func fixedValues(bits int, chunks []arrow.Array, rows int) []byte {
	if bits == 1 {
		out := make([]byte, bitutil.BytesForBits(int64(rows)))
		at := 0
		for _, a := range chunks {
			d := a.Data()
			bitutil.CopyBitmap(d.Buffers()[1].Bytes(), d.Offset(), a.Len(), out, at)
			at += a.Len()
		}
		return out
	}
	w := bits / 8
	if len(chunks) == 1 {
		d := chunks[0].Data()
		return d.Buffers()[1].Bytes()[d.Offset()*w : (d.Offset()+d.Len())*w]
	}
	out := make([]byte, 0, rows*w)
	for _, a := range chunks {
		d := a.Data()
		out = append(out, d.Buffers()[1].Bytes()[d.Offset()*w:(d.Offset()+d.Len())*w]...)
	}
	return out
}

func (p *pageBuffers) fixed(bits int, chunks []arrow.Array, rows int) *enc20.ArrayEncoding {
	nulls := nullCount(chunks)
	if nulls == rows {
		return allNulls()
	}
	var validity *enc20.ArrayEncoding
	if nulls > 0 {
		validity = flat(1, p.add(validityBitmap(chunks, rows)))
	}
	return nullable(validity, flat(bits, p.add(fixedValues(bits, chunks, rows))))
}

func (p *pageBuffers) fixedSizeList(dt *arrow.FixedSizeListType, chunks []arrow.Array, rows int) *enc20.ArrayEncoding {
	nulls := nullCount(chunks)
	if nulls == rows {
		return allNulls()
	}
	var validity *enc20.ArrayEncoding
	if nulls > 0 {
		validity = flat(1, p.add(validityBitmap(chunks, rows)))
	}
	dim := int(dt.Len())
	items := make([]arrow.Array, len(chunks))
	for i, a := range chunks {
		fsl := a.(interface{ ListValues() arrow.Array })
		d := a.Data()
		items[i] = sliceArray(fsl.ListValues(), d.Offset()*dim, (d.Offset()+d.Len())*dim)
	}
	defer func() {
		for _, a := range items {
			a.Release()
		}
	}()
	bits, _ := fixedBits(dt.Elem())
	var itemEnc *enc20.ArrayEncoding
	itemNulls := nullCount(items)
	if itemNulls > 0 {
		iv := flat(1, p.add(validityBitmap(items, rows*dim)))
		itemEnc = nullable(iv, flat(bits, p.add(fixedValues(bits, items, rows*dim))))
	} else {
		itemEnc = nullable(nil, flat(bits, p.add(fixedValues(bits, items, rows*dim))))
	}
	list := &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_FixedSizeList{FixedSizeList: &enc20.FixedSizeList{
		Dimension: uint32(dim),
		Items:     itemEnc,
	}}}
	return nullable(validity, list)
}

// varValues returns row i's bytes for the chunks of a string or binary column.
type varChunk struct {
	valid func(int) bool
	value func(int) []byte
	n     int
}

func varChunks(chunks []arrow.Array) []varChunk {
	out := make([]varChunk, len(chunks))
	for i, a := range chunks {
		raw, offs, _ := varBytes(a)
		out[i] = varChunk{
			valid: a.IsValid,
			value: func(j int) []byte { return raw[offs(j):offs(j+1)] },
			n:     a.Len(),
		}
	}
	return out
}

func (p *pageBuffers) varWidth(dt arrow.DataType, chunks []arrow.Array, rows int, opts WriterOptions) (*enc20.ArrayEncoding, error) {
	cs := varChunks(chunks)
	if opts.DictionaryStrings && dt.ID() == arrow.STRING && rows >= dictionaryMinRows {
		if enc := p.dictionary(cs, rows); enc != nil {
			return enc, nil
		}
	}
	var bytes []byte
	ends := make([]uint64, 0, rows)
	var nullRows []int
	for _, c := range cs {
		for j := 0; j < c.n; j++ {
			if c.valid(j) {
				bytes = append(bytes, c.value(j)...)
			} else {
				nullRows = append(nullRows, len(ends))
			}
			ends = append(ends, uint64(len(bytes)))
		}
	}
	return p.binary(bytes, ends, nullRows), nil
}

// binary encodes end offsets and bytes; nullRows lists the null rows.
func (p *pageBuffers) binary(bytes []byte, ends []uint64, nullRows []int) *enc20.ArrayEncoding {
	adj := uint64(len(bytes)) + 1
	for _, i := range nullRows {
		ends[i] += adj
	}
	idx := make([]byte, 8*len(ends))
	for i, e := range ends {
		binary.LittleEndian.PutUint64(idx[8*i:], e)
	}
	indices := nullable(nil, flat(64, p.add(idx)))
	return &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_Binary{Binary: &enc20.Binary{
		Indices:        indices,
		Bytes:          flat(8, p.add(bytes)),
		NullAdjustment: adj,
	}}}
}

// dictionary encodes a low-cardinality utf8 page, or returns nil when the
// page has too many distinct values.
func (p *pageBuffers) dictionary(cs []varChunk, rows int) *enc20.ArrayEncoding {
	ids := make(map[string]uint8, dictionaryMaxItems)
	var items []string
	idx := make([]byte, 0, rows)
	for _, c := range cs {
		for j := 0; j < c.n; j++ {
			if !c.valid(j) {
				idx = append(idx, 0)
				continue
			}
			v := c.value(j)
			k, ok := ids[string(v)]
			if !ok {
				if len(items) == dictionaryMaxItems-1 {
					return nil
				}
				items = append(items, string(v))
				k = uint8(len(items))
				ids[items[len(items)-1]] = k
			}
			idx = append(idx, k)
		}
	}
	var bytes []byte
	ends := make([]uint64, 0, max(1, len(items)))
	var nullRows []int
	for _, s := range items {
		bytes = append(bytes, s...)
		ends = append(ends, uint64(len(bytes)))
	}
	if len(items) == 0 {
		// An all-null page: pylance stores one null dictionary item.
		ends = append(ends, 0)
		nullRows = []int{0}
	}
	indices := nullable(nil, flat(8, p.add(idx)))
	itemsEnc := p.binary(bytes, ends, nullRows)
	return &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_Dictionary{Dictionary: &enc20.Dictionary{
		Indices:            indices,
		Items:              itemsEnc,
		NumDictionaryItems: uint32(len(ends)),
	}}}
}
