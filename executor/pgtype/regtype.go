package pgtype

import (
	"strings"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// sqlNames are the SQL-standard spellings regtypein accepts besides the
// pg_type names.
var sqlNames = map[string]uint32{
	"integer": OIDInt4, "int": OIDInt4, "smallint": OIDInt2, "bigint": OIDInt8,
	"real": OIDFloat4, "double precision": OIDFloat8, "float": OIDFloat8,
	"boolean": OIDBool, "decimal": OIDNumeric,
	"character varying": OIDVarchar, "character": OIDBpchar, "char": OIDBpchar, `"char"`: OIDChar,
	"timestamp without time zone": OIDTimestamp, "timestamp with time zone": OIDTimestampTZ,
	"time without time zone": OIDTime,
}

// RegtypeIn resolves a type name as regtypein does: pg_type names (int4,
// _int4, vector), SQL spellings (integer, character varying, double
// precision), a trailing [] for the array type, an optional pg_catalog.
// or public. qualifier and a numeric OID. An unknown name is 42704, which
// clients such as psycopg 3 rely on to learn that a type is absent.
func RegtypeIn(s string) (uint32, error) {
	name := strings.TrimSpace(s)
	if i := strings.IndexByte(name, '('); i > 0 && strings.HasSuffix(name, ")") {
		name = strings.TrimSpace(name[:i]) // character varying(10) → its type
	}
	array := strings.HasSuffix(name, "[]")
	name = strings.TrimSpace(strings.TrimSuffix(name, "[]"))
	parts := SplitQualifiedName(name)
	switch len(parts) {
	case 1:
	case 2:
		if parts[0] != "pg_catalog" && parts[0] != "public" {
			return 0, sqlstate.New(sqlstate.UndefinedObject, "type \"%s\" does not exist", s)
		}
	default:
		return 0, sqlstate.New(sqlstate.UndefinedObject, "type \"%s\" does not exist", s)
	}
	name = parts[len(parts)-1]
	oid, ok := sqlNames[name]
	if !ok {
		for _, i := range infos {
			if i.Name == name {
				oid, ok = i.OID, true
				break
			}
		}
	}
	if ok && array {
		oid = infos[oid].Array
		ok = oid != 0
	}
	if !ok {
		return 0, sqlstate.New(sqlstate.UndefinedObject, "type \"%s\" does not exist", s)
	}
	return oid, nil
}

// regprocs are the functions regprocin resolves by name: the array I/O
// functions clients compare pg_type.typinput with (pgjdbc's
// typinput='pg_catalog.array_in'::regproc).
var regprocs = map[string]uint32{"array_in": 750, "array_out": 751}

// RegprocIn resolves a function name as regprocin does; an unknown name
// is 42883.
func RegprocIn(s string) (uint32, error) {
	name := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), "pg_catalog.")
	if oid, ok := regprocs[name]; ok {
		return oid, nil
	}
	return 0, sqlstate.New(sqlstate.UndefinedFunction, "function \"%s\" does not exist", s)
}

// SplitQualifiedName splits a possibly quoted, dot-qualified name, folding
// unquoted parts to lower case.
func SplitQualifiedName(s string) []string {
	var parts []string
	var cur []byte
	quoted := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' && quoted && i+1 < len(s) && s[i+1] == '"':
			cur = append(cur, '"')
			i++
		case c == '"':
			quoted = !quoted
		case c == '.' && !quoted:
			parts = append(parts, string(cur))
			cur = nil
		case !quoted && c >= 'A' && c <= 'Z':
			cur = append(cur, c+'a'-'A')
		default:
			cur = append(cur, c)
		}
	}
	return append(parts, string(cur))
}
