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
// Nothing here knows SQL; errors carry SQLSTATEs (22P02 bad text, 22P03
// bad binary, 22000 vector errors) through executor/sqlstate.
package codec
