// Package codec converts between Arrow values and PostgreSQL's wire
// formats: the text and binary forms of every type lancegate serves
// (bool, int2/4/8, float4/8, numeric, text, bytea, date, timestamp,
// timestamptz, vector, oid, name, …), their type OIDs, typlen and
// modifiers.
//
// Results flow one way: the protocol layer builds one Encoder per column
// of a batch and appends each row's field (int32 length, then bytes; -1
// for NULL) straight into the DataRow it is writing, with no per-value
// allocation. Parameters flow the other way: DecodeParam turns one Bind
// parameter into an Arrow scalar of the parameter's type.
//
// # Layout
//
// One file per type family holds its encoders and its binary decoder:
// bool.go, int.go, float.go, numeric.go, text.go (the character types
// and "char"), bytea.go, timestamp.go (date, timestamp, timestamptz),
// vector.go. encoder.go dispatches on the PostgreSQL type and holds the
// framing; decode.go dispatches DecodeParam. Text forms are not written
// here but in executor/pgtype, which casts share: the encoders call its
// per-type Append helpers.
//
// # Why encoders are specialised
//
// A result set is encoded value by value, millions of times per second.
// NewEncoder therefore does all the deciding once per column and batch:
// it picks a concrete encoder for the (Arrow array, PostgreSQL type,
// format) triple and captures the array's value slice, validity bitmap
// and offset, and the session settings it needs. Append is then one
// interface call that indexes a slice, tests a bit and appends bytes: no
// type switch, no arrow.Array method, no fmt, no allocation once the
// caller's buffer has grown. Text fields whose length is not known in
// advance reserve the length and patch it after the value is written.
//
// Arrays are read at their offset, so sliced batches work; they are not
// retained, so the caller keeps a batch alive while its encoders run.
// Dictionary arrays go through the encoder of their dictionary (one more
// interface call per value). An Arrow null array is NULL in every row,
// and void (pg_sleep's result) is an empty value, never NULL.
//
// # Parameters
//
// DecodeParam copies what it keeps: the protocol layer may reuse the
// message buffer as soon as it returns. Text parameters go through
// pgtype.ParseText, and so do binary parameters of the character types
// (whose binary form is their text) and numerics (whose digits are
// turned into text first), so that both formats round and fail alike.
// Binary data of the wrong shape is 22P03 "incorrect binary data format
// in bind parameter"; the protocol layer appends the parameter number.
//
// Nothing here knows SQL; errors carry SQLSTATEs (22P02 bad text, 22P03
// bad binary, 22000 vector errors) through executor/sqlstate.
package codec
