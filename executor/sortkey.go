package executor

import (
	"encoding/binary"
	"math"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/decimal128"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// Sort and TopK compare rows through one of two key forms, built a batch
// at a time:
//
//   - a single key of a fixed-width type becomes an "ordered word": a
//     uint64 whose unsigned order is PostgreSQL's order of the values
//     (signed integers with the sign bit flipped; floats with −0 = 0 and
//     NaN above +Infinity; inverted for DESC), plus a null rank;
//   - anything else becomes a byte string whose bytes.Compare order is the
//     ORDER BY order: per key a null marker, then the value's
//     order-preserving encoding (inverted for DESC).
//
// Either way comparing two rows is a couple of machine comparisons and no
// per-row dispatch on types.

// NullsOrder is NULLS FIRST / NULLS LAST, or PostgreSQL's default: NULLs
// sort as if larger than every value (last ascending, first descending).
type NullsOrder int8

// The NULLS options.
const (
	NullsDefault NullsOrder = iota
	NullsFirst
	NullsLast
)

// SortKey is one ORDER BY key.
type SortKey struct {
	Expr  expr.Expr
	Desc  bool
	Nulls NullsOrder
}

// nullsFirst reports where the key puts NULLs.
func (k SortKey) nullsFirst() bool {
	switch k.Nulls {
	case NullsFirst:
		return true
	case NullsLast:
		return false
	}
	return k.Desc
}

// wordKeyable reports whether arrays of dt have an ordered word form.
func wordKeyable(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.BOOL, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT32, arrow.FLOAT32, arrow.FLOAT64,
		arrow.DATE32, arrow.TIMESTAMP:
		return true
	}
	return false
}

// orderedFloat maps a float to a word in PostgreSQL's float order.
func orderedFloat(f float64) uint64 {
	if f == 0 {
		f = 0
	}
	if f != f {
		return math.MaxUint64 // NaN sorts after +Infinity
	}
	b := math.Float64bits(f)
	if b>>63 != 0 {
		return ^b
	}
	return b | 1<<63
}

// floatOfOrdered inverts orderedFloat (ascending, not NaN).
func floatOfOrdered(w uint64) float64 {
	if w>>63 != 0 {
		return math.Float64frombits(w &^ (1 << 63))
	}
	return math.Float64frombits(^w)
}

// orderedWords writes the ordered word of each row of a to out, and the
// rank of each row (0 or 1; NULLs ranked per nullsFirst) to rank.
func orderedWords(a arrow.Array, desc, nullsFirst bool, out []uint64, rank []uint8) {
	const sign = uint64(1) << 63
	switch a.DataType().ID() {
	case arrow.BOOL:
		bm, off := a.Data().Buffers()[1].Bytes(), a.Data().Offset()
		for i := range out {
			out[i] = 0
			if bitutil.BitIsSet(bm, off+i) {
				out[i] = 1
			}
		}
	case arrow.INT16:
		for i, v := range typedValues[int16](a) {
			out[i] = uint64(int64(v)) ^ sign
		}
	case arrow.INT32, arrow.DATE32:
		for i, v := range typedValues[int32](a) {
			out[i] = uint64(int64(v)) ^ sign
		}
	case arrow.UINT32:
		for i, v := range typedValues[uint32](a) {
			out[i] = uint64(v)
		}
	case arrow.INT64, arrow.TIMESTAMP:
		for i, v := range typedValues[int64](a) {
			out[i] = uint64(v) ^ sign
		}
	case arrow.FLOAT32:
		for i, v := range typedValues[float32](a) {
			out[i] = orderedFloat(float64(v))
		}
	case arrow.FLOAT64:
		for i, v := range typedValues[float64](a) {
			out[i] = orderedFloat(v)
		}
	}
	if desc {
		for i := range out {
			out[i] = ^out[i]
		}
	}
	nonNull, null := uint8(0), uint8(1)
	if nullsFirst {
		nonNull, null = 1, 0
	}
	for i := range rank {
		rank[i] = nonNull
	}
	if a.NullN() > 0 {
		for i := range rank {
			if a.IsNull(i) {
				rank[i] = null
				out[i] = 0
			}
		}
	}
}

// keyEncoder appends the byte-string form of sort keys.
type keyEncoder struct {
	keys  []SortKey
	cols  []arrow.Array
	descs []bool
}

func newKeyEncoder(keys []SortKey, cols []arrow.Array) (*keyEncoder, error) {
	for i, c := range cols {
		switch c.DataType().ID() {
		case arrow.BOOL, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT32, arrow.FLOAT32, arrow.FLOAT64,
			arrow.DATE32, arrow.TIMESTAMP, arrow.DECIMAL128, arrow.STRING, arrow.BINARY, arrow.LIST,
			arrow.FIXED_SIZE_LIST, arrow.NULL:
		default:
			return nil, sqlstate.New(sqlstate.UndefinedFunction, "could not identify an ordering operator for type %s", keys[i].Expr.Type())
		}
	}
	return &keyEncoder{keys: keys, cols: cols}, nil
}

// appendRow appends row i's key to dst.
func (e *keyEncoder) appendRow(dst []byte, i int) []byte {
	for k, c := range e.cols {
		spec := e.keys[k]
		if c.DataType().ID() == arrow.NULL || c.IsNull(i) {
			if spec.nullsFirst() {
				dst = append(dst, 0)
			} else {
				dst = append(dst, 2)
			}
			continue
		}
		dst = append(dst, 1)
		start := len(dst)
		dst = appendValue(dst, c, i)
		if spec.Desc {
			for j := start; j < len(dst); j++ {
				dst[j] = ^dst[j]
			}
		}
	}
	return dst
}

// appendValue appends the order-preserving encoding of value i of c.
func appendValue(dst []byte, c arrow.Array, i int) []byte {
	const sign = uint64(1) << 63
	switch c.DataType().ID() {
	case arrow.BOOL:
		bm, off := c.Data().Buffers()[1].Bytes(), c.Data().Offset()
		if bitutil.BitIsSet(bm, off+i) {
			return append(dst, 1)
		}
		return append(dst, 0)
	case arrow.INT16:
		return binary.BigEndian.AppendUint64(dst, uint64(int64(typedValues[int16](c)[i]))^sign)
	case arrow.INT32, arrow.DATE32:
		return binary.BigEndian.AppendUint64(dst, uint64(int64(typedValues[int32](c)[i]))^sign)
	case arrow.UINT32:
		return binary.BigEndian.AppendUint64(dst, uint64(typedValues[uint32](c)[i]))
	case arrow.INT64, arrow.TIMESTAMP:
		return binary.BigEndian.AppendUint64(dst, uint64(typedValues[int64](c)[i])^sign)
	case arrow.FLOAT32:
		return binary.BigEndian.AppendUint64(dst, orderedFloat(float64(typedValues[float32](c)[i])))
	case arrow.FLOAT64:
		return binary.BigEndian.AppendUint64(dst, orderedFloat(typedValues[float64](c)[i]))
	case arrow.DECIMAL128:
		// Values of one column share a scale, so the integers compare.
		v := typedValues[decimal128.Num](c)[i]
		dst = binary.BigEndian.AppendUint64(dst, uint64(v.HighBits())^sign)
		return binary.BigEndian.AppendUint64(dst, v.LowBits())
	case arrow.STRING, arrow.BINARY:
		var b []byte
		if s, ok := c.(*array.String); ok {
			b = []byte(s.Value(i))
		} else {
			b = c.(*array.Binary).Value(i)
		}
		for _, x := range b {
			if x == 0 {
				dst = append(dst, 0, 0xff)
			} else {
				dst = append(dst, x)
			}
		}
		return append(dst, 0, 0)
	case arrow.LIST, arrow.FIXED_SIZE_LIST:
		var s, e int64
		var child arrow.Array
		if l, ok := c.(*array.List); ok {
			s, e = l.ValueOffsets(i)
			child = l.ListValues()
		} else {
			l := c.(*array.FixedSizeList)
			s, e = l.ValueOffsets(i)
			child = l.ListValues()
		}
		// Element by element (NULL elements after values, as array_cmp
		// orders them), then the shorter array first.
		for j := int(s); j < int(e); j++ {
			if child.IsNull(j) {
				dst = append(dst, 2)
				continue
			}
			dst = append(dst, 1)
			dst = appendValue(dst, child, j)
		}
		return append(dst, 0)
	}
	return dst
}
