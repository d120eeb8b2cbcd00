package expr

import "github.com/lancegate/lancegate/executor/pgtype"

// The cast rules are PostgreSQL's pg_cast for the types lancegate has,
// plus the automatic I/O conversions of parse_coerce.c (any type to a
// string type in assignment context, a string type to any type
// explicitly) and pgvector's casts. A cast of a stronger context is
// allowed in every weaker one: implicit ⊂ assignment ⊂ explicit.

// castContext is pg_cast.castcontext, ordered by strength.
type castContext int8

const (
	castNone     castContext = iota // no cast
	castExplicit                    // 'e': only CAST(x AS t) and x::t
	castAssign                      // 'a': also INSERT/UPDATE targets
	castImplicit                    // 'i': also in expressions
)

// castKey is a (source, target) pair of OIDs.
type castKey struct{ from, to uint32 }

var castTable = map[castKey]castContext{}

func addCasts(ctx castContext, from uint32, to ...uint32) {
	for _, t := range to {
		castTable[castKey{from, t}] = ctx
	}
}

const (
	oidHalfvec uint32 = 16498 // pgvector's halfvec, known only to resolution
)

func init() {
	const (
		i2, i4, i8  = pgtype.OIDInt2, pgtype.OIDInt4, pgtype.OIDInt8
		f4, f8, num = pgtype.OIDFloat4, pgtype.OIDFloat8, pgtype.OIDNumeric
		oid         = pgtype.OIDOID
		text, vc    = pgtype.OIDText, pgtype.OIDVarchar
		bpc, name   = pgtype.OIDBpchar, pgtype.OIDName
		ch          = pgtype.OIDChar
		date, ts    = pgtype.OIDDate, pgtype.OIDTimestamp
		tstz        = pgtype.OIDTimestampTZ
		vec         = pgtype.OIDVector
	)
	// Numeric category: implicit int2 → int4 → int8 → numeric → float4 →
	// float8, assignment-only back.
	addCasts(castImplicit, i2, i4, i8, f4, f8, num, oid)
	addCasts(castImplicit, i4, i8, f4, f8, num, oid)
	addCasts(castImplicit, i8, f4, f8, num, oid)
	addCasts(castImplicit, num, f4, f8)
	addCasts(castImplicit, f4, f8)
	addCasts(castAssign, i8, i2, i4)
	addCasts(castAssign, i4, i2)
	addCasts(castAssign, f4, i2, i4, i8, num)
	addCasts(castAssign, f8, i2, i4, i8, f4, num)
	addCasts(castAssign, num, i2, i4, i8)
	addCasts(castAssign, oid, i4, i8)
	for _, r := range []uint32{pgtype.OIDRegclass, pgtype.OIDRegtype, pgtype.OIDRegproc, pgtype.OIDRegnamespace, pgtype.OIDRegrole} {
		addCasts(castImplicit, oid, r)
		addCasts(castImplicit, r, oid)
		addCasts(castImplicit, i2, r)
		addCasts(castImplicit, i4, r)
		addCasts(castImplicit, i8, r)
		addCasts(castAssign, r, i4, i8)
	}
	addCasts(castImplicit, text, pgtype.OIDRegclass)
	addCasts(castImplicit, vc, pgtype.OIDRegclass)
	// bool ↔ int4.
	addCasts(castExplicit, i4, pgtype.OIDBool)
	addCasts(castExplicit, pgtype.OIDBool, i4)
	// String category.
	addCasts(castImplicit, text, bpc, vc, name)
	addCasts(castImplicit, vc, text, bpc, name)
	addCasts(castImplicit, bpc, text, vc, name)
	addCasts(castImplicit, name, text)
	addCasts(castAssign, name, bpc, vc)
	addCasts(castImplicit, ch, text)
	addCasts(castAssign, ch, bpc, vc)
	addCasts(castAssign, text, ch)
	addCasts(castAssign, vc, ch)
	addCasts(castAssign, bpc, ch)
	addCasts(castExplicit, ch, i4)
	addCasts(castExplicit, i4, ch)
	// Datetime category.
	addCasts(castImplicit, date, ts, tstz)
	addCasts(castImplicit, ts, tstz)
	addCasts(castAssign, ts, date)
	addCasts(castAssign, tstz, date, ts)
	// pgvector.
	addCasts(castImplicit, vec, pgtype.OIDFloat4Array)
	addCasts(castAssign, pgtype.OIDFloat4Array, vec)
	addCasts(castAssign, pgtype.OIDFloat8Array, vec)
	addCasts(castAssign, pgtype.OIDInt4Array, vec)
	addCasts(castAssign, 1231, vec) // numeric[]
	addCasts(castImplicit, vec, oidHalfvec)
	addCasts(castImplicit, oidHalfvec, vec)
	// json.
	addCasts(castAssign, pgtype.OIDJSON, pgtype.OIDJSONB)
	addCasts(castAssign, pgtype.OIDJSONB, pgtype.OIDJSON)
}

// contextOf returns the strongest context in which from casts to to.
func contextOf(from, to pgtype.Type) castContext {
	if from.OID == to.OID || from.OID == pgtype.OIDUnknown {
		return castImplicit
	}
	if c, ok := castTable[castKey{from.OID, to.OID}]; ok {
		return c
	}
	if c, ok := arrayCastContext(from, to); ok {
		return c
	}
	// Automatic I/O conversions.
	if isStringType(to.OID) && from.OID != pgtype.OIDVoid {
		return castAssign
	}
	if isStringType(from.OID) && to.OID != pgtype.OIDVoid {
		return castExplicit
	}
	return castNone
}

// isStringType reports whether oid is in the string category (or "char").
func isStringType(oid uint32) bool {
	switch oid {
	case pgtype.OIDText, pgtype.OIDVarchar, pgtype.OIDBpchar, pgtype.OIDName, pgtype.OIDChar:
		return true
	}
	return false
}

// ImplicitCast reports whether a value of type from converts to type to
// without being asked (in expressions: operator and function arguments,
// CASE branches, IN lists, UNION columns). An unknown literal converts
// implicitly to every type; the conversion itself may still fail (22P02).
func ImplicitCast(from, to pgtype.Type) bool { return contextOf(from, to) >= castImplicit }

// AssignCast reports whether a value of type from may be stored in a
// column of type to (INSERT, UPDATE, COPY targets): the implicit casts
// plus narrowing numeric casts and conversions to text.
func AssignCast(from, to pgtype.Type) bool { return contextOf(from, to) >= castAssign }

// CanCast reports whether CAST(x AS to) is allowed for x of type from.
func CanCast(from, to pgtype.Type) bool { return contextOf(from, to) >= castExplicit }

// typeCategory returns pg_type.typcategory, with X for unknown.
func typeCategory(oid uint32) byte {
	if oid == oidHalfvec {
		return 'U'
	}
	if i, ok := pgtype.Lookup(oid); ok {
		return i.Category
	}
	return 'U'
}

// isPreferred reports pg_type.typispreferred.
func isPreferred(oid uint32) bool {
	switch oid {
	case pgtype.OIDBool, pgtype.OIDText, pgtype.OIDOID, pgtype.OIDFloat8,
		pgtype.OIDTimestampTZ, pgtype.OIDInterval:
		return true
	}
	return false
}
