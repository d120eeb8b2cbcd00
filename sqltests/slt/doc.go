// Package slt runs lancegate's SQL logic tests: text files of statements
// and queries with their expected results, executed over the wire against
// a running server. It is imported by the tests in sqltests only.
//
// # File format
//
// A file is a sequence of records separated by blank lines. Lines starting
// with '#' are comments. The first line may be "# config: embedded" (the
// server shapes the file runs on).
//
//	statement ok
//	CREATE TABLE t (id bigint, v vector(3))
//
//	statement count 2
//	INSERT INTO t VALUES (1, '[1,0,0]'), (2, '[0,1,0]')
//
//	statement error pgcode 42P01
//	SELECT * FROM nosuchtable
//
//	query IT rowsort
//	SELECT id, name FROM t
//	----
//	1 a
//	2 NULL
//
//	query I nosort
//	args: [3]
//	SELECT id FROM t WHERE id < $1 ORDER BY id
//	----
//	1
//	2
//
//	query error pgcode 22012
//	SELECT 1/0
//
// Directives:
//
//	statement ok                 the statement must succeed
//	statement count N            … and affect N rows (the number in its command tag)
//	statement error pgcode C     the statement must fail with SQLSTATE C
//	query <types> [sort]         a query and its expected rows after "----";
//	                             <types> has one letter per column (I integer,
//	                             R float/numeric, T text, B bool, V vector, D
//	                             date/time), checked against the column count;
//	                             [sort] is nosort (the default, for queries with
//	                             ORDER BY), rowsort (sort result and expected
//	                             rows as strings) or valuesort
//	query error pgcode C         the query must fail with SQLSTATE C
//	args: <JSON array>           (first line of a record's SQL) parameters $1…
//	onlyif <shape>               (before a directive) run the record only on
//	                             servers of this shape: embedded (one process)
//	                             or distributed (a query node with executors)
//	skipif <shape>               (before a directive) skip it on that shape
//
// Values are written in PostgreSQL's text format, one row per line, columns
// separated by one space; NULL is NULL and the empty string is (empty).
// Errors are asserted by SQLSTATE alone, never by message.
//
// # Protocols
//
// Every file runs twice: over the simple query protocol (parameters
// interpolated by the client, as psycopg2 does) and over the extended
// protocol with binary results wherever the driver supports them, so
// parameter type inference and both codecs are exercised by every query.
// Results of both runs must match the same expected text.
//
// # Rewriting
//
// `go test ./sqltests -rewrite` rewrites the expected results from what the
// server returns; review the diff as you would code.
package slt
