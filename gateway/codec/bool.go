package codec

import (
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// bool: binary is one byte 0 or 1, text t or f.

type boolEncoder struct {
	validity
	values []byte // the value bitmap
	off    int
	binary bool
}

var _ Encoder = (*boolEncoder)(nil)

func newBoolEncoder(arr arrow.Array, format int16) Encoder {
	a, ok := arr.(*array.Boolean)
	if !ok {
		return nil
	}
	var values []byte
	if b := a.Data().Buffers()[1]; b != nil {
		values = b.Bytes()
	}
	return &boolEncoder{validityOf(arr), values, a.Data().Offset(), format == FormatBinary}
}

// Append implements Encoder.
func (e *boolEncoder) Append(dst []byte, row int) []byte {
	if e.null(row) {
		return appendNull(dst)
	}
	i := e.off + row
	v := e.values[i>>3] >> (i & 7) & 1
	if e.binary {
		return append(dst, 0, 0, 0, 1, v)
	}
	return append(dst, 0, 0, 0, 1, "ft"[v])
}

// decodeBool is boolrecv: any non-zero byte is true.
func decodeBool(data []byte) (scalar.Scalar, error) {
	if len(data) != 1 {
		return nil, badBinary()
	}
	return scalar.NewBooleanScalar(data[0] != 0), nil
}

// badBinary is the error for binary data of the wrong shape; pgwire adds
// the parameter number to the message.
func badBinary() error {
	return sqlstate.New(sqlstate.InvalidBinaryRepresentation, "incorrect binary data format in bind parameter")
}
