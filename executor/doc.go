// Package executor runs query plans as trees of vectorised operators over
// Arrow record batches.
//
// # Operators
//
// An Operator yields batches with Next until io.EOF. Batches flow up the
// tree and belong to the caller of Next, which releases them; a batch is
// never empty. Operators evaluate expressions (package expr)
// column-at-a-time: a filter computes a boolean array for the whole batch
// and turns it into a selection vector of row indices; a projection
// computes one array per output column. No operator handles rows as boxed
// values.
//
//	Scan (a Lance dataset snapshot) → Filter → Project → HashAggregate / HashJoin
//	                                → Sort / TopK / Limit → the gateway's row encoder
//
// Each operator has a constructor taking an *expr.Env (allocator,
// parameters, session settings, statement time), its inputs, and a
// configuration struct that is plain data (expressions, column indexes,
// flags), so that plans can later be serialised as fragments:
//
//	NewFilter(env, in, FilterConfig)               WHERE; may also drop columns
//	NewProject(env, in, ProjectConfig)             the select list, with names and PostgreSQL types
//	NewLimit(in, LimitConfig)                      LIMIT / OFFSET
//	NewSort(env, in, SortConfig)                   ORDER BY (stable; NULLS FIRST/LAST)
//	NewTopK(env, in, TopKConfig)                   ORDER BY … LIMIT k, a bounded heap
//	NewHashAggregate(env, in, HashAggregateConfig) GROUP BY and aggregates
//	NewDistinct(env, in, DistinctConfig)           SELECT DISTINCT (streaming)
//	NewHashJoin(env, l, r, HashJoinConfig)         inner and left equi-joins
//	NewNestedLoopJoin(env, l, r, NestedLoopJoinConfig)  other joins, cross joins
//	NewValues(env, ValuesConfig)                   VALUES lists, FROM-less SELECT
//	NewUnionAll(ins)                               UNION ALL
//
// A constructor takes ownership of its inputs: it closes them when it
// fails, and Close closes them. Schema() carries each column's PostgreSQL
// type in field metadata (pgtype.Field), so varchar(10), numeric(10,2) and
// vector(3) survive the trip to the gateway's RowDescription.
//
// Vector search without an index is a TopK over a distance expression: a
// bounded heap of k rows, never a sort of the whole table; per batch one
// loop compares each distance with the worst row kept and only the rows
// that stay in the heap are copied. Grouping, DISTINCT and hash joins
// share the open-addressing table of package hashtable: no Go map per row.
//
// # Lifetime
//
// Every goroutine an operator starts ends when its Close returns (the
// operators here start none). Close releases everything the operator
// holds, including batches not yet returned, and is safe to call after an
// error or before io.EOF. Operators that must see their whole input
// (Sort, TopK, HashAggregate, the build side of joins) read it on the
// first call to Next.
//
// # Errors
//
// Errors carry SQLSTATEs (executor/sqlstate): 22012 division by zero,
// 22003 overflow, 22000 vector dimension mismatches, 57014 cancellation
// (ctx is checked between batches).
package executor
