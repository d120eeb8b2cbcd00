package slt

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// renderArray renders a binary-format array field (array_send's layout:
// ndim, has-nulls flag, element OID, per dimension length and lower bound,
// then per element a length, -1 for NULL, and the element's binary form)
// as array_out's text: {1,NULL,"a b"}, or "1 2" for int2vector and
// oidvector. ok is false for fields of other types. One dimension only.
func renderArray(fd pgconn.FieldDescription, b []byte) (s string, ok bool, err error) {
	if !isArrayOID(fd.DataTypeOID) {
		return "", false, nil
	}
	if len(b) < 12 {
		return "", true, fmt.Errorf("array of %d bytes", len(b))
	}
	ndim := binary.BigEndian.Uint32(b)
	elem := binary.BigEndian.Uint32(b[8:])
	b = b[12:]
	vec := fd.DataTypeOID == 22 || fd.DataTypeOID == 30
	open, sep, closing := "{", ",", "}"
	if vec {
		open, sep, closing = "", " ", ""
	}
	if ndim == 0 {
		return open + closing, true, nil
	}
	if ndim != 1 || len(b) < 8 {
		return "", true, fmt.Errorf("array of %d dimensions", ndim)
	}
	n := int(binary.BigEndian.Uint32(b))
	b = b[8:]
	parts := make([]string, n)
	for i := range parts {
		if len(b) < 4 {
			return "", true, fmt.Errorf("array truncated at element %d", i+1)
		}
		l := int32(binary.BigEndian.Uint32(b))
		b = b[4:]
		if l < 0 {
			parts[i] = "NULL"
			continue
		}
		if int(l) > len(b) {
			return "", true, fmt.Errorf("array element %d of %d bytes in %d", i+1, l, len(b))
		}
		v, err := render(pgconn.FieldDescription{DataTypeOID: elem, Format: pgx.BinaryFormatCode}, b[:l])
		if err != nil {
			return "", true, err
		}
		b = b[l:]
		parts[i] = quoteElement(v)
	}
	return open + strings.Join(parts, sep) + closing, true, nil
}

// isArrayOID reports whether oid is one of PostgreSQL's array types the
// tests read (the built-in _type OIDs and int2vector, oidvector).
func isArrayOID(oid uint32) bool {
	switch oid {
	case 22, 30, 1000, 1001, 1002, 1003, 1005, 1007, 1009, 1014, 1015, 1016, 1021, 1022, 1028, 1034,
		1115, 1182, 1183, 1185, 1231, 2951, 199, 3807:
		return true
	}
	return false
}

// quoteElement quotes an element's text as array_out does.
func quoteElement(s string) string {
	need := s == "" || strings.EqualFold(s, "NULL") || strings.ContainsAny(s, "{}\",\\ \t\n\r\v\f")
	if !need {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
