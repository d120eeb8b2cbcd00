package planner

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// Window functions: row_number(), rank() and dense_rank() OVER
// (PARTITION BY … ORDER BY …), as catalog queries use them (pgjdbc's
// getColumns numbers columns with row_number). Each call becomes a
// windowNode between the FROM/WHERE (or aggregation) input and the select
// list: it appends the function's bigint column, which the select list
// and ORDER BY then read in place of the call. Aggregates over windows and
// frames are not supported yet (0A000).

// windowNode computes one window's functions over its input.
type windowNode struct {
	in        node
	partition []expr.Expr
	order     []sortKey
	funcs     []executor.WindowFunc
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
		b.windows = map[*ast.WindowFuncExpr]int{}
	}
	// Above an aggregation sc is the aggregation's scope, which the
	// binder maps to the aggregate's outputs (aggMatch); the window
	// columns are then only reachable through binder.windows.
	out := sc
	if b.agg == nil {
		out = &scope{cols: append([]column(nil), sc.cols...)}
	}
	for _, w := range calls {
		fn, ok := windowFuncs[strings.ToLower(w.Name)]
		if !ok {
			return nil, nil, sqlstate.New(sqlstate.FeatureNotSupported, "window function %s is not supported yet", strings.ToLower(w.Name)).WithPosition(b.pos(w))
		}
		if len(w.Args) > 0 {
			return nil, nil, sqlstate.New(sqlstate.UndefinedFunction, "function %s takes no arguments", strings.ToLower(w.Name)).WithPosition(b.pos(w))
		}
		if w.Spec.Frame != nil || w.Spec.Name.O != "" || w.Spec.Ref.O != "" {
			return nil, nil, sqlstate.New(sqlstate.FeatureNotSupported, "window frames and named windows are not supported yet").WithPosition(b.pos(w))
		}
		wn := &windowNode{in: in, funcs: []executor.WindowFunc{fn}}
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
		col := column{name: strings.ToLower(w.Name), typ: pgtype.Int8, hidden: true}
		wn.out = append(append([]column(nil), in.columns()...), col)
		b.windows[w] = len(wn.out) - 1
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
	i, ok := b.windows[w]
	if !ok {
		return nil, sqlstate.New(sqlstate.WindowingError, "window functions are not allowed here").WithPosition(b.pos(w))
	}
	return &expr.Column{Index: i, T: pgtype.Int8, Name: strings.ToLower(w.Name)}, nil
}

// buildWindow builds a windowNode's operator.
func (x *execution) buildWindow(n *windowNode) (executor.Operator, error) {
	in, err := x.build(n.in)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(n.funcs))
	for i := range names {
		names[i] = n.out[len(n.out)-len(n.funcs)+i].name
	}
	return closeOnError(in)(executor.NewWindow(x.env, in, executor.WindowConfig{
		Partition: n.partition, Order: execKeys(n.order), Funcs: n.funcs, Names: names}))
}
