// Package expr evaluates scalar expressions with PostgreSQL semantics over
// Arrow batches: column references, constants, parameters, operators and
// functions (resolved from a registry by name and argument types, as
// PostgreSQL resolves overloads), casts, CASE, COALESCE, IN, LIKE/ILIKE,
// IS [NOT] NULL, IS [NOT] DISTINCT FROM, three-valued AND/OR/NOT, the
// pgvector distance operators, and aggregates.
//
// The planner builds Expr trees bound to the columns of an operator's
// input; the executor's operators call Eval once per batch, which returns
// one array with a value per row, of the Arrow type of Type(). Kernels
// work on whole arrays.
//
// # Evaluation
//
// Inside the package an expression that reads no column (a constant, a
// parameter, now(), '[1,2,3]'::vector, a function of those) evaluates to
// an array of one value, computed once per batch; a function kernel sees
// it as an argument of length 1 among arguments of length n and loops
// over the other arguments only. This is what makes "embedding <-> $1"
// a scan of the embedding column against one query vector. Eval
// broadcasts such a value to the batch's row count at the top.
//
// Strict functions (the default) are NULL wherever an argument is NULL;
// kernels compute every row and combine the arguments' validity bitmaps,
// and raise errors (22012, 22003, …) only for rows that are not NULL.
// CASE, COALESCE, AND and OR evaluate an argument only on the rows still
// undecided, so "x <> 0 AND 10 / x > 1" never divides by zero.
//
// A panic inside evaluation (a bug) is turned into an XX000 error at Eval;
// SQL errors are *sqlstate.Error values.
//
// # Functions, operators and casts
//
// Resolve picks the overload of a function or operator for argument
// types with PostgreSQL's rules (resolve.go), including unknown-typed
// literals and parameters, and returns the Function whose Args the
// planner casts the arguments to; the errors are PostgreSQL's (42883
// "operator does not exist: integer - vector", 42725 "operator is not
// unique: unknown + unknown"). Some overloads (interval arithmetic,
// pgvector's halfvec) exist only so that resolution agrees with
// PostgreSQL's catalogue; calling them is 0A000. ImplicitCast,
// AssignCast and CanCast are pg_cast's three contexts; CommonType is
// select_common_type for CASE, COALESCE, IN, VALUES and UNION.
//
// Casts to and from text use the text forms of package pgtype. numeric is
// Arrow decimal128: numeric(p,s) at scale s, unconstrained numeric at
// scale 16, which is the scale every numeric function returns. Vectors
// are list<float32>, or fixed_size_list<float32, n> for vector(n).
//
// Arrays (int4[], text[], oid[], int2vector, …) are Arrow lists of their
// elements, one dimension. The array overloads of functions and operators
// (=, @>, &&, ||, array_length, array_to_string, …; func_array.go) are
// registered once per array type, so resolution treats them like any
// other; ARRAY[…], ARRAY(SELECT …), a[i], a[i:j] and x op ANY/ALL (array)
// are nodes of their own (eval_array.go). Array kernels gather result
// elements as indexes into the argument's values and take them in one
// step, which works for every element type (array_list.go).
//
// Distances are computed as pgvector 0.8 computes them: float32 sums,
// converted to float64 at the end. For 16 dimensions and more, on amd64
// CPUs with AVX2 and FMA, the constant-query case runs assembly kernels
// (distance_amd64.s, KernelImpl reports which) that stream the column's
// flat float32 buffer; elsewhere 4-way unrolled Go loops.
//
// # Aggregates
//
// ResolveAggregate resolves aggregate functions the same way. An
// Accumulator keeps one call's states as arrays indexed by group id
// (struct of arrays) and folds a whole batch per Update; DISTINCT wraps an
// accumulator with a hash table of (group, arguments) tuples.
//
// Semantics are PostgreSQL's, never MySQL's: integer division truncates,
// division by zero is 22012, integer overflow is 22003, comparison of text
// is byte-wise (collation C), a NULL operand of a strict function gives
// NULL, and vector operands of different dimensions are 22000.
package expr
