// Package dialect is lancegate's bridge from PostgreSQL SQL to the TiDB
// parser (pg-compat.md §5). lancegate speaks PostgreSQL on the wire, but
// its SQL front end is github.com/pingcap/tidb/pkg/parser, a MySQL
// grammar: fed PostgreSQL text directly it rejects half of what clients
// send and, worse, reads some of the rest as a different query ($1 as a
// column, <=> as NULL-safe equality, # as a comment, || as OR). This
// package stands in between. It parses enough PostgreSQL to know what the
// client meant and emits TiDB-dialect text that can only mean that.
//
// # Pipeline
//
//	message ─▶ Lex ─▶ Split ─▶ Parse (per piece)
//	  session statement ─▶ SessionStmt, handled by the gateway
//	  everything else   ─▶ rewriter ─▶ TiDB text + SideTable ─▶ TiDB parser (pooled) ─▶ ast.StmtNode
//
// Lex (lexer.go) follows PostgreSQL 15's scan.l: identifiers fold to lower
// case (quoted and U&"…" ones keep theirs), strings decode (doubled
// quotes, E'…' escapes, U&'…' with UESCAPE, $tag$…$tag$, B'…' and X'…',
// and literals continued across a newline), operators are cut by
// PostgreSQL's trailing +/- rule (a<-1 is a < -1, <-> is one token), and
// comments (-- and nested /* */) vanish. Tokens carry byte and character
// offsets.
//
// Split (split.go) cuts a simple-query message at top-level ';'. A
// lexical error fails the whole message: PostgreSQL parses a message
// completely before running any of it, so the gateway should Parse every
// piece before executing the first.
//
// Parse (statement.go) classifies a statement by its first keywords.
// Session statements (§4: SET, SHOW, BEGIN, COPY, PREPARE, …) are parsed
// by a small hand-written parser (session_parse.go) into one Go type per
// kind (session.go) and never reach TiDB.
//
// Everything else goes through the rewriter (rewrite_*.go): a
// recursive-descent parser for statement skeletons and a Pratt parser for
// expressions with PostgreSQL's precedence (§5.5). It understands a
// statement completely before emitting it, so a construct it does not
// know is an error (42601, or 0A000 "… is not supported yet" for a known
// feature), never passed through. The emitted text is then parsed by a
// pooled TiDB parser in SQL mode NO_BACKSLASH_ESCAPES.
//
// # Output contract
//
// The emitted text (Rewrite.SQL), checked by the fuzz tests:
//
//   - every identifier and alias the client wrote is backquoted (` doubled
//     inside); there are no double quotes. Unquoted words are keywords
//     and the function names listed below;
//   - literals are single-quoted with ' doubled and never rely on
//     backslash escapes; there are no adjacent literals and no comments;
//   - ? appears only as a parameter marker, each recorded in the slot
//     map; <=> appears only for IS [NOT] DISTINCT FROM; #, ||, ^ and &&
//     never appear;
//   - every operator expression is parenthesised, so TiDB's precedence
//     decides nothing;
//   - PostgreSQL-only constructs become calls to functions with the
//     reserved prefix __pg_ (and __lg_ for lancegate's own); an identifier
//     with either prefix in client text is rejected with 42601 before
//     rewriting (case-insensitively, as TiDB compares function names).
//
// # Functions the binder must understand
//
// Names are emitted unquoted and lower-case (VEC_ functions upper-case);
// quoted strings below are literal arguments.
//
//	__pg_cast(x, 'pg_catalog.int4', typmod)  x::T, CAST(x AS T), T 'lit'. The type is
//	                                          normalised (PGType.Name: integer → pg_catalog.int4,
//	                                          int[] → pg_catalog._int4, vector → public.vector,
//	                                          unknown names as written); typmod is PostgreSQL's
//	                                          atttypmod (varchar(10) → 14, numeric(10,2) → 655366,
//	                                          vector(3) → 3), -1 for none. Also emitted for numeric
//	                                          literals TiDB would misread ('1.5e3' and '5.' as
//	                                          pg_catalog.numeric) and for B'…'/X'…' (the bits as
//	                                          '0101', pg_catalog.bit, -1).
//	__pg_op('op', a, b)                       any binary operator other than + - * / % = < > <= >= <>
//	                                          and the pgvector ones: ||, ^, ~, !~, ~*, !~*, @>, <@,
//	                                          &&, #, &, |, <<, >>, ->, ->>, ?, ?|, ?&, OPERATOR(s.op), …
//	__pg_op1('op', a)                         prefix operators other than - and +: ~, @, |/, ||/, …
//	VEC_L2_DISTANCE(a, b)                     a <-> b   (also VEC_COSINE_DISTANCE for <=>,
//	                                          VEC_NEGATIVE_INNER_PRODUCT for <#>, VEC_L1_DISTANCE for <+>),
//	                                          at "other operator" precedence
//	(a <=> b), (NOT (a <=> b))                a IS NOT DISTINCT FROM b, a IS DISTINCT FROM b
//	__pg_any('op', x, array), __pg_all(…)     x op ANY|SOME|ALL (array); with a subquery TiDB's
//	                                          own x op ANY (SELECT …) is kept
//	__pg_array(e1, e2, …)                     ARRAY[e1, e2] (nested for ARRAY[[…],[…]])
//	__pg_array_sub((SELECT …))                ARRAY(SELECT …)
//	__pg_subscript(a, i), __pg_slice(a, i, j) a[i], a[i:j] (NULL for an omitted bound)
//	__pg_field(x, 'name')                     (x).name
//	__pg_nulls(x, 'FIRST'|'LAST')             ORDER BY x NULLS FIRST|LAST (in queries and
//	                                          windows; ASC/DESC stays on the item; an integer
//	                                          literal x is still an output-column position)
//	__pg_extract('field', x)                  EXTRACT(field FROM x)
//	__pg_at_time_zone(x, zone)                x AT TIME ZONE zone
//	__pg_collate(x, 'name')                   x COLLATE name (COLLATE "default" is dropped)
//	__pg_similar(a, pattern [, escape])       a SIMILAR TO pattern; NOT … as (NOT __pg_similar(…))
//	__pg_agg_distinct()                       extra argument: f(DISTINCT …) of an aggregate TiDB's
//	                                          grammar does not know (count, sum, avg, min, max,
//	                                          bit_*, stddev*, var* keep TiDB's native form)
//	__pg_agg_order(k, 'ASC'|'DESC', 'FIRST'|'LAST')  extra argument per key of f(… ORDER BY k)
//	__pg_agg_filter(cond)                     extra argument: f(…) FILTER (WHERE cond)
//	__pg_agg_star()                           first argument standing for * in such a call
//	max(__pg_window('name', args…)) OVER (…)  a window call TiDB's grammar lacks (array_agg,
//	                                          string_agg, bool_and, …, or any with DISTINCT,
//	                                          ORDER BY or FILTER): the arguments carry the
//	                                          modifiers above
//	__pg_srf('schema.name', args…)            a function in FROM (below)
//	__lg_version(n)                           AS OF VERSION n (below)
//	`current_user`() …                        current_user, session_user, user, current_role,
//	                                          current_catalog, current_schema, current_date,
//	                                          current_time[(p)], current_timestamp[(p)],
//	                                          localtime[(p)], localtimestamp[(p)]
//	`substring`(x, from [, for])              SUBSTRING(x FROM a FOR b); FOR alone gives from 1
//	`btrim`/`ltrim`/`rtrim`(x [, chars])      TRIM([BOTH|LEADING|TRAILING] [chars] FROM x)
//	`strpos`(b, a)                            POSITION(a IN b)
//	`overlay`(a, b, c [, d])                  OVERLAY(a PLACING b FROM c [FOR d])
//	ROW(a, b, …)                              (a, b, …) and ROW(…)
//
// Other shapes: VALUES lists become SELECT … AS `column1`, … UNION ALL
// SELECT … (parenthesised when there are several rows); INSERT … DEFAULT
// VALUES becomes INSERT INTO t () VALUES (); LIMIT ALL is dropped; OFFSET
// alone gets LIMIT 18446744073709551615; FETCH FIRST n ROWS ONLY is LIMIT
// n; FROM ONLY t is FROM t; ISNULL/NOTNULL are IS [NOT] NULL; a unary
// minus is (- x) even before a literal (the binder folds -<integer> into
// a constant as PostgreSQL does, so -2147483648 is int4); TRUE and FALSE
// are keywords. Function names are backquoted and compared exactly by
// the binder (FnName.O), except TiDB's grammar-level aggregates and window
// functions, emitted unquoted so that count(*), sum(DISTINCT x) and
// OVER (…) parse.
//
// Helpers for the binder decode these calls from the TiDB AST: IsPGFunc,
// CastTarget (the PGType of a __pg_cast), IntArg and StringArg.
//
// # Side table
//
// SideTable holds what the text cannot: the $n slot map (one ParamSlot
// per ? in emitted order, so $2 … $1 and $1 … $1 work), casts of a
// parameter in LIMIT/OFFSET (ParamCasts), the exact PostgreSQL type of
// every column of CREATE TABLE / ADD COLUMN (Columns: TiDB gets a type of
// the same family; serial types are recorded, never emitted as MySQL
// SERIAL; DEFAULT expressions are parsed separately because TiDB's DEFAULT
// grammar is too narrow), the RETURNING list (a separate Rewrite of
// "SELECT <list>"; the statement is emitted without it), functions in
// FROM, column alias lists, dropped database names of three-part names,
// and ALTER TABLE IF EXISTS.
//
// # Time travel and functions in FROM
//
// lancegate's time-travel syntax follows the table name and its alias:
//
//	SELECT … FROM t [AS a] AS OF TIMESTAMP '2026-01-02 03:04:05+00'
//	SELECT … FROM t [AS a] AS OF VERSION 3
//
// AS OF TIMESTAMP is TiDB's own clause (ast.TableSource.AsOf); AS OF
// VERSION n is emitted as AS OF TIMESTAMP __lg_version(n), so the binder
// tells the two apart by that call. A function in FROM, such as
// SELECT * FROM lance_versions('t') (the versions of table t), or
// generate_series(1, 3) g(n), is emitted as a lateral derived table the
// TiDB grammar accepts:
//
//	LATERAL (SELECT __pg_srf('lance_versions', 't')) AS `lance_versions`
//
// with the function's schema, name, alias (the function name when none is
// written, as in PostgreSQL), column alias list and WITH ORDINALITY flag
// in SideTable.Functions, keyed by the Offset of the __pg_srf call. The
// binder replaces the derived table with the set-returning function
// (functions in FROM are implicitly lateral in PostgreSQL).
//
// # Literals and parameters: the parser driver
//
// The TiDB parser creates literal and marker nodes through package-level
// hooks in package ast; the module ships only a test driver. driver.go
// installs lancegate's own in init (the hooks are global, so init is the
// only place; no package in the binary may import TiDB's test_driver).
// Literals are *Literal with Kind (NULL, bool, integer digits, decimal
// text as written, string value) and Raw text; markers are *ParamMarker,
// numbered after parsing with their Order and PostgreSQL number N from
// the slot map.
//
// # Positions
//
// PostgreSQL reports 1-based character positions in the text the client
// sent. Every emitted token is tied to the original token that produced
// it (an offset map, positions.go). TiDB parse errors ("line 1 column C
// near …") are mapped back to the original token and reported as
// PostgreSQL's `syntax error at or near "x"` / `syntax error at end of
// input`, 42601. TiDB records each expression node's start as a byte
// offset into the emitted text (ast.Node.OriginTextPosition); the binder
// calls Rewrite.NodePosition(node) to get the original position, and
// Rewrite.IdentPositions(name) for nodes TiDB records no offset for
// (table names). Positions of a Piece's statement are relative to the
// piece; Piece.Parse shifts errors to the whole message.
//
// # Not supported yet (0A000 with a position)
//
// ON CONFLICT, DISTINCT ON, FULL JOIN, UPDATE … FROM, DELETE … USING,
// data-modifying WITH, GROUPING SETS/ROLLUP/CUBE, WITHIN GROUP, VARIADIC
// and named arguments, window functions TiDB does not know (with OVER),
// GROUPS frames and EXCLUDE, SIMILAR in SUBSTRING, BETWEEN SYMMETRIC,
// expressions other than literals and parameters in LIMIT/OFFSET,
// FOR NO KEY UPDATE/KEY SHARE, column definition lists, ROWS FROM,
// TABLESAMPLE, CREATE statements other than TABLE (and EXTENSION),
// ALTER TABLE actions other than ADD/DROP COLUMN, DROP of anything but
// tables, TRUNCATE and the other utility statements, temporary tables,
// generated and identity columns, deferrable constraints, pgvector's bit
// operators <~> and <%>, PREPARE TRANSACTION and COMMIT/ROLLBACK PREPARED,
// COPY … WHERE.
package dialect
