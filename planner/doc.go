// Package planner turns one SQL statement into a plan the executor runs,
// with PostgreSQL's semantics.
//
//	client text ─▶ dialect (planner/dialect): PG lexer, rewrite to TiDB-dialect text, TiDB parser
//	           ─▶ binder (bind_*.go): names → columns, PG typing and overloads, parameter types
//	           ─▶ plan nodes (plan.go): scan, filter, project, aggregate, window, sort, top-k, limit,
//	              join, union, unnest; subqueries in expressions as plans of their own (bind_subquery.go)
//	           ─▶ rules: WHERE conjuncts pushed into joins (pushdown.go); rules.go: Sort+Limit → TopK
//	              (exact vector search), column pruning;
//	              vector.go: vector search through an index; distribute.go: with plan
//	              executors, Gather nodes for scans, partial aggregates and top-k
//	           ─▶ build (build.go): executor operators, once per execution
//
// # A worked query
//
//	SELECT id, embedding <-> $1 AS d FROM items WHERE cat = 'b' ORDER BY d LIMIT 5
//
// The dialect bridge rewrites the pgvector operator to VEC_L2_DISTANCE and
// $1 to a marker. The binder resolves items (a Catalog snapshot), binds cat
// = 'b' (the literal is unknown-typed, so it is parsed as text), resolves
// <-> for (vector(3), unknown) to the vector overload, which types $1 as
// vector, and names the output columns id and d. ORDER BY d refers to the
// second output column. The plan is
//
//	TopK 5 by d
//	  -> Project id, VEC_L2_DISTANCE(embedding, $1)
//	       -> Filter cat = 'b'
//	            -> Scan items [id, cat, embedding]
//
// and executes as a scan feeding a bounded heap: the whole table is never
// sorted.
//
// # Binding rules
//
// Untyped literals and parameters stay of type unknown until a context
// fixes their type (an operator's other operand, a column assigned to, a
// cast); parameters nothing types become text, as PostgreSQL does.
// Aggregation follows SQL: above an aggregate only grouped expressions and
// aggregates are visible (42803 otherwise). Names are compared exactly:
// the dialect bridge has already folded unquoted identifiers.
//
// # Snapshots
//
// A prepared plan names its tables; every execution resolves them again
// through the Catalog it is given (the gateway's view: a statement's or a
// transaction's snapshot). A table whose columns changed since binding
// fails with 0A000 "cached plan must not change result type", which
// drivers answer by preparing again.
//
// # Distributed plans
//
// When the Catalog has a Cluster (a query node with plan executors), the
// rule distribute turns each scan with its filter and projection, and an
// aggregation or top-k directly above one, into a remoteNode. Building it
// encodes the subtree as an executor/spec Fragment over the table's data
// fragments (PiecedTable) and runs it on the Cluster; a final aggregate
// or top-k on the query node completes it. The node keeps the subtree it
// replaced and builds that instead whenever executors cannot serve it: a
// transaction's pending writes, a vector search an index serves, an
// expression without a wire form. The planner sees only the Cluster
// interface; it never imports executor/remote.
//
// # Subqueries, CTEs, windows
//
// A subquery in an expression is bound as a plan of its own (its id in
// Prepared.subplans) and evaluated by expr.Subquery through the
// execution's RunSubplan; a column the subquery's scopes lack is looked up
// in the enclosing queries' scopes and read through expr.OuterRef, once
// per outer row. WITH queries are inlined at each reference
// (bind_with.go). UNION concatenates (unionNode, under a distinctNode
// without ALL); INTERSECT and EXCEPT are a setOpNode, run by
// executor.HashSetOp (bind_setop.go). WITH RECURSIVE is a recursiveNode
// whose recursive term reads a workNode, run by executor.RecursiveUnion
// (bind_recursive.go). Window functions (ranking, values and aggregates) add a
// windowNode between the input and the select list (bind_window.go).
//
// # Not yet
//
// Window frames with offsets, nth_value, aggregates with different
// ORDER BYs in one query, column
// defaults other than serial and identity, and constraints other than NOT
// NULL and PRIMARY KEY are refused with 0A000 and a position.
package planner
