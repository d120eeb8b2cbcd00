package hashtable

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"unsafe"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// column is one key column: it loads a batch's values into a flat form,
// hashes and verifies whole batches, and stores the keys of new ids.
// Its methods are called once per batch, except appendRow (once per new
// id) and equalRow (only on a full 64-bit hash collision).
type column interface {
	load(a arrow.Array)
	hash(h []uint64, first bool)
	verify(rows []int32, ids []uint32, ok []bool)
	appendRow(i int)
	equalRow(i int, id uint32) bool
	build(mem memory.Allocator, from, to int) arrow.Array
}

const nullHash = 0x5bd1e9955bd1e995

func newColumn(dt arrow.DataType) (column, error) {
	switch dt.ID() {
	case arrow.BOOL, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16,
		arrow.UINT32, arrow.UINT64, arrow.FLOAT32, arrow.FLOAT64, arrow.DATE32, arrow.DATE64,
		arrow.TIMESTAMP, arrow.TIME32, arrow.TIME64:
		return &wordColumn{dt: dt}, nil
	case arrow.DECIMAL128:
		return &decimalColumn{dt: dt}, nil
	case arrow.STRING, arrow.BINARY:
		return &bytesColumn{dt: dt}, nil
	case arrow.LIST, arrow.FIXED_SIZE_LIST:
		// Vectors are hashed and rebuilt as float32 bytes; other lists
		// (arrays) element by element (list.go).
		if dt.(arrow.ListLikeType).Elem().ID() == arrow.FLOAT32 {
			return &bytesColumn{dt: dt}, nil
		}
		if lt, ok := dt.(*arrow.ListType); ok {
			return newListColumn(lt)
		}
	case arrow.NULL:
		return &nullColumn{}, nil
	}
	return nil, fmt.Errorf("hashtable: keys of Arrow type %s are not supported", dt)
}

// nulls returns a's validity as one bool per row (nil when no nulls).
func nullsOf(a arrow.Array, dst []bool) []bool {
	if a.NullN() == 0 {
		return nil
	}
	n := a.Len()
	if cap(dst) < n {
		dst = make([]bool, n)
	}
	dst = dst[:n]
	if a.DataType().ID() == arrow.NULL {
		for i := range dst {
			dst[i] = true
		}
		return dst
	}
	bm, off := a.NullBitmapBytes(), a.Data().Offset()
	for i := range dst {
		dst[i] = !bitutil.BitIsSet(bm, off+i)
	}
	return dst
}

func typed[T any](a arrow.Array) []T {
	d := a.Data()
	b := d.Buffers()[1]
	if b == nil || d.Len() == 0 {
		return nil
	}
	var z T
	all := unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b.Bytes()))), b.Len()/int(unsafe.Sizeof(z)))
	return all[d.Offset() : d.Offset()+d.Len()]
}

// wordColumn holds keys of up to 64 bits as normalised words.
type wordColumn struct {
	dt    arrow.DataType
	words []uint64 // batch
	null  []bool   // batch; nil when no nulls
	nbuf  []bool
	keys  []uint64 // per id
	knull []bool   // per id
}

func (c *wordColumn) load(a arrow.Array) {
	n := a.Len()
	if cap(c.words) < n {
		c.words = make([]uint64, n)
	}
	w := c.words[:n]
	c.words = w
	switch a.DataType().ID() {
	case arrow.BOOL:
		bm, off := a.Data().Buffers()[1].Bytes(), a.Data().Offset()
		for i := range w {
			w[i] = 0
			if bitutil.BitIsSet(bm, off+i) {
				w[i] = 1
			}
		}
	case arrow.INT8:
		for i, v := range typed[int8](a) {
			w[i] = uint64(v)
		}
	case arrow.UINT8:
		for i, v := range typed[uint8](a) {
			w[i] = uint64(v)
		}
	case arrow.INT16:
		for i, v := range typed[int16](a) {
			w[i] = uint64(v)
		}
	case arrow.UINT16:
		for i, v := range typed[uint16](a) {
			w[i] = uint64(v)
		}
	case arrow.INT32, arrow.DATE32, arrow.TIME32:
		for i, v := range typed[int32](a) {
			w[i] = uint64(v)
		}
	case arrow.UINT32:
		for i, v := range typed[uint32](a) {
			w[i] = uint64(v)
		}
	case arrow.FLOAT32:
		for i, v := range typed[float32](a) {
			w[i] = floatWord(float64(v))
		}
	case arrow.FLOAT64:
		for i, v := range typed[float64](a) {
			w[i] = floatWord(v)
		}
	default: // 64-bit integers, timestamps
		copy(w, typed[uint64](a))
	}
	c.null = nullsOf(a, c.nbuf)
	if c.null != nil {
		c.nbuf = c.null
		for i, isNull := range c.null {
			if isNull {
				w[i] = 0
			}
		}
	}
}

// floatWord maps equal floats (−0 and 0; every NaN) to equal words.
func floatWord(f float64) uint64 {
	if f == 0 {
		return 0
	}
	if f != f {
		return 0x7ff8000000000001
	}
	return math.Float64bits(f)
}

func (c *wordColumn) hash(h []uint64, first bool) {
	w := c.words[:len(h)]
	if first && c.null == nil {
		copy(h, w)
		return
	}
	for i, x := range w {
		if c.null != nil && c.null[i] {
			x = nullHash
		}
		h[i] = combine(h[i], x, first)
	}
}

func (c *wordColumn) verify(rows []int32, ids []uint32, ok []bool) {
	w, keys := c.words, c.keys
	if c.null == nil {
		for k, r := range rows {
			id := ids[r]
			ok[k] = ok[k] && w[r] == keys[id] && !c.knull[id]
		}
		return
	}
	for k, r := range rows {
		id := ids[r]
		ok[k] = ok[k] && w[r] == keys[id] && c.null[r] == c.knull[id]
	}
}

func (c *wordColumn) appendRow(i int) {
	c.keys = append(c.keys, c.words[i])
	c.knull = append(c.knull, c.null != nil && c.null[i])
}

func (c *wordColumn) equalRow(i int, id uint32) bool {
	isNull := c.null != nil && c.null[i]
	return isNull == c.knull[id] && c.words[i] == c.keys[id]
}

func (c *wordColumn) build(mem memory.Allocator, from, to int) arrow.Array {
	n := to - from
	keys, knull := c.keys[from:to], c.knull[from:to]
	b := array.NewBuilder(mem, c.dt)
	defer b.Release()
	b.Reserve(n)
	for i, w := range keys {
		if knull[i] {
			b.AppendNull()
			continue
		}
		switch bb := b.(type) {
		case *array.BooleanBuilder:
			bb.Append(w != 0)
		case *array.Int8Builder:
			bb.Append(int8(w))
		case *array.Uint8Builder:
			bb.Append(uint8(w))
		case *array.Int16Builder:
			bb.Append(int16(w))
		case *array.Uint16Builder:
			bb.Append(uint16(w))
		case *array.Int32Builder:
			bb.Append(int32(w))
		case *array.Uint32Builder:
			bb.Append(uint32(w))
		case *array.Int64Builder:
			bb.Append(int64(w))
		case *array.Uint64Builder:
			bb.Append(w)
		case *array.Float32Builder:
			bb.Append(float32(wordFloat(w)))
		case *array.Float64Builder:
			bb.Append(wordFloat(w))
		case *array.Date32Builder:
			bb.Append(arrow.Date32(int32(w)))
		case *array.Date64Builder:
			bb.Append(arrow.Date64(int64(w)))
		case *array.TimestampBuilder:
			bb.Append(arrow.Timestamp(int64(w)))
		case *array.Time32Builder:
			bb.Append(arrow.Time32(int32(w)))
		case *array.Time64Builder:
			bb.Append(arrow.Time64(int64(w)))
		}
	}
	return b.NewArray()
}

func wordFloat(w uint64) float64 {
	if w == 0x7ff8000000000001 {
		return math.NaN()
	}
	return math.Float64frombits(w)
}

// decimalColumn holds decimal128 keys.
type decimalColumn struct {
	dt    arrow.DataType
	vals  []decimal128.Num
	null  []bool
	nbuf  []bool
	keys  []decimal128.Num
	knull []bool
}

func (c *decimalColumn) load(a arrow.Array) {
	c.vals = typed[decimal128.Num](a)
	c.null = nullsOf(a, c.nbuf)
	if c.null != nil {
		c.nbuf = c.null
	}
}

func (c *decimalColumn) isNull(i int) bool { return c.null != nil && c.null[i] }

func (c *decimalColumn) hash(h []uint64, first bool) {
	for i := range h {
		x := uint64(nullHash)
		if !c.isNull(i) {
			v := c.vals[i]
			x = v.LowBits() ^ bits.RotateLeft64(uint64(v.HighBits()), 31)*0x9E3779B97F4A7C15
		}
		h[i] = combine(h[i], x, first)
	}
}

func (c *decimalColumn) verify(rows []int32, ids []uint32, ok []bool) {
	for k, r := range rows {
		ok[k] = ok[k] && c.equalRow(int(r), ids[r])
	}
}

func (c *decimalColumn) appendRow(i int) {
	var v decimal128.Num
	if !c.isNull(i) {
		v = c.vals[i]
	}
	c.keys = append(c.keys, v)
	c.knull = append(c.knull, c.isNull(i))
}

func (c *decimalColumn) equalRow(i int, id uint32) bool {
	if c.isNull(i) || c.knull[id] {
		return c.isNull(i) == c.knull[id]
	}
	return c.vals[i] == c.keys[id]
}

func (c *decimalColumn) build(mem memory.Allocator, from, to int) arrow.Array {
	b := array.NewDecimal128Builder(mem, c.dt.(*arrow.Decimal128Type))
	defer b.Release()
	b.Reserve(to - from)
	for id := from; id < to; id++ {
		if c.knull[id] {
			b.AppendNull()
		} else {
			b.Append(c.keys[id])
		}
	}
	return b.NewArray()
}

// bytesColumn holds variable-length keys: strings, binaries, and vectors
// (their float32 elements as bytes).
type bytesColumn struct {
	dt    arrow.DataType
	get   func(i int) []byte
	null  []bool
	nbuf  []bool
	data  []byte  // per id: concatenated keys
	offs  []int64 // per id: start offsets, plus the end
	knull []bool
}

func (c *bytesColumn) load(a arrow.Array) {
	c.get = bytesOf(a)
	c.null = nullsOf(a, c.nbuf)
	if c.null != nil {
		c.nbuf = c.null
	}
	if c.offs == nil {
		c.offs = []int64{0}
	}
}

// bytesOf returns a reader of value i's bytes.
func bytesOf(a arrow.Array) func(i int) []byte {
	switch v := a.(type) {
	case *array.String:
		offs := v.ValueOffsets()
		data := v.ValueBytes()
		base := int32(0)
		if len(offs) > 0 {
			base = offs[0]
		}
		return func(i int) []byte { return data[offs[i]-base : offs[i+1]-base] }
	case *array.Binary:
		return v.Value
	case *array.List:
		f := typed[float32](v.ListValues())
		return func(i int) []byte {
			s, e := v.ValueOffsets(i)
			return floatBytes(f[s:e])
		}
	case *array.FixedSizeList:
		f := typed[float32](v.ListValues())
		return func(i int) []byte {
			s, e := v.ValueOffsets(i)
			return floatBytes(f[s:e])
		}
	}
	return func(int) []byte { return nil }
}

func floatBytes(f []float32) []byte {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(f))), 4*len(f))
}

func (c *bytesColumn) isNull(i int) bool { return c.null != nil && c.null[i] }

func (c *bytesColumn) hash(h []uint64, first bool) {
	for i := range h {
		x := uint64(nullHash)
		if !c.isNull(i) {
			x = hashBytes(c.get(i))
		}
		h[i] = combine(h[i], x, first)
	}
}

func (c *bytesColumn) key(id uint32) []byte { return c.data[c.offs[id]:c.offs[id+1]] }

func (c *bytesColumn) verify(rows []int32, ids []uint32, ok []bool) {
	for k, r := range rows {
		ok[k] = ok[k] && c.equalRow(int(r), ids[r])
	}
}

func (c *bytesColumn) appendRow(i int) {
	if !c.isNull(i) {
		c.data = append(c.data, c.get(i)...)
	}
	c.offs = append(c.offs, int64(len(c.data)))
	c.knull = append(c.knull, c.isNull(i))
}

func (c *bytesColumn) equalRow(i int, id uint32) bool {
	if c.isNull(i) || c.knull[id] {
		return c.isNull(i) == c.knull[id]
	}
	return string(c.get(i)) == string(c.key(id))
}

func (c *bytesColumn) build(mem memory.Allocator, from, to int) arrow.Array {
	b := array.NewBuilder(mem, c.dt)
	defer b.Release()
	b.Reserve(to - from)
	for id := from; id < to; id++ {
		if c.knull[id] {
			b.AppendNull()
			continue
		}
		k := c.key(uint32(id))
		switch bb := b.(type) {
		case *array.StringBuilder:
			bb.BinaryBuilder.Append(k)
		case *array.BinaryBuilder:
			bb.Append(k)
		case *array.ListBuilder:
			bb.Append(true)
			bb.ValueBuilder().(*array.Float32Builder).AppendValues(bytesFloats(k), nil)
		case *array.FixedSizeListBuilder:
			bb.Append(true)
			bb.ValueBuilder().(*array.Float32Builder).AppendValues(bytesFloats(k), nil)
		}
	}
	return b.NewArray()
}

func bytesFloats(b []byte) []float32 {
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// hashBytes is a simple multiply-rotate hash over 8-byte words; the
// table's finaliser does the avalanche.
func hashBytes(b []byte) uint64 {
	h := uint64(len(b)) * 0x9E3779B97F4A7C15
	for len(b) >= 8 {
		h = bits.RotateLeft64(h^binary.LittleEndian.Uint64(b)*0xff51afd7ed558ccd, 27) * 0x9E3779B97F4A7C15
		b = b[8:]
	}
	if len(b) > 0 {
		var w uint64
		for i, c := range b {
			w |= uint64(c) << (8 * i)
		}
		h = bits.RotateLeft64(h^w*0xff51afd7ed558ccd, 27) * 0x9E3779B97F4A7C15
	}
	return h
}

// nullColumn is a key column of Arrow type null: every value is NULL.
type nullColumn struct{ n int }

func (c *nullColumn) load(arrow.Array) {}
func (c *nullColumn) hash(h []uint64, first bool) {
	for i := range h {
		h[i] = combine(h[i], nullHash, first)
	}
}
func (c *nullColumn) verify([]int32, []uint32, []bool) {}
func (c *nullColumn) appendRow(int)                    { c.n++ }
func (c *nullColumn) equalRow(int, uint32) bool        { return true }
func (c *nullColumn) build(mem memory.Allocator, from, to int) arrow.Array {
	return array.NewNull(to - from)
}
