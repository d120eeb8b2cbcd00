package codec

import (
	"encoding/binary"
	"strconv"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/pgtype"
)

// int2, int4, int8 and oid (with the reg* types): binary is the value
// big-endian in the type's width, text its decimal digits. The wire width
// is the PostgreSQL type's; an Arrow array may be narrower (int32 values
// sent as int8) but never wider.

type integer interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32
}

type intText[T integer] struct {
	validity
	vals []T
}

type intBinary[T integer] struct {
	validity
	vals  []T
	width int // 2, 4 or 8
}

var (
	_ Encoder = (*intText[int64])(nil)
	_ Encoder = (*intBinary[int64])(nil)
)

func newIntEncoder(arr arrow.Array, t pgtype.Type, format int16) Encoder {
	width := int(t.Len())
	unsigned := width == 4 && t.OID != pgtype.OIDInt4
	switch a := arr.(type) {
	case *array.Int8:
		return intEnc(arr, a.Int8Values(), 1, width, format)
	case *array.Uint8:
		return intEnc(arr, a.Uint8Values(), 1, width, format)
	case *array.Int16:
		return intEnc(arr, a.Int16Values(), 2, width, format)
	case *array.Uint16:
		return intEnc(arr, a.Uint16Values(), 3, width, format)
	case *array.Int32:
		if unsigned { // oid values kept in int32: same bits
			return intEnc(arr, arrow.Uint32Traits.CastFromBytes(arrow.Int32Traits.CastToBytes(a.Int32Values())), 4, width, format)
		}
		return intEnc(arr, a.Int32Values(), 4, width, format)
	case *array.Uint32:
		if unsigned || width == 8 {
			return intEnc(arr, a.Uint32Values(), 4, width, format)
		}
	case *array.Int64:
		return intEnc(arr, a.Int64Values(), 8, width, format)
	}
	return nil
}

// intEnc builds the encoder of vals, whose values need need bytes as a
// signed integer (3 for uint16), for a wire width.
func intEnc[T integer](arr arrow.Array, vals []T, need, width int, format int16) Encoder {
	if need > width {
		return nil
	}
	if format == FormatBinary {
		return &intBinary[T]{validityOf(arr), vals, width}
	}
	return &intText[T]{validityOf(arr), vals}
}

// Append implements Encoder.
func (e *intText[T]) Append(dst []byte, row int) []byte {
	if e.null(row) {
		return appendNull(dst)
	}
	dst, m := beginField(dst)
	dst = strconv.AppendInt(dst, int64(e.vals[row]), 10)
	return endField(dst, m)
}

// Append implements Encoder.
func (e *intBinary[T]) Append(dst []byte, row int) []byte {
	if e.null(row) {
		return appendNull(dst)
	}
	v := int64(e.vals[row])
	switch e.width {
	case 8:
		return binary.BigEndian.AppendUint64(append(dst, 0, 0, 0, 8), uint64(v))
	case 4:
		return binary.BigEndian.AppendUint32(append(dst, 0, 0, 0, 4), uint32(v))
	}
	return binary.BigEndian.AppendUint16(append(dst, 0, 0, 0, 2), uint16(v))
}

// decodeInt reads int2, int4, int8 and oid parameters: exactly the
// type's width.
func decodeInt(t pgtype.Type, data []byte) (scalar.Scalar, error) {
	if len(data) != int(t.Len()) {
		return nil, badBinary()
	}
	switch t.OID {
	case pgtype.OIDInt2:
		return scalar.NewInt16Scalar(int16(binary.BigEndian.Uint16(data))), nil
	case pgtype.OIDInt4:
		return scalar.NewInt32Scalar(int32(binary.BigEndian.Uint32(data))), nil
	case pgtype.OIDInt8:
		return scalar.NewInt64Scalar(int64(binary.BigEndian.Uint64(data))), nil
	}
	return scalar.NewUint32Scalar(binary.BigEndian.Uint32(data)), nil
}

// regtypeEncoder writes regtype values as text the way regtypeout does: the
// type's name as format_type prints it without a modifier (integer,
// vector, text[]), or the number when the OID names no known type.
type regtypeEncoder struct {
	valid validity
	vals  []uint32
}

func newRegtypeEncoder(arr arrow.Array) Encoder {
	a, ok := arr.(*array.Uint32)
	if !ok {
		return nil
	}
	return &regtypeEncoder{valid: validityOf(arr), vals: a.Uint32Values()}
}

// Append implements Encoder.
func (e *regtypeEncoder) Append(dst []byte, row int) []byte {
	if e.valid.null(row) {
		return appendNull(dst)
	}
	oid := e.vals[row]
	if _, ok := pgtype.Lookup(oid); !ok {
		dst, mark := beginField(dst)
		return endField(strconv.AppendUint(dst, uint64(oid), 10), mark)
	}
	name := pgtype.Type{OID: oid, Mod: -1}.String()
	dst = appendLen(dst, len(name))
	return append(dst, name...)
}
