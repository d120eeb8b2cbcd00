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
// The package is a leaf below the planner, the executor and the gateway:
// it imports Arrow and the standard library only, plus executor/sqlstate
// for error codes.
package pgtype
