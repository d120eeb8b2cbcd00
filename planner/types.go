package planner

import (
	"strings"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// typeNames maps the type names the dialect bridge emits (normalised,
// e.g. int4, _int4, timestamptz) and the SQL spellings users write to
// catalogue OIDs.
var typeNames = map[string]uint32{
	"bool": pgtype.OIDBool, "boolean": pgtype.OIDBool,
	"int2": pgtype.OIDInt2, "smallint": pgtype.OIDInt2,
	"int4": pgtype.OIDInt4, "int": pgtype.OIDInt4, "integer": pgtype.OIDInt4,
	"int8": pgtype.OIDInt8, "bigint": pgtype.OIDInt8,
	"float4": pgtype.OIDFloat4, "real": pgtype.OIDFloat4,
	"float8": pgtype.OIDFloat8, "double precision": pgtype.OIDFloat8, "float": pgtype.OIDFloat8,
	"numeric": pgtype.OIDNumeric, "decimal": pgtype.OIDNumeric,
	"text":    pgtype.OIDText,
	"varchar": pgtype.OIDVarchar, "character varying": pgtype.OIDVarchar,
	"bpchar": pgtype.OIDBpchar, "character": pgtype.OIDBpchar, "char": pgtype.OIDBpchar,
	"\"char\"":  pgtype.OIDChar,
	"name":      pgtype.OIDName,
	"bytea":     pgtype.OIDBytea,
	"date":      pgtype.OIDDate,
	"timestamp": pgtype.OIDTimestamp, "timestamp without time zone": pgtype.OIDTimestamp,
	"timestamptz": pgtype.OIDTimestampTZ, "timestamp with time zone": pgtype.OIDTimestampTZ,
	"time":     pgtype.OIDTime,
	"interval": pgtype.OIDInterval,
	"vector":   pgtype.OIDVector,
	"oid":      pgtype.OIDOID, "regclass": pgtype.OIDRegclass, "regtype": pgtype.OIDRegtype, "regproc": pgtype.OIDRegproc,
	"regnamespace": pgtype.OIDRegnamespace, "regrole": pgtype.OIDRegrole, "xid": pgtype.OIDXID, "pg_node_tree": pgtype.OIDPGNodeTree,
	"_oid": pgtype.OIDOIDArray, "_name": pgtype.OIDNameArray, "_char": pgtype.OIDCharArray, "int2vector": pgtype.OIDInt2Vector, "oidvector": pgtype.OIDOIDVector,
	"json": pgtype.OIDJSON, "jsonb": pgtype.OIDJSONB, "uuid": pgtype.OIDUUID,
	"_int2": pgtype.OIDInt2Array, "_int4": pgtype.OIDInt4Array, "_int8": pgtype.OIDInt8Array,
	"_text": pgtype.OIDTextArray, "_float4": pgtype.OIDFloat4Array, "_float8": pgtype.OIDFloat8Array,
	"_varchar": pgtype.OIDVarcharArr, "_bool": pgtype.OIDBoolArray, "_vector": pgtype.OIDVectorArray,
}

// knownUnsupported are PostgreSQL types lancegate knows but does not
// compute with: using one is 0A000, not "does not exist".
var knownUnsupported = map[string]bool{
	"money": true, "inet": true, "cidr": true, "macaddr": true, "point": true, "line": true, "box": true,
	"polygon": true, "circle": true, "path": true, "lseg": true, "tsvector": true, "tsquery": true, "xml": true,
	"bit": true, "varbit": true, "bit varying": true, "timetz": true, "time with time zone": true, "halfvec": true, "sparsevec": true,
	"int4range": true, "int8range": true, "numrange": true, "tsrange": true, "tstzrange": true, "daterange": true,
}

// typeByName resolves a type name (optionally qualified by pg_catalog or
// public) and a modifier (-1 for none) to a Type; 42704 when unknown.
func typeByName(name string, mod int32) (pgtype.Type, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	n = strings.TrimPrefix(n, "pg_catalog.")
	n = strings.TrimPrefix(n, "public.")
	arr := strings.HasSuffix(n, "[]")
	n = strings.TrimSuffix(n, "[]")
	oid, ok := typeNames[n]
	if !ok && strings.HasPrefix(n, "_") {
		if elem, known := typeNames[n[1:]]; known {
			if at, ok := pgtype.ArrayOf(pgtype.Type{OID: elem, Mod: mod}); ok {
				return at, nil
			}
			return pgtype.Type{}, sqlstate.New(sqlstate.FeatureNotSupported, "type %s[] is not supported", n[1:])
		}
	}
	if !ok {
		if knownUnsupported[n] {
			return pgtype.Type{}, sqlstate.New(sqlstate.FeatureNotSupported, "type %q is not supported", n)
		}
		return pgtype.Type{}, sqlstate.New(sqlstate.UndefinedObject, "type %q does not exist", name)
	}
	if arr {
		info, _ := pgtype.Lookup(oid)
		if info.Array == 0 {
			return pgtype.Type{}, sqlstate.New(sqlstate.UndefinedObject, "type %q does not exist", name)
		}
		return pgtype.Type{OID: info.Array, Mod: mod}, nil
	}
	return pgtype.Type{OID: oid, Mod: mod}, nil
}

// storable reports whether a column of type t can be stored in a table
// (the mapping of ARCHITECTURE.md); the error is 0A000 naming the type.
func storable(t pgtype.Type) error {
	switch t.OID {
	case pgtype.OIDBool, pgtype.OIDInt2, pgtype.OIDInt4, pgtype.OIDInt8, pgtype.OIDFloat4, pgtype.OIDFloat8,
		pgtype.OIDText, pgtype.OIDVarchar, pgtype.OIDBytea, pgtype.OIDDate, pgtype.OIDTimestamp, pgtype.OIDTimestampTZ:
		return nil
	case pgtype.OIDNumeric:
		// Lance stores decimal128(p, s): numeric needs its precision and
		// scale (an unconstrained numeric has no fixed scale to store).
		if t.Mod < 4 {
			return sqlstate.New(sqlstate.FeatureNotSupported, "numeric columns need a precision and scale, e.g. numeric(10,2)").
				WithHint("Lance stores numeric as decimal128(p, s); use double precision for unconstrained values.")
		}
		if p := (t.Mod - 4) >> 16; p > 38 {
			return sqlstate.New(sqlstate.FeatureNotSupported, "numeric precision %d is above 38, the largest Lance stores", p)
		}
		return nil
	case pgtype.OIDVector:
		if t.Mod <= 0 {
			return sqlstate.New(sqlstate.FeatureNotSupported, "a vector column needs a dimension, e.g. vector(3)")
		}
		if t.Mod > 16000 {
			return sqlstate.New(sqlstate.ProgramLimitExceeded, "column cannot have more than 16000 dimensions")
		}
		return nil
	}
	if pgtype.IsArray(t.OID) && !pgtype.IsVectorArray(t.OID) && t.OID != pgtype.OIDVectorArray {
		// Arrays are Arrow lists of their elements, stored as Lance
		// list<T> columns (data file version 2.1).
		if err := storable(pgtype.ElemOf(t)); err != nil {
			return sqlstate.New(sqlstate.FeatureNotSupported, "type %q is not supported", t.String())
		}
		return nil
	}
	return sqlstate.New(sqlstate.FeatureNotSupported, "type %q is not supported", t.String())
}
