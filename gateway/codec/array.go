package codec

import (
	"encoding/binary"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/lancegate/lancegate/executor/pgtype"
)

// Arrays travel as Arrow lists of their elements (pgtype.Type.Arrow). One
// dimension only: lancegate builds no multi-dimensional arrays.
//
// Text: {1,2,NULL}; an element is double-quoted when it is empty, equals
// NULL in any case, or holds one of {}",\ or white space, with " and \
// backslash-escaped inside the quotes. int2vector and oidvector print their
// elements separated by spaces, without braces.
//
// Binary:
//
//	int32 ndim (0 for an empty array, else 1)
//	int32 has-nulls (0 or 1)
//	int32 element type OID
//	int32 length, int32 lower bound (1; 0 for int2vector and oidvector)   -- only when ndim = 1
//	per element: int32 length (-1 = NULL) and the element's binary form

// arrayEncoder writes list values as PostgreSQL arrays.
type arrayEncoder struct {
	list     *array.List
	valid    validity
	elem     Encoder
	elemOID  uint32
	binary   bool
	vector   bool // int2vector or oidvector: lower bound 0, text without braces
	elemNull validity
}

func newArrayEncoder(arr arrow.Array, t pgtype.Type, format int16, s *Settings) (Encoder, error) {
	list, ok := arr.(*array.List)
	if !ok {
		return nil, nil
	}
	info := t.Info()
	elem, err := NewEncoder(list.ListValues(), pgtype.Type{OID: info.Elem, Mod: t.Mod}, format, s)
	if err != nil {
		return nil, err
	}
	return &arrayEncoder{
		list: list, valid: validityOf(arr), elem: elem, elemOID: info.Elem,
		binary: format == FormatBinary, vector: t.OID == pgtype.OIDInt2Vector || t.OID == pgtype.OIDOIDVector,
		elemNull: validityOf(list.ListValues()),
	}, nil
}

// Append implements Encoder.
func (e *arrayEncoder) Append(dst []byte, row int) []byte {
	if e.valid.null(row) {
		return appendNull(dst)
	}
	start, end := e.list.ValueOffsets(row)
	dst, mark := beginField(dst)
	if e.binary {
		dst = e.appendBinary(dst, int(start), int(end))
	} else {
		dst = e.appendText(dst, int(start), int(end))
	}
	return endField(dst, mark)
}

func (e *arrayEncoder) appendBinary(dst []byte, start, end int) []byte {
	n := end - start
	ndim, nulls := uint32(0), uint32(0)
	if n > 0 {
		ndim = 1
	}
	for i := start; i < end; i++ {
		if e.elemNull.null(i) {
			nulls = 1
			break
		}
	}
	dst = binary.BigEndian.AppendUint32(dst, ndim)
	dst = binary.BigEndian.AppendUint32(dst, nulls)
	dst = binary.BigEndian.AppendUint32(dst, e.elemOID)
	if n == 0 {
		return dst
	}
	lower := uint32(1)
	if e.vector {
		lower = 0
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(n))
	dst = binary.BigEndian.AppendUint32(dst, lower)
	for i := start; i < end; i++ {
		dst = e.elem.Append(dst, i)
	}
	return dst
}

func (e *arrayEncoder) appendText(dst []byte, start, end int) []byte {
	if !e.vector {
		dst = append(dst, '{')
	}
	for i := start; i < end; i++ {
		if i > start {
			if e.vector {
				dst = append(dst, ' ')
			} else {
				dst = append(dst, ',')
			}
		}
		if e.elemNull.null(i) {
			dst = append(dst, "NULL"...)
			continue
		}
		// The element encoder writes length + text; move the text down
		// over the length, quoting it when needed.
		at := len(dst)
		dst = e.elem.Append(dst, i)
		text := dst[at+4:]
		if !pgtype.NeedsArrayQuotes(text) {
			dst = append(dst[:at], text...)
			continue
		}
		quoted := pgtype.AppendArrayElement(make([]byte, 0, len(text)+2), text)
		dst = append(dst[:at], quoted...)
	}
	if !e.vector {
		dst = append(dst, '}')
	}
	return dst
}
