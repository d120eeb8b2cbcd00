// Package executor runs query plans as trees of vectorised operators over
// Arrow record batches.
//
// # Operators
//
// An Operator yields batches with Next until io.EOF. Batches flow up the
// tree and belong to the caller of Next, which releases them. Operators
// evaluate expressions (package expr) column-at-a-time: a filter computes a
// boolean array for the whole batch and keeps the selected rows; a
// projection computes one array per output column. No operator handles
// rows as boxed values.
//
//	Scan (a Lance dataset snapshot) → Filter → Project → HashAggregate / HashJoin
//	                                → Sort / TopK / Limit → the gateway's row encoder
//
// Vector search without an index is a TopK over a distance expression: a
// bounded heap of k rows, never a sort of the whole table.
//
// # Lifetime
//
// Every goroutine an operator starts ends when its Close returns. Close
// releases everything the operator holds, including batches not yet
// returned, and is safe to call after an error or before io.EOF.
//
// # Errors
//
// Errors carry SQLSTATEs (executor/sqlstate): 22012 division by zero,
// 22003 overflow, 22000 vector dimension mismatches, 57014 cancellation.
package executor
