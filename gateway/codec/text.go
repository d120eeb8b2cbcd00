package codec

import (
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/pgtype"
)

// text, varchar, bpchar, name, unknown and json: both formats are the
// UTF-8 bytes as they are. "char" is one byte in binary and charout's
// form in text. Binary parameters go through the text input path too, as
// textrecv and varcharrecv apply the same checks (valid UTF-8, the
// varchar(n) length).

// bytesEncoder sends the bytes of a string or binary array as they are,
// in either format.
type bytesEncoder[O int32 | int64] struct {
	validity
	offsets []O // absolute offsets into data
	data    []byte
}

var _ Encoder = (*bytesEncoder[int32])(nil)

func newBytesEncoder(arr arrow.Array) Encoder {
	switch a := arr.(type) {
	case *array.String:
		return &bytesEncoder[int32]{validityOf(arr), a.ValueOffsets(), valueBuffer(arr)}
	case *array.Binary:
		return &bytesEncoder[int32]{validityOf(arr), a.ValueOffsets(), valueBuffer(arr)}
	case *array.LargeString:
		return &bytesEncoder[int64]{validityOf(arr), a.ValueOffsets(), valueBuffer(arr)}
	case *array.LargeBinary:
		return &bytesEncoder[int64]{validityOf(arr), a.ValueOffsets(), valueBuffer(arr)}
	}
	return nil
}

// valueBuffer returns the data buffer of a variable-width array (nil when
// every value is empty).
func valueBuffer(arr arrow.Array) []byte {
	if b := arr.Data().Buffers()[2]; b != nil {
		return b.Bytes()
	}
	return nil
}

// Append implements Encoder.
func (e *bytesEncoder[O]) Append(dst []byte, row int) []byte {
	if e.null(row) {
		return appendNull(dst)
	}
	b := e.data[e.offsets[row]:e.offsets[row+1]]
	return append(appendLen(dst, len(b)), b...)
}

// charEncoder sends "char" values: the first byte of each string.
type charEncoder struct {
	inner  *bytesEncoder[int32]
	binary bool
}

var _ Encoder = (*charEncoder)(nil)

func newCharEncoder(arr arrow.Array, format int16) Encoder {
	a, ok := arr.(*array.String)
	if !ok {
		return nil
	}
	return &charEncoder{&bytesEncoder[int32]{validityOf(arr), a.ValueOffsets(), valueBuffer(arr)}, format == FormatBinary}
}

// Append implements Encoder.
func (e *charEncoder) Append(dst []byte, row int) []byte {
	in := e.inner
	if in.null(row) {
		return appendNull(dst)
	}
	c := byte(0)
	if beg, end := in.offsets[row], in.offsets[row+1]; end > beg {
		c = in.data[beg]
	}
	if e.binary {
		return append(dst, 0, 0, 0, 1, c)
	}
	dst, m := beginField(dst)
	return endField(pgtype.AppendChar(dst, c), m)
}

// decodeChar is charrecv: one byte, 0 being the empty "char".
func decodeChar(data []byte) (scalar.Scalar, error) {
	if len(data) != 1 {
		return nil, badBinary()
	}
	if data[0] == 0 {
		return scalar.NewStringScalar(""), nil
	}
	return scalar.NewStringScalar(string(data)), nil
}
