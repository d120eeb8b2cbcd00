package pgtype

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

	"github.com/apache/arrow/go/v17/arrow"
)

// OIDs of the types lancegate knows. Built-in types keep PostgreSQL 15's
// fixed OIDs; vector and _vector have the fixed OIDs lancegate assigns to
// the built-in pgvector extension.
const (
	OIDBool         uint32 = 16
	OIDBytea        uint32 = 17
	OIDChar         uint32 = 18 // "char"
	OIDName         uint32 = 19
	OIDInt8         uint32 = 20
	OIDInt2         uint32 = 21
	OIDInt2Vector   uint32 = 22
	OIDInt4         uint32 = 23
	OIDRegproc      uint32 = 24
	OIDText         uint32 = 25
	OIDOID          uint32 = 26
	OIDXID          uint32 = 28
	OIDOIDVector    uint32 = 30
	OIDPGNodeTree   uint32 = 194
	OIDJSON         uint32 = 114
	OIDFloat4       uint32 = 700
	OIDFloat8       uint32 = 701
	OIDUnknown      uint32 = 705
	OIDBoolArray    uint32 = 1000
	OIDCharArray    uint32 = 1002
	OIDNameArray    uint32 = 1003
	OIDInt2Array    uint32 = 1005
	OIDInt4Array    uint32 = 1007
	OIDTextArray    uint32 = 1009
	OIDVarcharArr   uint32 = 1015
	OIDInt8Array    uint32 = 1016
	OIDFloat4Array  uint32 = 1021
	OIDFloat8Array  uint32 = 1022
	OIDOIDArray     uint32 = 1028
	OIDACLItem      uint32 = 1033
	OIDACLItemArr   uint32 = 1034
	OIDBpchar       uint32 = 1042
	OIDVarchar      uint32 = 1043
	OIDDate         uint32 = 1082
	OIDTime         uint32 = 1083
	OIDTimestamp    uint32 = 1114
	OIDTimestampTZ  uint32 = 1184
	OIDInterval     uint32 = 1186
	OIDNumeric      uint32 = 1700
	OIDRegclass     uint32 = 2205
	OIDRegtype      uint32 = 2206
	OIDVoid         uint32 = 2278
	OIDUUID         uint32 = 2950
	OIDJSONB        uint32 = 3802
	OIDRegnamespace uint32 = 4089
	OIDRegrole      uint32 = 4096
	OIDVector       uint32 = 16385
	OIDVectorArray  uint32 = 16391
)

// Type is a PostgreSQL type with its modifier. The zero Type is invalid.
type Type struct {
	// OID identifies the type.
	OID uint32
	// Mod is the type modifier (atttypmod): -1 when none; n+4 for
	// varchar(n); n for vector(n); ((p<<16)|s)+4 for numeric(p,s);
	// precision for timestamp(p).
	Mod int32
}

// Common types without modifiers.
var (
	Bool        = Type{OIDBool, -1}
	Bytea       = Type{OIDBytea, -1}
	Int2        = Type{OIDInt2, -1}
	Int4        = Type{OIDInt4, -1}
	Int8        = Type{OIDInt8, -1}
	Float4      = Type{OIDFloat4, -1}
	Float8      = Type{OIDFloat8, -1}
	Numeric     = Type{OIDNumeric, -1}
	Text        = Type{OIDText, -1}
	Varchar     = Type{OIDVarchar, -1}
	Name        = Type{OIDName, -1}
	OID         = Type{OIDOID, -1}
	Date        = Type{OIDDate, -1}
	Timestamp   = Type{OIDTimestamp, -1}
	TimestampTZ = Type{OIDTimestampTZ, -1}
	Interval    = Type{OIDInterval, -1}
	Unknown     = Type{OIDUnknown, -1}
	Vector      = Type{OIDVector, -1}
	Void        = Type{OIDVoid, -1}
)

// VectorOf returns vector(dim).
func VectorOf(dim int) Type { return Type{OIDVector, int32(dim)} }

// VarcharOf returns varchar(n).
func VarcharOf(n int) Type { return Type{OIDVarchar, int32(n) + 4} }

// NumericOf returns numeric(p, s).
func NumericOf(p, s int) Type { return Type{OIDNumeric, int32(p<<16|s) + 4} }

// Info is what the catalogue knows of a type OID.
type Info struct {
	OID uint32
	// Name is the type's name in pg_type (typname).
	Name string
	// Len is typlen: the byte width of fixed-size types, -1 for varlena.
	Len int16
	// Category is typcategory (B, N, S, D, U, A, …).
	Category byte
	// Elem is the element type of an array type, 0 otherwise.
	Elem uint32
	// Array is the array type of this type, 0 if none.
	Array uint32
}

var infos = map[uint32]Info{
	OIDBool:         {OIDBool, "bool", 1, 'B', 0, OIDBoolArray},
	OIDBytea:        {OIDBytea, "bytea", -1, 'U', 0, 1001},
	OIDChar:         {OIDChar, "char", 1, 'Z', 0, 1002},
	OIDName:         {OIDName, "name", 64, 'S', 0, 1003},
	OIDInt8:         {OIDInt8, "int8", 8, 'N', 0, OIDInt8Array},
	OIDInt2:         {OIDInt2, "int2", 2, 'N', 0, OIDInt2Array},
	OIDInt2Vector:   {OIDInt2Vector, "int2vector", -1, 'A', OIDInt2, 1006},
	OIDInt4:         {OIDInt4, "int4", 4, 'N', 0, OIDInt4Array},
	OIDRegproc:      {OIDRegproc, "regproc", 4, 'N', 0, 1008},
	OIDText:         {OIDText, "text", -1, 'S', 0, OIDTextArray},
	OIDOID:          {OIDOID, "oid", 4, 'N', 0, 1028},
	OIDOIDVector:    {OIDOIDVector, "oidvector", -1, 'A', OIDOID, 1013},
	OIDXID:          {OIDXID, "xid", 4, 'U', 0, 1011},
	OIDPGNodeTree:   {OIDPGNodeTree, "pg_node_tree", -1, 'Z', 0, 0},
	OIDCharArray:    {OIDCharArray, "_char", -1, 'A', OIDChar, 0},
	OIDNameArray:    {OIDNameArray, "_name", -1, 'A', OIDName, 0},
	OIDOIDArray:     {OIDOIDArray, "_oid", -1, 'A', OIDOID, 0},
	OIDACLItem:      {OIDACLItem, "aclitem", 12, 'U', 0, OIDACLItemArr},
	OIDACLItemArr:   {OIDACLItemArr, "_aclitem", -1, 'A', OIDACLItem, 0},
	1560:            {1560, "bit", -1, 'V', 0, 1561},
	1561:            {1561, "_bit", -1, 'A', 1560, 0},
	OIDRegnamespace: {OIDRegnamespace, "regnamespace", 4, 'N', 0, 4090},
	OIDRegrole:      {OIDRegrole, "regrole", 4, 'N', 0, 4097},
	OIDJSON:         {OIDJSON, "json", -1, 'U', 0, 199},
	OIDFloat4:       {OIDFloat4, "float4", 4, 'N', 0, OIDFloat4Array},
	OIDFloat8:       {OIDFloat8, "float8", 8, 'N', 0, OIDFloat8Array},
	OIDUnknown:      {OIDUnknown, "unknown", -2, 'X', 0, 0},
	OIDBoolArray:    {OIDBoolArray, "_bool", -1, 'A', OIDBool, 0},
	OIDInt2Array:    {OIDInt2Array, "_int2", -1, 'A', OIDInt2, 0},
	OIDInt4Array:    {OIDInt4Array, "_int4", -1, 'A', OIDInt4, 0},
	OIDTextArray:    {OIDTextArray, "_text", -1, 'A', OIDText, 0},
	OIDVarcharArr:   {OIDVarcharArr, "_varchar", -1, 'A', OIDVarchar, 0},
	OIDInt8Array:    {OIDInt8Array, "_int8", -1, 'A', OIDInt8, 0},
	OIDFloat4Array:  {OIDFloat4Array, "_float4", -1, 'A', OIDFloat4, 0},
	OIDFloat8Array:  {OIDFloat8Array, "_float8", -1, 'A', OIDFloat8, 0},
	OIDBpchar:       {OIDBpchar, "bpchar", -1, 'S', 0, 1014},
	OIDVarchar:      {OIDVarchar, "varchar", -1, 'S', 0, OIDVarcharArr},
	OIDDate:         {OIDDate, "date", 4, 'D', 0, 1182},
	OIDTime:         {OIDTime, "time", 8, 'D', 0, 1183},
	OIDTimestamp:    {OIDTimestamp, "timestamp", 8, 'D', 0, 1115},
	OIDTimestampTZ:  {OIDTimestampTZ, "timestamptz", 8, 'D', 0, 1185},
	OIDInterval:     {OIDInterval, "interval", 16, 'T', 0, 1187},
	OIDNumeric:      {OIDNumeric, "numeric", -1, 'N', 0, 1231},
	OIDRegclass:     {OIDRegclass, "regclass", 4, 'N', 0, 2210},
	OIDRegtype:      {OIDRegtype, "regtype", 4, 'N', 0, 2211},
	OIDVoid:         {OIDVoid, "void", 4, 'P', 0, 0},
	OIDUUID:         {OIDUUID, "uuid", 16, 'U', 0, 2951},
	OIDJSONB:        {OIDJSONB, "jsonb", -1, 'U', 0, 3807},
	OIDVector:       {OIDVector, "vector", -1, 'U', 0, OIDVectorArray},
	OIDVectorArray:  {OIDVectorArray, "_vector", -1, 'A', OIDVector, 0},
}

// Types lists every type the catalogue knows, in OID order.
func Types() []Info {
	out := make([]Info, 0, len(infos))
	for _, i := range infos {
		out = append(out, i)
	}
	slices.SortFunc(out, func(a, b Info) int { return cmp.Compare(a.OID, b.OID) })
	return out
}

// Lookup returns the catalogue entry of an OID.
func Lookup(oid uint32) (Info, bool) {
	i, ok := infos[oid]
	return i, ok
}

// Info returns the catalogue entry of t's OID (zero Info if unknown).
func (t Type) Info() Info { return infos[t.OID] }

// Len is typlen, as RowDescription's DataTypeSize reports it.
func (t Type) Len() int16 {
	if i, ok := infos[t.OID]; ok {
		return i.Len
	}
	return -1
}

// IsVector reports whether t is vector or vector(n).
func (t Type) IsVector() bool { return t.OID == OIDVector }

// VectorDim returns n for vector(n), or -1 for an unconstrained vector.
func (t Type) VectorDim() int {
	if t.OID != OIDVector || t.Mod < 0 {
		return -1
	}
	return int(t.Mod)
}

// String formats t as format_type does: integer, character varying(10),
// timestamp with time zone, vector(3), …
func (t Type) String() string {
	switch t.OID {
	case OIDBool:
		return "boolean"
	case OIDInt2:
		return "smallint"
	case OIDInt4:
		return "integer"
	case OIDInt8:
		return "bigint"
	case OIDFloat4:
		return "real"
	case OIDFloat8:
		return "double precision"
	case OIDChar:
		return `"char"`
	case OIDVarchar:
		if t.Mod >= 4 {
			return "character varying(" + strconv.Itoa(int(t.Mod-4)) + ")"
		}
		return "character varying"
	case OIDBpchar:
		if t.Mod >= 4 {
			return "character(" + strconv.Itoa(int(t.Mod-4)) + ")"
		}
		return "bpchar"
	case OIDNumeric:
		if t.Mod >= 4 {
			m := t.Mod - 4
			return fmt.Sprintf("numeric(%d,%d)", m>>16, m&0xffff)
		}
		return "numeric"
	case OIDTimestamp:
		if t.Mod >= 0 {
			return "timestamp(" + strconv.Itoa(int(t.Mod)) + ") without time zone"
		}
		return "timestamp without time zone"
	case OIDTimestampTZ:
		if t.Mod >= 0 {
			return "timestamp(" + strconv.Itoa(int(t.Mod)) + ") with time zone"
		}
		return "timestamp with time zone"
	case OIDTime:
		return "time without time zone"
	case OIDVector:
		if t.Mod >= 0 {
			return "vector(" + strconv.Itoa(int(t.Mod)) + ")"
		}
		return "vector"
	}
	if i, ok := infos[t.OID]; ok {
		if i.Elem != 0 && i.Name[0] == '_' {
			return Type{i.Elem, t.Mod}.String() + "[]"
		}
		return i.Name
	}
	return fmt.Sprintf("oid %d", t.OID)
}

// Field metadata keys carrying a column's PostgreSQL type on Arrow fields.
const (
	MetaOID    = "pg.oid"
	MetaTypmod = "pg.typmod"
)

// Arrow returns the Arrow type that carries values of t, or an error for
// types lancegate does not store or compute with.
func (t Type) Arrow() (arrow.DataType, error) {
	switch t.OID {
	case OIDBool:
		return arrow.FixedWidthTypes.Boolean, nil
	case OIDInt2:
		return arrow.PrimitiveTypes.Int16, nil
	case OIDInt4:
		return arrow.PrimitiveTypes.Int32, nil
	case OIDInt8:
		return arrow.PrimitiveTypes.Int64, nil
	case OIDOID, OIDRegclass, OIDRegtype, OIDRegproc, OIDRegnamespace, OIDRegrole, OIDXID:
		return arrow.PrimitiveTypes.Uint32, nil
	case OIDFloat4:
		return arrow.PrimitiveTypes.Float32, nil
	case OIDFloat8:
		return arrow.PrimitiveTypes.Float64, nil
	case OIDText, OIDVarchar, OIDBpchar, OIDName, OIDUnknown, OIDChar, OIDJSON, OIDPGNodeTree, OIDACLItem:
		return arrow.BinaryTypes.String, nil
	case OIDBytea:
		return arrow.BinaryTypes.Binary, nil
	case OIDDate:
		return arrow.FixedWidthTypes.Date32, nil
	case OIDTimestamp:
		return &arrow.TimestampType{Unit: arrow.Microsecond}, nil
	case OIDTimestampTZ:
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, nil
	case OIDNumeric:
		p, s := int32(38), int32(16)
		if t.Mod >= 4 {
			m := t.Mod - 4
			p, s = m>>16, m&0xffff
		}
		return &arrow.Decimal128Type{Precision: p, Scale: s}, nil
	case OIDVector:
		if t.Mod < 0 {
			return arrow.ListOf(arrow.PrimitiveTypes.Float32), nil
		}
		return arrow.FixedSizeListOf(t.Mod, arrow.PrimitiveTypes.Float32), nil
	case OIDVoid:
		return arrow.Null, nil
	}
	if i, ok := infos[t.OID]; ok && i.Category == 'A' && i.Elem != 0 && t.OID != OIDVectorArray {
		// Arrays (and int2vector, oidvector) are lists of their elements.
		et, err := Type{OID: i.Elem, Mod: t.Mod}.Arrow()
		if err != nil {
			return nil, err
		}
		return arrow.ListOf(et), nil
	}
	return nil, fmt.Errorf("type %s has no storage mapping", t)
}

// FromArrow returns the PostgreSQL type of an Arrow type: the mapping of
// ARCHITECTURE.md's contract (int64 → bigint, fixed_size_list<float32, n>
// → vector(n), …) and the nearest type for the others Lance files may hold
// (large strings → text, unsigned ints → the next wider signed int).
func FromArrow(dt arrow.DataType) (Type, error) {
	switch d := dt.(type) {
	case *arrow.BooleanType:
		return Bool, nil
	case *arrow.Int8Type, *arrow.Int16Type, *arrow.Uint8Type:
		return Int2, nil
	case *arrow.Int32Type, *arrow.Uint16Type:
		return Int4, nil
	case *arrow.Int64Type, *arrow.Uint32Type:
		return Int8, nil
	case *arrow.Uint64Type:
		return Numeric, nil
	case *arrow.Float16Type, *arrow.Float32Type:
		return Float4, nil
	case *arrow.Float64Type:
		return Float8, nil
	case *arrow.StringType, *arrow.LargeStringType:
		return Text, nil
	case *arrow.BinaryType, *arrow.LargeBinaryType, *arrow.FixedSizeBinaryType:
		return Bytea, nil
	case *arrow.Date32Type, *arrow.Date64Type:
		return Date, nil
	case *arrow.TimestampType:
		if d.TimeZone != "" {
			return TimestampTZ, nil
		}
		return Timestamp, nil
	case *arrow.Decimal128Type:
		return NumericOf(int(d.Precision), int(d.Scale)), nil
	case *arrow.FixedSizeListType:
		if d.Elem().ID() == arrow.FLOAT32 {
			return VectorOf(int(d.Len())), nil
		}
	case *arrow.NullType:
		return Unknown, nil
	}
	return Type{}, fmt.Errorf("Arrow type %s has no PostgreSQL type", dt)
}

// FromField returns the PostgreSQL type of an Arrow field: its metadata
// when present (MetaOID, MetaTypmod), else FromArrow of its type.
func FromField(f arrow.Field) (Type, error) {
	if i := f.Metadata.FindKey(MetaOID); i >= 0 {
		oid, err := strconv.ParseUint(f.Metadata.Values()[i], 10, 32)
		if err == nil {
			t := Type{OID: uint32(oid), Mod: -1}
			if j := f.Metadata.FindKey(MetaTypmod); j >= 0 {
				if m, err := strconv.ParseInt(f.Metadata.Values()[j], 10, 32); err == nil {
					t.Mod = int32(m)
				}
			}
			return t, nil
		}
	}
	return FromArrow(f.Type)
}

// Field returns an Arrow field for a column of type t, with t recorded in
// the metadata when the Arrow type alone would not give t back.
func Field(name string, t Type, nullable bool) (arrow.Field, error) {
	dt, err := t.Arrow()
	if err != nil {
		return arrow.Field{}, err
	}
	f := arrow.Field{Name: name, Type: dt, Nullable: nullable}
	if back, err := FromArrow(dt); err != nil || back != t {
		f.Metadata = arrow.NewMetadata([]string{MetaOID, MetaTypmod}, []string{strconv.FormatUint(uint64(t.OID), 10), strconv.FormatInt(int64(t.Mod), 10)})
	}
	return f, nil
}
