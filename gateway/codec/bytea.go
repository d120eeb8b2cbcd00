package codec

import (
	"bytes"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/pgtype"
)

// bytea: binary is the raw bytes; text is \x and hex digits
// (bytea_output = hex) or the escape form.

type byteaTextEncoder[O int32 | int64] struct {
	validity
	offsets []O
	data    []byte
	hex     bool
}

var _ Encoder = (*byteaTextEncoder[int32])(nil)

func newByteaEncoder(arr arrow.Array, format int16, o *pgtype.TextOptions) Encoder {
	if format == FormatBinary {
		return newBytesEncoder(arr)
	}
	switch a := arr.(type) {
	case *array.Binary:
		return &byteaTextEncoder[int32]{validityOf(arr), a.ValueOffsets(), valueBuffer(arr), o.ByteaHex}
	case *array.LargeBinary:
		return &byteaTextEncoder[int64]{validityOf(arr), a.ValueOffsets(), valueBuffer(arr), o.ByteaHex}
	}
	return nil
}

// Append implements Encoder.
func (e *byteaTextEncoder[O]) Append(dst []byte, row int) []byte {
	if e.null(row) {
		return appendNull(dst)
	}
	b := e.data[e.offsets[row]:e.offsets[row+1]]
	if e.hex {
		return pgtype.AppendByteaHex(appendLen(dst, 2+2*len(b)), b)
	}
	dst, m := beginField(dst)
	return endField(pgtype.AppendByteaEscape(dst, b), m)
}

// decodeBytea is bytearecv: the bytes, copied out of the message buffer.
func decodeBytea(data []byte) scalar.Scalar {
	return scalar.NewBinaryScalar(memory.NewBufferBytes(bytes.Clone(data)), arrow.BinaryTypes.Binary)
}
