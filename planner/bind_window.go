package planner

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// Window functions: row_number(), rank() and dense_rank(); lag, lead,
// first_value, last_value, ntile, percent_rank and cume_dist; and the
// aggregates (count, sum, avg, min, max, bool_and, bool_or, array_agg,
// string_agg) OVER (PARTITION BY … ORDER BY … [frame]). Each call becomes
// a windowNode between the FROM/WHERE (or aggregation) input and the
// select list: it appends the function's column, which the select list and
// ORDER BY then read in place of the call. An aggregate's frame is the
// whole partition, or from its start to the current row (RANGE: with the
// row's peers, the default with ORDER BY; ROWS: without); other frames,
// named windows and DISTINCT are 0A000.

// windowNode computes one window's functions over its input.
type windowNode struct {
	in        node
	partition []expr.Expr
	order     []sortKey
	funcs     []executor.WindowFunc
	aggs      []executor.WindowAggregate
	values    []executor.WindowValue
	out       []column
}

func (n *windowNode) columns() []column { return n.out }
func (n *windowNode) inputs() []node    { return []node{n.in} }
func (n *windowNode) label() string {
	parts := make([]string, len(n.partition))
	for i, p := range n.partition {
		parts[i] = p.String()
	}
	s := "WindowAgg"
	if len(parts) > 0 {
		s += " Partition: " + strings.Join(parts, ", ")
	}
	if len(n.order) > 0 {
		s += " Order: " + keysString(n.order)
	}
	return s
}

var windowFuncs = map[string]executor.WindowFunc{
	"row_number": executor.RowNumber, "rank": executor.Rank, "dense_rank": executor.DenseRank,
}

// windowCalls lists the window function calls of a SELECT's list and
// ORDER BY (not those of subqueries).
func windowCalls(s *ast.SelectStmt) []*ast.WindowFuncExpr {
	var out []*ast.WindowFuncExpr
	collect := func(e ast.Node) {
		e.Accept(&visitor{enter: func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.SubqueryExpr, *ast.SelectStmt:
				return false
			case *ast.WindowFuncExpr:
				out = append(out, x)
				return false
			}
			return true
		}})
	}
	for _, f := range s.Fields.Fields {
		if f.Expr != nil {
			collect(f.Expr)
		}
	}
	if s.OrderBy != nil {
		for _, it := range s.OrderBy.Items {
			collect(it.Expr)
		}
	}
	return out
}

// bindWindows adds a windowNode per window function call of s over in and
// returns the scope with the functions' columns appended (hidden); the
// calls then bind to those columns (binder.windows).
func (b *binder) bindWindows(s *ast.SelectStmt, in node, sc *scope) (node, *scope, error) {
	calls := windowCalls(s)
	if len(calls) == 0 {
		return in, sc, nil
	}
	if len(s.WindowSpecs) > 0 {
		return nil, nil, sqlstate.New(sqlstate.FeatureNotSupported, "named windows (WINDOW w AS …) are not supported yet").WithPosition(b.pos(s))
	}
	if b.windows == nil {
		b.windows = map[*ast.WindowFuncExpr]windowCol{}
	}
	// Above an aggregation sc is the aggregation's scope, which the
	// binder maps to the aggregate's outputs (aggMatch); the window
	// columns are then only reachable through binder.windows.
	out := sc
	if b.agg == nil {
		out = &scope{cols: append([]column(nil), sc.cols...)}
	}
	for _, w := range calls {
		name, args := windowCallParts(w)
		if w.Spec.Name.O != "" || w.Spec.Ref.O != "" {
			return nil, nil, sqlstate.New(sqlstate.FeatureNotSupported, "named windows are not supported yet").WithPosition(b.pos(w))
		}
		wn := &windowNode{in: in}
		if w.Spec.PartitionBy != nil {
			for _, it := range w.Spec.PartitionBy.Items {
				p, err := b.bindExpr(it.Expr, sc)
				if err != nil {
					return nil, nil, err
				}
				wn.partition = append(wn.partition, p)
			}
		}
		if w.Spec.OrderBy != nil {
			for _, it := range w.Spec.OrderBy.Items {
				e, nullsFirst, hasNulls := unwrapNulls(it.Expr)
				k, err := b.bindExpr(e, sc)
				if err != nil {
					return nil, nil, err
				}
				if !hasNulls {
					nullsFirst = it.Desc
				}
				wn.order = append(wn.order, sortKey{e: k, desc: it.Desc, nullsFirst: nullsFirst})
			}
		}
		col := column{name: name, typ: pgtype.Int8, hidden: true}
		if fn, ok := windowFuncs[name]; ok {
			if len(args) > 0 {
				return nil, nil, sqlstate.New(sqlstate.UndefinedFunction, "function %s takes no arguments", name).WithPosition(b.pos(w))
			}
			wn.funcs = []executor.WindowFunc{fn}
		} else if aggregateNames[name] {
			frame, err := b.windowFrame(w, len(wn.order) > 0)
			if err != nil {
				return nil, nil, err
			}
			call, err := b.bindWindowAggregate(w, name, args, sc)
			if err != nil {
				return nil, nil, err
			}
			wn.aggs = []executor.WindowAggregate{{Call: call, Frame: frame}}
			col.typ = call.Agg.Result
		} else if kind, ok := windowValues[name]; ok {
			v, err := b.bindWindowValue(w, name, kind, args, len(wn.order) > 0, sc)
			if err != nil {
				return nil, nil, err
			}
			wn.values = []executor.WindowValue{v}
			col.typ = v.Result
		} else {
			return nil, nil, sqlstate.New(sqlstate.FeatureNotSupported, "window function %s is not supported yet", name).WithPosition(b.pos(w))
		}
		wn.out = append(append([]column(nil), in.columns()...), col)
		wc := windowCol{index: len(wn.out) - 1, typ: col.typ, name: name}
		if len(wn.aggs) == 1 && len(wn.aggs[0].Call.Args) > 0 {
			wc.arg = wn.aggs[0].Call.Args[0]
		}
		b.windows[w] = wc
		if b.agg == nil {
			out.cols = append(out.cols, col)
		}
		in = wn
	}
	return in, out, nil
}

// bindWindowRef binds a window function call to the column its windowNode
// computes.
func (b *binder) bindWindowRef(w *ast.WindowFuncExpr, sc *scope) (expr.Expr, error) {
	c, ok := b.windows[w]
	if !ok {
		return nil, sqlstate.New(sqlstate.WindowingError, "window functions are not allowed here").WithPosition(b.pos(w))
	}
	col := &expr.Column{Index: c.index, T: c.typ, Name: c.name}
	if c.arg != nil {
		return aggregateScale(c.name, c.arg, col), nil
	}
	return col, nil
}

// windowValues are the window-only functions other than the ranking ones.
var windowValues = map[string]executor.WindowValueKind{
	"lag": executor.Lag, "lead": executor.Lead, "first_value": executor.FirstValue, "last_value": executor.LastValue,
	"ntile": executor.NTile, "percent_rank": executor.PercentRank, "cume_dist": executor.CumeDist,
}

// bindWindowValue binds lag(x [, offset [, default]]), lead(…),
// first_value(x), last_value(x), ntile(n), percent_rank() and
// cume_dist(). Offsets and bucket counts must be constants.
func (b *binder) bindWindowValue(w *ast.WindowFuncExpr, name string, kind executor.WindowValueKind, args []ast.ExprNode, ordered bool, sc *scope) (executor.WindowValue, error) {
	v := executor.WindowValue{Kind: kind, Offset: 1}
	arity := map[executor.WindowValueKind][2]int{
		executor.Lag: {1, 3}, executor.Lead: {1, 3}, executor.FirstValue: {1, 1}, executor.LastValue: {1, 1},
		executor.NTile: {1, 1}, executor.PercentRank: {0, 0}, executor.CumeDist: {0, 0},
	}[kind]
	if len(args) < arity[0] || len(args) > arity[1] {
		return v, sqlstate.New(sqlstate.UndefinedFunction, "function %s with %d arguments does not exist", name, len(args)).WithPosition(b.pos(w))
	}
	constArg := func(e ast.ExprNode, what string) (int64, error) {
		for {
			p, ok := e.(*ast.ParenthesesExpr)
			if !ok {
				break
			}
			e = p.Expr
		}
		n, ok := constInt(e)
		if !ok {
			return 0, sqlstate.New(sqlstate.FeatureNotSupported, "the %s of %s must be an integer constant", what, name).WithPosition(b.pos(e))
		}
		return n, nil
	}
	var err error
	switch kind {
	case executor.PercentRank, executor.CumeDist:
		v.Result = pgtype.Float8
		return v, nil
	case executor.NTile:
		if v.Offset, err = constArg(args[0], "bucket count"); err != nil {
			return v, err
		}
		if v.Offset <= 0 {
			return v, sqlstate.New(sqlstate.InvalidArgumentForNtile, "argument of ntile must be greater than zero")
		}
		v.Result = pgtype.Int8
		return v, nil
	case executor.FirstValue, executor.LastValue:
		if v.Frame, err = b.windowFrame(w, ordered); err != nil {
			return v, err
		}
	}
	if v.Arg, err = b.bindExpr(args[0], sc); err != nil {
		return v, err
	}
	if v.Arg.Type() == pgtype.Unknown {
		if v.Arg, err = b.coerce(v.Arg, pgtype.Text, args[0]); err != nil {
			return v, err
		}
	}
	v.Result = v.Arg.Type()
	if len(args) > 1 {
		if v.Offset, err = constArg(args[1], "offset"); err != nil {
			return v, err
		}
	}
	if len(args) > 2 {
		if v.Default, err = b.bindExpr(args[2], sc); err != nil {
			return v, err
		}
		if v.Default, err = b.coerce(v.Default, v.Result, args[2]); err != nil {
			return v, err
		}
	}
	return v, nil
}

// windowCallParts returns the function name and arguments of a window
// call: the dialect wraps calls TiDB's grammar lacks (array_agg,
// FILTER, …) as max(__pg_window('name', args…)) OVER (…).
func windowCallParts(w *ast.WindowFuncExpr) (string, []ast.ExprNode) {
	name := strings.ToLower(w.Name)
	if name == "max" && len(w.Args) == 1 {
		if fc, ok := w.Args[0].(*ast.FuncCallExpr); ok && strings.EqualFold(fc.FnName.O, "__pg_window") && len(fc.Args) > 0 {
			if inner, ok := constString(fc.Args[0]); ok {
				return strings.ToLower(inner), fc.Args[1:]
			}
		}
	}
	return name, w.Args
}

// windowCol is the column a windowNode computes for a call.
type windowCol struct {
	index int
	typ   pgtype.Type
	name  string
	arg   expr.Expr // an aggregate's argument (its numeric display scale)
}

// windowFrame maps an aggregate's frame clause to the frames the executor
// computes.
func (b *binder) windowFrame(w *ast.WindowFuncExpr, ordered bool) (executor.WindowFrame, error) {
	f := w.Spec.Frame
	if f == nil {
		if ordered {
			return executor.FrameRange, nil
		}
		return executor.FramePartition, nil
	}
	start, end := f.Extent.Start, f.Extent.End
	unbounded := func(fb ast.FrameBound, t ast.BoundType) bool { return fb.Type == t && fb.UnBounded }
	switch {
	case !unbounded(start, ast.Preceding):
	case unbounded(end, ast.Following):
		return executor.FramePartition, nil
	case end.Type == ast.CurrentRow && f.Type == ast.Rows:
		return executor.FrameRows, nil
	case end.Type == ast.CurrentRow && f.Type == ast.Ranges:
		if !ordered {
			// Without ORDER BY every row is a peer of every other.
			return executor.FramePartition, nil
		}
		return executor.FrameRange, nil
	}
	return 0, sqlstate.New(sqlstate.FeatureNotSupported, "window frames other than UNBOUNDED PRECEDING to CURRENT ROW or UNBOUNDED FOLLOWING are not supported yet").WithPosition(b.pos(w))
}

// bindWindowAggregate binds the aggregate call of w, over the window's
// input scope.
func (b *binder) bindWindowAggregate(w *ast.WindowFuncExpr, name string, wargs []ast.ExprNode, sc *scope) (expr.AggCall, error) {
	if w.Distinct {
		return expr.AggCall{}, sqlstate.New(sqlstate.FeatureNotSupported, "DISTINCT is not implemented for window functions").WithPosition(b.pos(w))
	}
	var argNodes []ast.ExprNode
	var filter expr.Expr
	for _, a := range wargs {
		fc, ok := a.(*ast.FuncCallExpr)
		if !ok {
			argNodes = append(argNodes, a)
			continue
		}
		switch strings.ToLower(fc.FnName.O) {
		case "__pg_agg_star":
		case "__pg_agg_distinct":
			return expr.AggCall{}, sqlstate.New(sqlstate.FeatureNotSupported, "DISTINCT is not implemented for window functions").WithPosition(b.pos(w))
		case "__pg_agg_order":
			return expr.AggCall{}, sqlstate.New(sqlstate.FeatureNotSupported, "aggregate ORDER BY is not implemented for window functions").WithPosition(b.pos(w))
		case "__pg_agg_filter":
			if len(fc.Args) != 1 {
				return expr.AggCall{}, sqlstate.New(sqlstate.SyntaxError, "malformed aggregate FILTER").WithPosition(b.pos(fc))
			}
			c, err := b.bindBool(fc.Args[0], sc)
			if err != nil {
				return expr.AggCall{}, err
			}
			filter = c
		default:
			argNodes = append(argNodes, a)
		}
	}
	if name == "count" && len(argNodes) == 1 && isStar(argNodes[0]) {
		argNodes = nil
	}
	if len(argNodes) > 1 && name != "string_agg" {
		return expr.AggCall{}, sqlstate.New(sqlstate.UndefinedFunction, "function %s with %d arguments does not exist", name, len(argNodes)).WithPosition(b.pos(w))
	}
	args, err := b.bindArgs(argNodes, sc)
	if err != nil {
		return expr.AggCall{}, err
	}
	if len(args) == 1 && args[0].Type() == pgtype.Unknown {
		if args[0], err = b.coerce(args[0], pgtype.Text, w); err != nil {
			return expr.AggCall{}, err
		}
	}
	types := make([]pgtype.Type, len(args))
	for i, a := range args {
		types[i] = a.Type()
	}
	agg, err := expr.ResolveAggregate(name, types)
	if err != nil {
		return expr.AggCall{}, withPos(err, b.pos(w))
	}
	if len(agg.Args) == len(args) {
		for i, a := range args {
			if a.Type().OID != agg.Args[i].OID {
				if args[i], err = b.coerce(a, agg.Args[i], w); err != nil {
					return expr.AggCall{}, err
				}
			}
		}
	}
	return expr.AggCall{Agg: agg, Args: args, Filter: filter}, nil
}

// buildWindow builds a windowNode's operator.
func (x *execution) buildWindow(n *windowNode) (executor.Operator, error) {
	in, err := x.build(n.in)
	if err != nil {
		return nil, err
	}
	k := len(n.funcs) + len(n.aggs) + len(n.values)
	names := make([]string, k)
	for i := range names {
		names[i] = n.out[len(n.out)-k+i].name
	}
	return closeOnError(in)(executor.NewWindow(x.env, in, executor.WindowConfig{
		Partition: n.partition, Order: execKeys(n.order), Funcs: n.funcs, Aggs: n.aggs, Values: n.values, Names: names}))
}
