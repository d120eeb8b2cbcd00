package planner

import (
	"context"
	"errors"
	"io"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// Subqueries in expressions.
//
// A subquery is bound as a query of its own, whose plan is kept in
// binder.subplans (and Prepared.subplans) and run by the expression
// expr.Subquery through the execution (RunSubplan). While the inner query
// is bound, the outer query's scope is pushed on binder.outer: a column
// the inner scopes lack is looked up there and becomes an expr.OuterRef,
// with the outer column added to the Subquery's Outer list. A reference
// two levels out is passed through the intermediate subquery's own Outer
// list, so each level reads only its parent's row.

// outerFrame is the scope of a query enclosing the subquery being bound.
type outerFrame struct {
	sc   *scope
	refs []expr.Expr
}

// bindSubquery binds the query of a subquery expression and returns its
// plan's id, its output columns and the outer expressions it reads.
func (b *binder) bindSubquery(q ast.ResultSetNode, sc *scope) (int, []column, []expr.Expr, error) {
	if sc == nil {
		sc = &scope{}
	}
	frame := &outerFrame{sc: sc}
	b.outer = append(b.outer, frame)
	agg, targets := b.agg, b.insertTargets
	b.agg, b.insertTargets = nil, nil
	bq, err := b.bindQuery(q)
	b.agg, b.insertTargets = agg, targets
	b.outer = b.outer[:len(b.outer)-1]
	if err != nil {
		return 0, nil, nil, err
	}
	b.subplans = append(b.subplans, useIndexes(pruneRoot(pushFilters(bq.root))))
	return len(b.subplans) - 1, bq.cols, frame.refs, nil
}

// outerColumn resolves a column the current scope lacks in the enclosing
// queries' scopes (innermost first), returning the OuterRef the current
// subquery reads it through; ok is false when no enclosing scope has it.
func (b *binder) outerColumn(table, name string, pos int) (expr.Expr, bool, error) {
	return b.outerAt(len(b.outer)-1, table, name, pos)
}

func (b *binder) outerAt(level int, table, name string, pos int) (expr.Expr, bool, error) {
	if level < 0 {
		return nil, false, nil
	}
	f := b.outer[level]
	var ref expr.Expr
	if i, err := f.sc.lookup(table, name, pos); err == nil {
		c := f.sc.cols[i]
		ref = &expr.Column{Index: i, T: c.typ, Name: c.name}
	} else if code := sqlstate.CodeOf(err); code != sqlstate.UndefinedColumn && code != sqlstate.UndefinedTable {
		return nil, false, err
	} else {
		up, ok, err := b.outerAt(level-1, table, name, pos)
		if err != nil || !ok {
			return nil, ok, err
		}
		ref = up
	}
	for k, r := range f.refs {
		if sameRef(r, ref) {
			return &expr.OuterRef{Index: k, T: ref.Type()}, true, nil
		}
	}
	f.refs = append(f.refs, ref)
	return &expr.OuterRef{Index: len(f.refs) - 1, T: ref.Type()}, true, nil
}

func sameRef(a, b expr.Expr) bool {
	switch x := a.(type) {
	case *expr.Column:
		y, ok := b.(*expr.Column)
		return ok && x.Index == y.Index
	case *expr.OuterRef:
		y, ok := b.(*expr.OuterRef)
		return ok && x.Index == y.Index
	}
	return false
}

func (b *binder) bindSubqueryExpr(e ast.ExprNode, sc *scope) (expr.Expr, error) {
	switch n := e.(type) {
	case *ast.SubqueryExpr:
		id, cols, outer, err := b.bindSubquery(n.Query, sc)
		if err != nil {
			return nil, err
		}
		if len(cols) != 1 {
			return nil, sqlstate.New(sqlstate.SyntaxError, "subquery must return only one column").WithPosition(b.pos(n))
		}
		return &expr.Subquery{Kind: expr.SubqueryScalar, ID: id, Outer: outer, T: cols[0].typ}, nil
	case *ast.ExistsSubqueryExpr:
		q, ok := n.Sel.(*ast.SubqueryExpr)
		if !ok {
			return nil, sqlstate.New(sqlstate.SyntaxError, "EXISTS needs a subquery").WithPosition(b.pos(n))
		}
		id, _, outer, err := b.bindSubquery(q.Query, sc)
		if err != nil {
			return nil, err
		}
		var out expr.Expr = &expr.Subquery{Kind: expr.SubqueryExists, ID: id, Outer: outer, T: pgtype.Bool}
		if n.Not {
			out = &expr.Not{Arg: out}
		}
		return out, nil
	case *ast.CompareSubqueryExpr:
		q, ok := n.R.(*ast.SubqueryExpr)
		if !ok {
			return nil, sqlstate.New(sqlstate.SyntaxError, "ANY/ALL needs a subquery").WithPosition(b.pos(n))
		}
		op, ok := binaryOps[n.Op]
		if !ok {
			return nil, sqlstate.New(sqlstate.FeatureNotSupported, "operator %s is not supported with ANY/ALL", n.Op).WithPosition(b.pos(n))
		}
		kind := expr.SubqueryAny
		if n.All {
			kind = expr.SubqueryAll
		}
		return b.quantified(n.L, q.Query, op, kind, sc, n)
	}
	return nil, sqlstate.New(sqlstate.FeatureNotSupported, "subquery %T is not supported", e).WithPosition(b.pos(e))
}

// bindInSubquery binds x [NOT] IN (SELECT …) as x = ANY (SELECT …).
func (b *binder) bindInSubquery(n *ast.PatternInExpr, sc *scope) (expr.Expr, error) {
	q, ok := n.Sel.(*ast.SubqueryExpr)
	if !ok {
		return nil, sqlstate.New(sqlstate.SyntaxError, "IN needs a subquery").WithPosition(b.pos(n))
	}
	out, err := b.quantified(n.Expr, q.Query, binaryOps[opcode.EQ], expr.SubqueryAny, sc, n)
	if err != nil || !n.Not {
		return out, err
	}
	return &expr.Not{Arg: out}, nil
}

// quantified binds x op ANY/ALL (query): the test compares x, read from
// the outer row as the last outer reference, with the inner column.
func (b *binder) quantified(left ast.ExprNode, q ast.ResultSetNode, op string, kind expr.SubqueryKind, sc *scope, n ast.Node) (expr.Expr, error) {
	x, err := b.bindExpr(left, sc)
	if err != nil {
		return nil, err
	}
	id, cols, outer, err := b.bindSubquery(q, sc)
	if err != nil {
		return nil, err
	}
	if len(cols) != 1 {
		return nil, sqlstate.New(sqlstate.SyntaxError, "subquery has too many columns").WithPosition(b.pos(n))
	}
	ref := &expr.OuterRef{Index: len(outer), T: x.Type()}
	test, err := b.call(op, []expr.Expr{ref, &expr.Column{Index: 0, T: cols[0].typ, Name: cols[0].name}}, n)
	if err != nil {
		return nil, err
	}
	if ref.T == pgtype.Unknown {
		// An untyped literal took the inner column's type in the call.
		x, err = b.coerce(x, cols[0].typ, n)
		if err != nil {
			return nil, err
		}
		ref.T = x.Type()
	}
	return &expr.Subquery{Kind: kind, ID: id, Outer: append(outer, x), Test: test, T: pgtype.Bool}, nil
}

// RunSubplan implements expr.Subplans: it runs subquery plan id with env
// and returns its first column.
func (x *execution) RunSubplan(ctx context.Context, env *expr.Env, id int) (arrow.Array, error) {
	if id < 0 || id >= len(x.subplans) {
		return nil, sqlstate.New(sqlstate.InternalError, "no subquery plan %d", id)
	}
	inner := &execution{ctx: ctx, cat: x.cat, env: env, params: x.params, subplans: x.subplans}
	op, err := inner.build(x.subplans[id])
	if err != nil {
		return nil, err
	}
	defer op.Close()
	return firstColumn(ctx, op, env)
}

// firstColumn drains op and returns its first column (a null array of the
// row count when op has no column).
func firstColumn(ctx context.Context, op executor.Operator, env *expr.Env) (arrow.Array, error) {
	var parts []arrow.Array
	defer func() {
		for _, p := range parts {
			p.Release()
		}
	}()
	rows := 0
	for {
		rec, err := op.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		rows += int(rec.NumRows())
		if rec.NumCols() > 0 {
			c := rec.Column(0)
			c.Retain()
			parts = append(parts, c)
		}
		rec.Release()
	}
	if len(parts) == 0 {
		dt := arrow.DataType(arrow.Null)
		if s := op.Schema(); s != nil && s.NumFields() > 0 {
			dt = s.Field(0).Type
		}
		return array.MakeArrayOfNull(env.Mem, dt, rows), nil
	}
	return array.Concatenate(parts, env.Mem)
}
