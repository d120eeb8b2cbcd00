package copyfmt

import (
	"bytes"
	"encoding/binary"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/gateway/codec"
)

// A sink appends the fields of one column to its Arrow builder. The bytes
// passed in are valid only during the call; sinks copy what they keep.
// Fast paths accept only what is plainly valid and hand everything else to
// general, which parses with pgtype.ParseText (text) or codec.DecodeParam
// (binary): either the value or the canonical error comes out of there.
type sink interface {
	appendText(v []byte) error
	appendBinary(v []byte) error
	appendNull()
	builder() array.Builder
}

// newSink returns the sink of a column of type t, appending to a new
// builder of t.Arrow(). tz is the session time zone for text timestamptz.
func newSink(t pgtype.Type, mem memory.Allocator, tz *time.Location) (sink, error) {
	dt, err := t.Arrow()
	if err != nil {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "COPY of columns of type %s is not supported", t)
	}
	g := general{t: t, b: array.NewBuilder(mem, dt), tz: tz}
	switch b := g.b.(type) {
	case *array.Int16Builder:
		return &int16Sink{g, b}, nil
	case *array.Int32Builder:
		if t.OID == pgtype.OIDInt4 {
			return &int32Sink{g, b}, nil
		}
	case *array.Int64Builder:
		return &int64Sink{g, b}, nil
	case *array.Float32Builder:
		return &float32Sink{g, b}, nil
	case *array.Float64Builder:
		return &float64Sink{g, b}, nil
	case *array.BooleanBuilder:
		return &boolSink{g, b}, nil
	case *array.StringBuilder:
		if t.OID == pgtype.OIDText || t.OID == pgtype.OIDVarchar && t.Mod < 0 {
			return &stringSink{g, b}, nil
		}
	case *array.FixedSizeListBuilder:
		if vb, ok := b.ValueBuilder().(*array.Float32Builder); ok && t.OID == pgtype.OIDVector {
			return &vectorSink{general: g, vals: vb, appendValid: func() { b.Append(true) }, dim: t.VectorDim()}, nil
		}
	case *array.ListBuilder:
		if vb, ok := b.ValueBuilder().(*array.Float32Builder); ok && t.OID == pgtype.OIDVector {
			return &vectorSink{general: g, vals: vb, appendValid: func() { b.Append(true) }, dim: -1}, nil
		}
	}
	return &g, nil
}

// general is the sink of any type: the parsers of pgtype and codec, then
// the scalar into the builder.
type general struct {
	t  pgtype.Type
	b  array.Builder
	tz *time.Location
}

func (g *general) builder() array.Builder { return g.b }
func (g *general) appendNull()            { g.b.AppendNull() }

func (g *general) appendText(v []byte) error {
	sc, err := pgtype.ParseText(g.t, string(v), g.tz)
	if err != nil {
		return err
	}
	return appendScalar(g.b, sc)
}

func (g *general) appendBinary(v []byte) error {
	sc, err := codec.DecodeParam(g.t, codec.FormatBinary, v, nil)
	if err != nil {
		if sqlstate.CodeOf(err) == sqlstate.InvalidBinaryRepresentation {
			// codec's message names a bind parameter; COPY's does not.
			return sqlstate.Wrap(err, sqlstate.InvalidBinaryRepresentation, "incorrect binary data format")
		}
		return err
	}
	return appendScalar(g.b, sc)
}

// appendScalar appends a scalar made by ParseText or DecodeParam for the
// builder's type.
func appendScalar(b array.Builder, sc scalar.Scalar) error {
	if !sc.IsValid() {
		b.AppendNull()
		return nil
	}
	ok := false
	switch v := sc.(type) {
	case *scalar.Boolean:
		var bb *array.BooleanBuilder
		if bb, ok = b.(*array.BooleanBuilder); ok {
			bb.Append(v.Value)
		}
	case *scalar.Int16:
		var bb *array.Int16Builder
		if bb, ok = b.(*array.Int16Builder); ok {
			bb.Append(v.Value)
		}
	case *scalar.Int32:
		var bb *array.Int32Builder
		if bb, ok = b.(*array.Int32Builder); ok {
			bb.Append(v.Value)
		}
	case *scalar.Int64:
		var bb *array.Int64Builder
		if bb, ok = b.(*array.Int64Builder); ok {
			bb.Append(v.Value)
		}
	case *scalar.Uint32:
		var bb *array.Uint32Builder
		if bb, ok = b.(*array.Uint32Builder); ok {
			bb.Append(v.Value)
		}
	case *scalar.Float32:
		var bb *array.Float32Builder
		if bb, ok = b.(*array.Float32Builder); ok {
			bb.Append(v.Value)
		}
	case *scalar.Float64:
		var bb *array.Float64Builder
		if bb, ok = b.(*array.Float64Builder); ok {
			bb.Append(v.Value)
		}
	case *scalar.String:
		var bb *array.StringBuilder
		if bb, ok = b.(*array.StringBuilder); ok {
			bb.BinaryBuilder.Append(v.Value.Bytes())
		}
	case *scalar.Binary:
		var bb *array.BinaryBuilder
		if bb, ok = b.(*array.BinaryBuilder); ok {
			bb.Append(v.Value.Bytes())
		}
	case *scalar.Date32:
		var bb *array.Date32Builder
		if bb, ok = b.(*array.Date32Builder); ok {
			bb.Append(v.Value)
		}
	case *scalar.Timestamp:
		var bb *array.TimestampBuilder
		if bb, ok = b.(*array.TimestampBuilder); ok {
			bb.Append(v.Value)
		}
	case *scalar.Decimal128:
		var bb *array.Decimal128Builder
		if bb, ok = b.(*array.Decimal128Builder); ok {
			bb.Append(v.Value)
		}
	case *scalar.FixedSizeList:
		var bb *array.FixedSizeListBuilder
		if bb, ok = b.(*array.FixedSizeListBuilder); ok {
			ok = appendFloats(bb.ValueBuilder(), v.Value)
			if ok {
				bb.Append(true)
			}
		}
	case *scalar.List:
		var bb *array.ListBuilder
		if bb, ok = b.(*array.ListBuilder); ok {
			bb.Append(true)
			if !appendFloats(bb.ValueBuilder(), v.Value) {
				// An array column: append its elements one by one.
				for i := 0; i < v.Value.Len(); i++ {
					el, err := scalar.GetScalar(v.Value, i)
					if err != nil {
						return err
					}
					err = appendScalar(bb.ValueBuilder(), el)
					if r, isRel := el.(scalar.Releasable); isRel {
						r.Release()
					}
					if err != nil {
						return err
					}
				}
			}
		}
	}
	if !ok {
		return sqlstate.New(sqlstate.InternalError, "COPY cannot store a %s value in a column of Arrow type %s", sc.DataType(), b.Type())
	}
	return nil
}

// appendFloats appends the float32 values of arr to b.
func appendFloats(b array.Builder, arr arrow.Array) bool {
	fb, ok := b.(*array.Float32Builder)
	fa, ok2 := arr.(*array.Float32)
	if !ok || !ok2 || fa.NullN() > 0 {
		return false
	}
	fb.AppendValues(fa.Float32Values(), nil)
	return true
}

// view returns v as a string without copying; the string must not outlive
// the call it is passed to.
func view(v []byte) string { return unsafe.String(unsafe.SliceData(v), len(v)) }

type int16Sink struct {
	general
	b *array.Int16Builder
}

func (s *int16Sink) appendText(v []byte) error {
	if n, err := strconv.ParseInt(view(v), 10, 16); err == nil {
		s.b.Append(int16(n))
		return nil
	}
	return s.general.appendText(v)
}

func (s *int16Sink) appendBinary(v []byte) error {
	if len(v) == 2 {
		s.b.Append(int16(binary.BigEndian.Uint16(v)))
		return nil
	}
	return s.general.appendBinary(v)
}

type int32Sink struct {
	general
	b *array.Int32Builder
}

func (s *int32Sink) appendText(v []byte) error {
	if n, err := strconv.ParseInt(view(v), 10, 32); err == nil {
		s.b.Append(int32(n))
		return nil
	}
	return s.general.appendText(v)
}

func (s *int32Sink) appendBinary(v []byte) error {
	if len(v) == 4 {
		s.b.Append(int32(binary.BigEndian.Uint32(v)))
		return nil
	}
	return s.general.appendBinary(v)
}

type int64Sink struct {
	general
	b *array.Int64Builder
}

func (s *int64Sink) appendText(v []byte) error {
	if n, err := strconv.ParseInt(view(v), 10, 64); err == nil {
		s.b.Append(n)
		return nil
	}
	return s.general.appendText(v)
}

func (s *int64Sink) appendBinary(v []byte) error {
	if len(v) == 8 {
		s.b.Append(int64(binary.BigEndian.Uint64(v)))
		return nil
	}
	return s.general.appendBinary(v)
}

// plainFloat parses what strconv and PostgreSQL's float input agree on:
// finite, non-zero values (zero may be an underflow, which PostgreSQL
// refuses and strconv rounds away).
func plainFloat(v []byte, bits int) (float64, bool) {
	if bits == 32 {
		if f, ok := fastFloat32(v); ok {
			return float64(f), true
		}
	} else if f, ok := fastFloat64(v); ok {
		return f, true
	}
	f, err := strconv.ParseFloat(view(v), bits)
	if err != nil || f == 0 || math.IsInf(f, 0) || f != f {
		return 0, false
	}
	return f, true
}

type float32Sink struct {
	general
	b *array.Float32Builder
}

func (s *float32Sink) appendText(v []byte) error {
	if f, ok := plainFloat(v, 32); ok {
		s.b.Append(float32(f))
		return nil
	}
	return s.general.appendText(v)
}

func (s *float32Sink) appendBinary(v []byte) error {
	if len(v) == 4 {
		s.b.Append(math.Float32frombits(binary.BigEndian.Uint32(v)))
		return nil
	}
	return s.general.appendBinary(v)
}

type float64Sink struct {
	general
	b *array.Float64Builder
}

func (s *float64Sink) appendText(v []byte) error {
	if f, ok := plainFloat(v, 64); ok {
		s.b.Append(f)
		return nil
	}
	return s.general.appendText(v)
}

func (s *float64Sink) appendBinary(v []byte) error {
	if len(v) == 8 {
		s.b.Append(math.Float64frombits(binary.BigEndian.Uint64(v)))
		return nil
	}
	return s.general.appendBinary(v)
}

type boolSink struct {
	general
	b *array.BooleanBuilder
}

func (s *boolSink) appendText(v []byte) error {
	if len(v) == 1 && (v[0] == 't' || v[0] == 'f') {
		s.b.Append(v[0] == 't')
		return nil
	}
	return s.general.appendText(v)
}

func (s *boolSink) appendBinary(v []byte) error {
	if len(v) == 1 && v[0] <= 1 {
		s.b.Append(v[0] == 1)
		return nil
	}
	return s.general.appendBinary(v)
}

// stringSink serves text and unbounded varchar, whose text and binary
// forms are the same UTF-8 bytes.
type stringSink struct {
	general
	b *array.StringBuilder
}

func (s *stringSink) appendText(v []byte) error {
	if utf8.Valid(v) && bytes.IndexByte(v, 0) < 0 {
		s.b.BinaryBuilder.Append(v)
		return nil
	}
	return s.general.appendText(v)
}

func (s *stringSink) appendBinary(v []byte) error {
	if utf8.Valid(v) && bytes.IndexByte(v, 0) < 0 {
		s.b.BinaryBuilder.Append(v)
		return nil
	}
	return s.general.appendBinary(v)
}

// vectorSink serves vector(n) (dim n) and vector (dim -1): the elements
// are decoded into a reused buffer and appended in one copy.
type vectorSink struct {
	general
	vals        *array.Float32Builder
	appendValid func()
	dim         int
	buf         []float32
}

// fits reports whether n elements are a valid dimension for the column.
func (s *vectorSink) fits(n int) bool {
	if s.dim >= 0 {
		return n == s.dim
	}
	return n >= 1 && n <= pgtype.VectorMaxDim
}

func (s *vectorSink) commit() {
	s.appendValid()
	s.vals.AppendValues(s.buf, nil)
}

func (s *vectorSink) appendText(v []byte) error {
	if s.parseText(v) {
		s.commit()
		return nil
	}
	return s.general.appendText(v)
}

// parseText parses the plain form [1,2.5,3] (no spaces, finite elements)
// in one pass: each element is scanned where it lies, and anything the
// fast path does not take (spaces, inf, long mantissas) sends the whole
// value to the general parser.
func (s *vectorSink) parseText(v []byte) bool {
	n := len(v)
	if n < 3 || v[0] != '[' || v[n-1] != ']' {
		return false
	}
	s.buf = s.buf[:0]
	for i := 1; ; {
		m, exp, neg, end, ok := scanDecimal(v, i)
		if !ok {
			return false
		}
		f, ok := clinger(m, exp, neg)
		if !ok {
			return false
		}
		f32, ok := to32(f)
		if !ok {
			return false
		}
		s.buf = append(s.buf, f32)
		switch {
		case end == n-1:
			return s.fits(len(s.buf))
		case v[end] != ',':
			return false
		}
		i = end + 1
	}
}

func (s *vectorSink) appendBinary(v []byte) error {
	if s.parseBinary(v) {
		s.commit()
		return nil
	}
	return s.general.appendBinary(v)
}

// parseBinary decodes pgvector's binary form when it is valid.
func (s *vectorSink) parseBinary(v []byte) bool {
	if len(v) < 4 {
		return false
	}
	dim := int(int16(binary.BigEndian.Uint16(v)))
	if binary.BigEndian.Uint16(v[2:]) != 0 || !s.fits(dim) || len(v) != 4+4*dim {
		return false
	}
	s.buf = s.buf[:0]
	for i := 4; i < len(v); i += 4 {
		f := math.Float32frombits(binary.BigEndian.Uint32(v[i:]))
		if f != f || math.IsInf(float64(f), 0) {
			return false
		}
		s.buf = append(s.buf, f)
	}
	return true
}
