// Package pgtype is lancegate's catalogue of PostgreSQL types: their OIDs,
// names, typlen and modifiers, how each maps to the Arrow type that
// carries its values between packages, and their text forms (input and
// output), which casts and the wire protocol share.
//
// A Type is a PostgreSQL type plus modifier (varchar(10), vector(3),
// numeric(10,2)); Arrow types alone cannot tell text from varchar or a
// vector from a real[]. Arrow fields carry the PostgreSQL type in their
// metadata (keys MetaOID, MetaTypmod) where the Arrow type is ambiguous;
// FromField reads it back.
//
// # Text forms
//
// ParseText is each type's input function ('literal'::t) and AppendText
// its output function, both as PostgreSQL 15 (and pgvector 0.8 for
// vector) behave, with PostgreSQL's SQLSTATEs and message texts. One file
// per type family holds both directions: text_bool.go, text_int.go,
// text_float.go, text_numeric.go, text_string.go, text_bytea.go,
// text_date.go, text_timestamp.go (with datetime_parse.go, the ISO
// reader they share, and zone.go), text_vector.go, text_array.go.
//
// The per-type Append helpers (AppendInt64, AppendFloat8,
// AppendTimestampTZ, AppendVector, …) are the hot path of the wire codec,
// which calls them once per value: they append to a caller's buffer,
// allocate nothing and never go through fmt. AppendText dispatches to
// them for callers that hold an array and a row (casts to text).
//
// Where the Arrow representation and PostgreSQL's differ, the choices
// are:
//
//   - numeric is decimal128 with the scale of the type (16 for an
//     unconstrained numeric, which has no fixed scale in PostgreSQL).
//     numeric(p,s) shows s decimals; an unconstrained numeric shows only
//     the decimals its value needs (FixedScale), which is what PostgreSQL
//     shows for literals and sums. NaN and ±Infinity cannot be stored
//     (0A000).
//   - date and timestamp use Arrow's 1970 epoch; the extreme values of
//     date32 and int64 stand for -infinity and infinity (DateInfinity,
//     TimestampInfinity, …). The wire's 2000 epoch is applied by
//     DateToPG, TimestampFromPG and friends.
//   - timestamptz is an instant (Arrow time zone "UTC"); the session time
//     zone only matters for input without a zone and for output.
//   - arrays (every type with a typarray has its _type entry, plus
//     int2vector and oidvector) are Arrow lists of their elements, one
//     dimension; the lower bound is not kept (1, or 0 for int2vector and
//     oidvector). text_array.go holds array_in and array_out, whose
//     element quoting (AppendArrayElement) the wire codec shares.
//   - interval, time, uuid and jsonb have no Arrow mapping yet;
//     ParseText refuses them with 0A000.
//
// Scalars returned by ParseText and NewVector keep their bytes on the Go
// heap, not in an Arrow allocator, so they need no Release.
//
// The package is a leaf below the planner, the executor and the gateway:
// it imports Arrow and the standard library only, plus executor/sqlstate
// for error codes. It embeds the time zone database (time/tzdata) so
// that zone names resolve on hosts without one.
package pgtype
