package planner

import (
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/scalar"
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/planner/dialect"
)

// Arrays. The dialect bridge turns PostgreSQL's array syntax into calls
// (planner/dialect/doc.go): __pg_array(e, …) is ARRAY[e, …],
// __pg_array_sub((SELECT …)) is ARRAY(SELECT …), __pg_subscript(a, i) and
// __pg_slice(a, i, j) are a[i] and a[i:j], __pg_any('op', x, a) and
// __pg_all(…) are x op ANY|ALL (a). They bind to the expr package's array
// nodes (executor/expr/eval_array.go); array functions and operators
// resolve like any other (executor/expr/func_array.go). unnest(array) in
// FROM becomes an unnestNode, evaluated once per execution.
//
// Types follow PostgreSQL's polymorphism: ARRAY[…] takes the common type
// of its elements (text when all are unknown); in x op ANY (a) an untyped
// a (a literal '{1,2}' or a parameter) is an array of x's type, so
// "id = ANY($1)" describes $1 as int8[] for an int8 id.

// bindArrayCall binds the __pg_ array calls of the dialect bridge.
func (b *binder) bindArrayCall(name string, n *ast.FuncCallExpr, sc *scope) (expr.Expr, error) {
	switch name {
	case "__pg_array":
		return b.bindArrayCtor(n, sc)
	case "__pg_array_sub":
		return b.bindArraySub(n, sc)
	case "__pg_subscript", "__pg_slice":
		return b.bindSubscript(name == "__pg_slice", n, sc)
	case "__pg_any", "__pg_all":
		return b.bindArrayQuantified(name == "__pg_all", n, sc)
	}
	return nil, sqlstate.New(sqlstate.InternalError, "not an array construct: %s", name)
}

// bindArrayCtor binds ARRAY[e1, e2, …].
func (b *binder) bindArrayCtor(n *ast.FuncCallExpr, sc *scope) (expr.Expr, error) {
	if len(n.Args) == 0 {
		// ARRAY[] has a type only through a cast (ARRAY[]::int[]): bind it
		// as the untyped literal '{}', which the cast parses.
		return &expr.Const{Value: scalar.NewStringScalar("{}"), T: pgtype.Unknown}, nil
	}
	for _, a := range n.Args {
		if name, ok := isPGCall(a); ok && name == "__pg_array" {
			return nil, sqlstate.New(sqlstate.FeatureNotSupported, "multidimensional arrays are not supported").WithPosition(b.pos(a))
		}
	}
	args, err := b.bindArgs(n.Args, sc)
	if err != nil {
		return nil, err
	}
	args, err = b.unify(args, n, "ARRAY")
	if err != nil {
		return nil, err
	}
	et := args[0].Type()
	at, ok := pgtype.ArrayOf(et)
	if !ok || pgtype.IsVectorArray(at.OID) {
		return nil, sqlstate.New(sqlstate.UndefinedObject, "could not find array type for data type %s", et).WithPosition(b.pos(n))
	}
	at.Mod = -1
	return &expr.ArrayExpr{Elems: args, T: at}, nil
}

// castColumnName is the column name of an unaliased cast of a constant:
// the type's name, the element's for an array type ('{1}'::int[] is
// int4), as PostgreSQL's FigureColname takes the type name as written.
func castColumnName(t pgtype.Type) string {
	if i := t.Info(); i.Category == 'A' && i.Elem != 0 && strings.HasPrefix(i.Name, "_") {
		return pgtype.ElemOf(t).Info().Name
	}
	return t.Info().Name
}

// isPGCall returns the name of a __pg_ call.
func isPGCall(e ast.ExprNode) (string, bool) {
	fc, ok := e.(*ast.FuncCallExpr)
	if !ok {
		return "", false
	}
	return dialect.IsPGFunc(fc)
}

// bindArraySub binds ARRAY(SELECT …).
func (b *binder) bindArraySub(n *ast.FuncCallExpr, sc *scope) (expr.Expr, error) {
	if len(n.Args) != 1 {
		return nil, sqlstate.New(sqlstate.SyntaxError, "malformed ARRAY(SELECT …)").WithPosition(b.pos(n))
	}
	q, ok := n.Args[0].(*ast.SubqueryExpr)
	if !ok {
		return nil, sqlstate.New(sqlstate.SyntaxError, "ARRAY(…) needs a subquery").WithPosition(b.pos(n))
	}
	id, cols, outer, err := b.bindSubquery(q.Query, sc)
	if err != nil {
		return nil, err
	}
	if len(cols) != 1 {
		return nil, sqlstate.New(sqlstate.SyntaxError, "subquery must return only one column").WithPosition(b.pos(n))
	}
	et := cols[0].typ
	if et == pgtype.Unknown {
		et = pgtype.Text
	}
	at, ok := pgtype.ArrayOf(et)
	if !ok || pgtype.IsVectorArray(at.OID) {
		return nil, sqlstate.New(sqlstate.UndefinedObject, "could not find array type for data type %s", et).WithPosition(b.pos(n))
	}
	at.Mod = -1
	return &expr.ArraySubquery{ID: id, Outer: outer, T: at}, nil
}

// bindSubscript binds a[i] and a[i:j]; subscripts are integers.
func (b *binder) bindSubscript(slice bool, n *ast.FuncCallExpr, sc *scope) (expr.Expr, error) {
	want := 2
	if slice {
		want = 3
	}
	if len(n.Args) != want {
		return nil, sqlstate.New(sqlstate.SyntaxError, "malformed subscript").WithPosition(b.pos(n))
	}
	args, err := b.bindArgs(n.Args, sc)
	if err != nil {
		return nil, err
	}
	arr := args[0]
	if !pgtype.IsArray(arr.Type().OID) || arr.Type().OID == pgtype.OIDVectorArray {
		return nil, sqlstate.New(sqlstate.DatatypeMismatch, "cannot subscript type %s because it does not support subscripting", arr.Type()).WithPosition(b.pos(n))
	}
	for i := 1; i < len(args); i++ {
		switch args[i].Type().OID {
		case pgtype.OIDInt4:
		case pgtype.OIDInt2, pgtype.OIDUnknown:
			if args[i], err = b.coerce(args[i], pgtype.Int4, n); err != nil {
				return nil, err
			}
		default:
			return nil, sqlstate.New(sqlstate.DatatypeMismatch, "array subscript must have type integer").WithPosition(b.pos(n.Args[i]))
		}
	}
	if slice {
		return &expr.Slice{Arr: arr, Lo: args[1], Hi: args[2]}, nil
	}
	return &expr.Subscript{Arr: arr, Index: args[1]}, nil
}

// bindArrayQuantified binds x op ANY|ALL (a).
func (b *binder) bindArrayQuantified(all bool, n *ast.FuncCallExpr, sc *scope) (expr.Expr, error) {
	if len(n.Args) != 3 {
		return nil, sqlstate.New(sqlstate.SyntaxError, "malformed ANY/ALL").WithPosition(b.pos(n))
	}
	op, ok := constString(n.Args[0])
	if !ok {
		return nil, sqlstate.New(sqlstate.SyntaxError, "malformed ANY/ALL").WithPosition(b.pos(n))
	}
	args, err := b.bindArgs(n.Args[1:], sc)
	if err != nil {
		return nil, err
	}
	x, arr := args[0], args[1]
	if arr.Type().OID == pgtype.OIDUnknown {
		xt := x.Type()
		if xt.OID == pgtype.OIDUnknown {
			xt = pgtype.Text
		}
		at, ok := pgtype.ArrayOf(pgtype.Type{OID: xt.OID, Mod: -1})
		if !ok || pgtype.IsVectorArray(at.OID) {
			return nil, sqlstate.New(sqlstate.UndefinedObject, "could not find array type for data type %s", xt).WithPosition(b.pos(n))
		}
		if arr, err = b.coerce(arr, at, n); err != nil {
			return nil, err
		}
	}
	if !pgtype.IsArray(arr.Type().OID) || arr.Type().OID == pgtype.OIDVectorArray {
		return nil, sqlstate.New(sqlstate.WrongObjectType, "op ANY/ALL (array) requires array on right side").WithPosition(b.pos(n))
	}
	et := pgtype.ElemOf(arr.Type())
	et.Mod = -1
	if x.Type().OID == pgtype.OIDUnknown {
		if x, err = b.coerce(x, et, n); err != nil {
			return nil, err
		}
	}
	test, err := b.call(op, []expr.Expr{&expr.Column{Index: 0, T: x.Type(), Name: "x"}, &expr.Column{Index: 1, T: et, Name: "elem"}}, n)
	if err != nil {
		return nil, err
	}
	if test.Type().OID != pgtype.OIDBool {
		return nil, sqlstate.New(sqlstate.DatatypeMismatch, "op ANY/ALL (array) requires operator to yield boolean").WithPosition(b.pos(n))
	}
	return &expr.ArrayQuantified{Arg: x, Arr: arr, Test: test, All: all}, nil
}

// unnestNode is unnest(array) in FROM: one row per element, and the
// element's 1-based position when WITH ORDINALITY is written.
type unnestNode struct {
	arg        expr.Expr // reads no columns (outer references at most)
	ordinality bool
	out        []column
}

func (n *unnestNode) columns() []column { return n.out }
func (n *unnestNode) inputs() []node    { return nil }
func (n *unnestNode) label() string     { return "Unnest " + n.arg.String() }

// ordinalitySource is implemented by sources that know WITH ORDINALITY.
type ordinalitySource interface {
	Ordinality(ts *ast.TableSource) bool
}

// Ordinality reports whether the function in FROM item ts has WITH
// ORDINALITY.
func (s dialectSource) Ordinality(ts *ast.TableSource) bool {
	for _, f := range s.rw.Side.Functions {
		if f.Alias == ts.AsName.O {
			return f.Ordinality
		}
	}
	return false
}

// bindUnnest binds unnest(array) in FROM. The column is named after the
// alias (or unnest), as in PostgreSQL; the array reads no column of the
// query's own FROM items.
func (b *binder) bindUnnest(fn *ast.FuncCallExpr, ts *ast.TableSource) (node, *scope, error) {
	if len(fn.Args) != 1 {
		return nil, nil, sqlstate.New(sqlstate.FeatureNotSupported, "unnest takes one array").WithPosition(b.pos(fn))
	}
	// Columns of the enclosing queries (unnest(t.reloptions) in a
	// subquery) are outer references, evaluated per outer row; columns of
	// sibling FROM items (LATERAL) are not visible.
	x, err := b.bindExpr(fn.Args[0], &scope{})
	if err != nil {
		return nil, nil, err
	}
	t := x.Type()
	if t.OID == pgtype.OIDUnknown {
		return nil, nil, sqlstate.New(sqlstate.AmbiguousFunction, "function unnest(unknown) is not unique").
			WithHint("Could not choose a best candidate function. You might need to add explicit type casts.").WithPosition(b.pos(fn))
	}
	if !pgtype.IsArray(t.OID) || t.OID == pgtype.OIDVectorArray {
		return nil, nil, sqlstate.New(sqlstate.UndefinedFunction, "function unnest(%s) does not exist", t).WithPosition(b.pos(fn))
	}
	alias := ts.AsName.O
	col := alias
	if col == "" {
		alias, col = "unnest", "unnest"
	}
	et := pgtype.ElemOf(t)
	out := []column{{table: alias, name: col, typ: et}}
	ord := false
	if os, ok := b.src.(ordinalitySource); ok {
		ord = os.Ordinality(ts)
	}
	if ord {
		out = append(out, column{table: alias, name: "ordinality", typ: pgtype.Int8})
	}
	for i, c := range b.src.ColumnAliases(ts) {
		if i < len(out) {
			out[i].name = c
		}
	}
	return &unnestNode{arg: x, ordinality: ord, out: out}, &scope{cols: out}, nil
}

// buildUnnest evaluates the array and yields its elements as rows.
func (x *execution) buildUnnest(n *unnestNode) (executor.Operator, error) {
	rec := array.NewRecord(arrow.NewSchema(nil, nil), nil, 1)
	defer rec.Release()
	a, err := n.arg.Eval(x.ctx, x.env, rec)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	var rows [][]expr.Expr
	if l, ok := a.(*array.List); ok && l.IsValid(0) {
		beg, end := l.ValueOffsets(0)
		vals := l.ListValues()
		et := n.out[0].typ
		for i := beg; i < end; i++ {
			var v scalar.Scalar
			if vals.IsValid(int(i)) {
				if v, err = scalar.GetScalar(vals, int(i)); err != nil {
					return nil, sqlstate.Wrap(err, sqlstate.InternalError, "unnest: %v", err)
				}
			}
			r := []expr.Expr{&expr.Const{Value: v, T: et}}
			if n.ordinality {
				r = append(r, &expr.Const{Value: scalar.NewInt64Scalar(i - beg + 1), T: pgtype.Int8})
			}
			rows = append(rows, r)
		}
	}
	return executor.NewValues(x.env, executor.ValuesConfig{Rows: rows, Names: names(n.out), Types: columnTypes(n.out)})
}

// arrayChildren returns the expressions an array node reads from its
// input (not ArrayQuantified's Test, which reads its own batch).
func arrayChildren(e expr.Expr) []expr.Expr {
	switch n := e.(type) {
	case *expr.ArrayExpr:
		return n.Elems
	case *expr.Subscript:
		return []expr.Expr{n.Arr, n.Index}
	case *expr.Slice:
		var out []expr.Expr
		for _, c := range []expr.Expr{n.Arr, n.Lo, n.Hi} {
			if c != nil {
				out = append(out, c)
			}
		}
		return out
	case *expr.ArrayQuantified:
		return []expr.Expr{n.Arg, n.Arr}
	case *expr.ArraySubquery:
		return n.Outer
	}
	return nil
}

// shiftArray rebuilds an array node with its input expressions mapped by
// rec; ok is false for other nodes.
func shiftArray(e expr.Expr, rec func(expr.Expr) expr.Expr) (expr.Expr, bool) {
	opt := func(x expr.Expr) expr.Expr {
		if x == nil {
			return nil
		}
		return rec(x)
	}
	all := func(es []expr.Expr) []expr.Expr {
		out := make([]expr.Expr, len(es))
		for i, x := range es {
			out[i] = rec(x)
		}
		return out
	}
	switch n := e.(type) {
	case *expr.ArrayExpr:
		return &expr.ArrayExpr{Elems: all(n.Elems), T: n.T}, true
	case *expr.Subscript:
		return &expr.Subscript{Arr: rec(n.Arr), Index: rec(n.Index)}, true
	case *expr.Slice:
		return &expr.Slice{Arr: rec(n.Arr), Lo: opt(n.Lo), Hi: opt(n.Hi)}, true
	case *expr.ArrayQuantified:
		return &expr.ArrayQuantified{Arg: rec(n.Arg), Arr: rec(n.Arr), Test: n.Test, All: n.All}, true
	case *expr.ArraySubquery:
		return &expr.ArraySubquery{ID: n.ID, Outer: all(n.Outer), T: n.T}, true
	}
	return nil, false
}
