package codec

import (
	"encoding/binary"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// Encoder writes the DataRow fields of one result column.
type Encoder interface {
	// Append appends the field of row (0 ≤ row < the array's Len,
	// relative to its offset): an int32 big-endian length and the
	// value's bytes in the encoder's format, or length -1 for NULL. It
	// returns the extended buffer and allocates only when dst grows.
	Append(dst []byte, row int) []byte
}

// NewEncoder returns the Encoder of arr's values as PostgreSQL type t in
// the given format (FormatText or FormatBinary). arr is normally of
// t.Arrow(); narrower integer and float arrays, other timestamp units,
// large strings and binaries, dictionaries and an all-null array of type
// null are accepted too. s (nil means DefaultSettings) is read once:
// later changes to it do not affect the encoder. The encoder reads arr
// without retaining it; the caller keeps arr alive while encoding.
//
// Errors: 22023 for an unknown format code, 0A000 for a type without a
// wire form here, XX000 when arr cannot hold values of t (a planner or
// executor bug).
func NewEncoder(arr arrow.Array, t pgtype.Type, format int16, s *Settings) (Encoder, error) {
	if format != FormatText && format != FormatBinary {
		return nil, badFormat(format)
	}
	if s == nil {
		s = DefaultSettings()
	}
	if t.OID == pgtype.OIDVoid {
		return voidEncoder{}, nil
	}
	if _, ok := arr.(*array.Null); ok {
		return nullEncoder{}, nil
	}
	if _, err := t.Arrow(); err != nil {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "type %s cannot be sent to clients yet", t)
	}
	switch a := arr.(type) {
	case *array.Dictionary:
		inner, err := NewEncoder(a.Dictionary(), t, format, s)
		if err != nil {
			return nil, err
		}
		return &dictEncoder{validity: validityOf(arr), dict: a, inner: inner}, nil
	}
	if info := t.Info(); info.Category == 'A' && info.Elem != 0 && t.OID != pgtype.OIDVectorArray {
		e, err := newArrayEncoder(arr, t, format, s)
		if e == nil && err == nil {
			err = sqlstate.New(sqlstate.InternalError, "cannot encode Arrow %s as %s", arr.DataType(), t)
		}
		return e, err
	}
	var e Encoder
	switch t.OID {
	case pgtype.OIDRegtype:
		if format == FormatText {
			e = newRegtypeEncoder(arr)
		} else {
			e = newIntEncoder(arr, t, format)
		}
	case pgtype.OIDBool:
		e = newBoolEncoder(arr, format)
	case pgtype.OIDInt2, pgtype.OIDInt4, pgtype.OIDInt8,
		pgtype.OIDOID, pgtype.OIDRegclass, pgtype.OIDRegproc, pgtype.OIDRegnamespace, pgtype.OIDRegrole, pgtype.OIDXID:
		e = newIntEncoder(arr, t, format)
	case pgtype.OIDFloat4, pgtype.OIDFloat8:
		e = newFloatEncoder(arr, t, format, &s.Text)
	case pgtype.OIDNumeric:
		e = newNumericEncoder(arr, t, format)
	case pgtype.OIDText, pgtype.OIDVarchar, pgtype.OIDBpchar, pgtype.OIDName,
		pgtype.OIDUnknown, pgtype.OIDJSON, pgtype.OIDPGNodeTree, pgtype.OIDACLItem:
		e = newBytesEncoder(arr)
	case pgtype.OIDChar:
		e = newCharEncoder(arr, format)
	case pgtype.OIDBytea:
		e = newByteaEncoder(arr, format, &s.Text)
	case pgtype.OIDDate:
		e = newDateEncoder(arr, format)
	case pgtype.OIDTimestamp, pgtype.OIDTimestampTZ:
		e = newTimestampEncoder(arr, t, format, &s.Text)
	case pgtype.OIDVector:
		e = newVectorEncoder(arr, format)
	}
	if e == nil {
		return nil, sqlstate.New(sqlstate.InternalError, "cannot encode Arrow %s as %s", arr.DataType(), t)
	}
	return e, nil
}

func badFormat(format int16) error {
	return sqlstate.New(sqlstate.InvalidParameterValue, "unsupported format code: %d", format)
}

// validity reads an array's null bitmap without an interface call.
type validity struct {
	bits []byte // nil when the array has no nulls
	off  int
}

func validityOf(arr arrow.Array) validity {
	if arr.NullN() == 0 {
		return validity{}
	}
	return validity{bits: arr.NullBitmapBytes(), off: arr.Data().Offset()}
}

func (v validity) null(row int) bool {
	if v.bits == nil {
		return false
	}
	i := v.off + row
	return v.bits[i>>3]&(1<<(i&7)) == 0
}

// appendNull appends the length -1 of a NULL field.
func appendNull(dst []byte) []byte { return append(dst, 0xff, 0xff, 0xff, 0xff) }

// appendLen appends a field length.
func appendLen(dst []byte, n int) []byte { return binary.BigEndian.AppendUint32(dst, uint32(n)) }

// beginField reserves a field's length, to be set by endField once the
// value is written.
func beginField(dst []byte) ([]byte, int) { return append(dst, 0, 0, 0, 0), len(dst) }

func endField(dst []byte, mark int) []byte {
	binary.BigEndian.PutUint32(dst[mark:], uint32(len(dst)-mark-4))
	return dst
}

// nullEncoder writes NULL for every row (an Arrow null array).
type nullEncoder struct{}

var _ Encoder = nullEncoder{}

// Append implements Encoder.
func (nullEncoder) Append(dst []byte, _ int) []byte { return appendNull(dst) }

// voidEncoder writes the empty value void functions return (pg_sleep),
// which is not NULL, whatever the array holds.
type voidEncoder struct{}

var _ Encoder = voidEncoder{}

// Append implements Encoder.
func (voidEncoder) Append(dst []byte, _ int) []byte { return append(dst, 0, 0, 0, 0) }

// dictEncoder encodes a dictionary array through the encoder of its
// dictionary: one more interface call per value.
type dictEncoder struct {
	validity
	dict  *array.Dictionary
	inner Encoder
}

var _ Encoder = (*dictEncoder)(nil)

// Append implements Encoder.
func (e *dictEncoder) Append(dst []byte, row int) []byte {
	if e.null(row) {
		return appendNull(dst)
	}
	return e.inner.Append(dst, e.dict.GetValueIndex(row))
}
