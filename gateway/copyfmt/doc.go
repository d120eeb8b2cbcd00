// Package copyfmt reads and writes the data of PostgreSQL's COPY: the text
// format (tab-separated, \N for NULL, backslash escapes, a "\." line at the
// end), CSV (quotes, NULL as an unquoted empty field, HEADER, quoted
// newlines) and the binary format (the PGCOPY signature, then per row a
// field count and length-prefixed fields in each type's binary form).
//
// # Data flow
//
// COPY … FROM STDIN: the protocol layer hands the engine the payloads of
// the client's CopyData messages as one io.Reader (gateway/pgwire). A
// Decoder reads it through a bufio.Reader, cuts it into rows and fields and
// appends every field straight into the Arrow builder of its column; the
// engine (gateway/copy.go) takes the builders' arrays every Decode call
// (a batch of up to some tens of thousands of rows) and, at the end of the
// data, stores all batches as one write. Nothing is kept per row: no []any,
// no scalar per value on the hot types.
//
//	CopyData payloads ─io.Reader─▶ Decoder (text.go | csv.go | binary.go)
//	    ─ one field ─▶ sink (sink.go) ─▶ array.Builder of the column
//	    ─ Decode(max) returns ─▶ Arrays() ─▶ the engine's batch
//
// COPY … TO STDOUT runs the other way: an Encoder (encode.go) turns each
// row of an Arrow record into one CopyData payload, reusing the result
// encoders of gateway/codec (text form escaped for COPY, binary form
// framed as COPY wants it, which is the DataRow field layout).
//
// # Values
//
// Text fields are parsed by executor/pgtype (ParseText) and binary fields
// by gateway/codec (DecodeParam), so COPY accepts and rejects exactly what
// a parameter or a literal does. The types a bulk load is made of (int2,
// int4, int8, float4, float8, text, varchar, bool, vector) have a fast
// path in sink.go that writes into the builder without an intermediate
// scalar; anything the fast path does not recognise as plainly valid goes
// through the general parsers, which produce either the value or the
// canonical error. The fast paths therefore never decide what is an error.
//
// # Errors
//
// Every error carries a SQLSTATE (executor/sqlstate) and, as PostgreSQL's
// CONTEXT line, the row: `COPY items, line 3, column price: "abc"` in the
// Where field. Lines are counted as PostgreSQL counts them: one per row
// (and one for a header), also in CSV with quoted newlines and in the
// binary format. Malformed data is 22P04 (bad copy file format), bad
// values keep the code of the value's parser (22P02, 22003, 22000 for
// vector dimensions…), a NULL in a NOT NULL column is 23502. Errors of
// the reader (the client's CopyFail, a cancelled statement) keep their
// code; a coded one met inside a binary row gains the row's context, as
// PostgreSQL's would.
package copyfmt
