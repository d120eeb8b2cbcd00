package codec

import (
	"encoding/binary"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// decodeArray reads the binary form of an array parameter (array_recv;
// the layout is in array.go) into a *scalar.List of the element type:
// what pgx and pgjdbc send for int8[] and text[] parameters, as in
// "id = ANY($1)". One dimension only (0A000 for more); the element type
// OID must be t's element type (42804, as array_recv says "wrong element
// type"); lengths that do not add up are 22P03.
func decodeArray(t pgtype.Type, dt arrow.DataType, data []byte) (scalar.Scalar, error) {
	lt, ok := dt.(*arrow.ListType)
	if !ok {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "binary parameters of type %s are not supported", t)
	}
	if len(data) < 12 {
		return nil, badBinary()
	}
	ndim := int32(binary.BigEndian.Uint32(data))
	flags := binary.BigEndian.Uint32(data[4:])
	elemOID := binary.BigEndian.Uint32(data[8:])
	data = data[12:]
	switch {
	case ndim < 0:
		return nil, sqlstate.New(sqlstate.InvalidBinaryRepresentation, "invalid number of dimensions: %d", ndim)
	case ndim > 1:
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "multidimensional arrays are not supported")
	case flags > 1:
		return nil, sqlstate.New(sqlstate.InvalidBinaryRepresentation, "invalid array flags")
	}
	et := pgtype.ElemOf(t)
	if elemOID != et.OID {
		return nil, sqlstate.New(sqlstate.DatatypeMismatch, "binary data has array element type %d (%s) instead of expected %d (%s)",
			elemOID, pgtype.Type{OID: elemOID, Mod: -1}, et.OID, et)
	}
	if ndim == 0 {
		if len(data) != 0 {
			return nil, badBinary()
		}
		return scalar.NewListScalar(array.MakeArrayOfNull(memory.DefaultAllocator, lt.Elem(), 0)), nil
	}
	if len(data) < 8 {
		return nil, badBinary()
	}
	n := int32(binary.BigEndian.Uint32(data))
	data = data[8:] // the lower bound is not kept: arrays are 1-based
	if n < 0 || int(n) > len(data)/4 {
		return nil, badBinary()
	}
	vals := make([]scalar.Scalar, n)
	for i := range vals {
		if len(data) < 4 {
			return nil, badBinary()
		}
		l := int32(binary.BigEndian.Uint32(data))
		data = data[4:]
		if l == -1 {
			if pgtype.IsVectorArray(t.OID) {
				return nil, sqlstate.New(sqlstate.NullValueNotAllowed, "array must not contain nulls")
			}
			continue
		}
		if l < 0 || int(l) > len(data) {
			return nil, badBinary()
		}
		v, err := decodeBinary(et, lt.Elem(), data[:l:l])
		if err != nil {
			return nil, err
		}
		vals[i] = v
		data = data[l:]
	}
	if len(data) != 0 {
		return nil, badBinary()
	}
	arr, err := pgtype.ArrayFromScalars(memory.DefaultAllocator, lt.Elem(), vals)
	if err != nil {
		return nil, err
	}
	return scalar.NewListScalar(arr), nil
}
