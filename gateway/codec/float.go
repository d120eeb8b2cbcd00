package codec

import (
	"encoding/binary"
	"math"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/pgtype"
)

// float4 and float8: binary is IEEE-754 big-endian, text follows
// extra_float_digits (pgtype.AppendFloat8). float32 arrays may be sent as
// float8.

type float4Encoder struct {
	validity
	vals   []float32
	binary bool
	digits int
}

type float8Encoder struct {
	validity
	vals   []float64
	binary bool
	digits int
}

// float4As8Encoder sends float32 values as float8.
type float4As8Encoder struct {
	validity
	vals   []float32
	binary bool
	digits int
}

var (
	_ Encoder = (*float4Encoder)(nil)
	_ Encoder = (*float8Encoder)(nil)
	_ Encoder = (*float4As8Encoder)(nil)
)

func newFloatEncoder(arr arrow.Array, t pgtype.Type, format int16, o *pgtype.TextOptions) Encoder {
	bin := format == FormatBinary
	switch a := arr.(type) {
	case *array.Float32:
		if t.OID == pgtype.OIDFloat8 {
			return &float4As8Encoder{validityOf(arr), a.Float32Values(), bin, o.ExtraFloatDigits}
		}
		return &float4Encoder{validityOf(arr), a.Float32Values(), bin, o.ExtraFloatDigits}
	case *array.Float64:
		if t.OID == pgtype.OIDFloat8 {
			return &float8Encoder{validityOf(arr), a.Float64Values(), bin, o.ExtraFloatDigits}
		}
	}
	return nil
}

// Append implements Encoder.
func (e *float4Encoder) Append(dst []byte, row int) []byte {
	if e.null(row) {
		return appendNull(dst)
	}
	v := e.vals[row]
	if e.binary {
		return binary.BigEndian.AppendUint32(append(dst, 0, 0, 0, 4), math.Float32bits(v))
	}
	dst, m := beginField(dst)
	return endField(pgtype.AppendFloat4(dst, v, e.digits), m)
}

// Append implements Encoder.
func (e *float8Encoder) Append(dst []byte, row int) []byte {
	if e.null(row) {
		return appendNull(dst)
	}
	v := e.vals[row]
	if e.binary {
		return binary.BigEndian.AppendUint64(append(dst, 0, 0, 0, 8), math.Float64bits(v))
	}
	dst, m := beginField(dst)
	return endField(pgtype.AppendFloat8(dst, v, e.digits), m)
}

// Append implements Encoder.
func (e *float4As8Encoder) Append(dst []byte, row int) []byte {
	if e.null(row) {
		return appendNull(dst)
	}
	v := float64(e.vals[row])
	if e.binary {
		return binary.BigEndian.AppendUint64(append(dst, 0, 0, 0, 8), math.Float64bits(v))
	}
	dst, m := beginField(dst)
	return endField(pgtype.AppendFloat8(dst, v, e.digits), m)
}

// decodeFloat reads float4 and float8 parameters: exactly 4 or 8 bytes.
func decodeFloat(t pgtype.Type, data []byte) (scalar.Scalar, error) {
	if len(data) != int(t.Len()) {
		return nil, badBinary()
	}
	if t.OID == pgtype.OIDFloat4 {
		return scalar.NewFloat32Scalar(math.Float32frombits(binary.BigEndian.Uint32(data))), nil
	}
	return scalar.NewFloat64Scalar(math.Float64frombits(binary.BigEndian.Uint64(data))), nil
}
