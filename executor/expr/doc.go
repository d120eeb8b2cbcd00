// Package expr evaluates scalar expressions with PostgreSQL semantics over
// Arrow batches: column references, constants, parameters, operators and
// functions (resolved from a registry by name and argument types, as
// PostgreSQL resolves overloads), casts, CASE, COALESCE, IN, LIKE/ILIKE,
// IS [NOT] NULL, three-valued AND/OR/NOT, and the pgvector distance
// operators.
//
// The planner builds Expr trees bound to the columns of an operator's
// input; the executor's operators call Eval once per batch, which returns
// one array with a value per row. Kernels work on whole arrays.
//
// Semantics are PostgreSQL's, never MySQL's: integer division truncates,
// division by zero is 22012, integer overflow is 22003, comparison of text
// is byte-wise (collation C), a NULL operand of a strict function gives
// NULL, and vector operands of different dimensions are 22000.
package expr
