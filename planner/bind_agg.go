package planner

import (
	"strings"

	"github.com/apache/arrow/go/v17/arrow/scalar"
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// aggState is the context of expressions above an aggregation: they may
// use the grouping expressions and aggregates, and nothing else of the
// input.
type aggState struct {
	// in is the scope below the aggregation (its input).
	in *scope
	// groups are the bound GROUP BY expressions, over in.
	groups []expr.Expr
	// node is the aggregation being built; aggregates are added as they
	// are met.
	node *aggNode
	// order is the ORDER BY of the ordered aggregates (array_agg(x ORDER
	// BY y)), which all must share; the aggregation's input is sorted by
	// it, so each group's rows arrive in that order.
	order []sortKey
}

// visitor adapts a function to ast.Visitor.
type visitor struct {
	enter func(n ast.Node) bool // returns false to skip children
}

func (v *visitor) Enter(n ast.Node) (ast.Node, bool) { return n, !v.enter(n) }
func (v *visitor) Leave(n ast.Node) (ast.Node, bool) { return n, true }

func isAggregateCall(n ast.Node) bool {
	switch x := n.(type) {
	case *ast.AggregateFuncExpr:
		return true
	case *ast.FuncCallExpr:
		return aggregateNames[strings.ToLower(x.FnName.O)]
	}
	return false
}

// hasAggregate reports whether e calls an aggregate outside subqueries.
func hasAggregate(e ast.Node) bool {
	found := false
	e.Accept(&visitor{enter: func(n ast.Node) bool {
		switch n.(type) {
		case *ast.SubqueryExpr, *ast.SelectStmt:
			return false
		}
		if isAggregateCall(n) {
			found = true
		}
		return !found
	}})
	return found
}

// hasColumnRef reports whether e references a column.
func hasColumnRef(e ast.Node) bool {
	found := false
	e.Accept(&visitor{enter: func(n ast.Node) bool {
		if _, ok := n.(*ast.ColumnNameExpr); ok {
			found = true
		}
		return !found
	}})
	return found
}

// bindAggregation binds GROUP BY, sets up the aggregate context for the
// select list, HAVING and ORDER BY, and returns the aggregation node (with
// HAVING applied) and its scope.
func (b *binder) bindAggregation(s *ast.SelectStmt, in node, sc *scope) (node, *scope, error) {
	st := &aggState{in: sc, node: &aggNode{in: in}}
	if s.GroupBy != nil {
		for _, it := range s.GroupBy.Items {
			e := it.Expr
			// GROUP BY 2 and GROUP BY alias refer to the select list.
			if v, ok := constInt(e); ok {
				if v < 1 || int(v) > len(s.Fields.Fields) || s.Fields.Fields[v-1].Expr == nil {
					return nil, nil, sqlstate.New(sqlstate.InvalidColumnReference, "GROUP BY position %d is not in select list", v).WithPosition(b.pos(it))
				}
				e = s.Fields.Fields[v-1].Expr
			} else if cn, ok := e.(*ast.ColumnNameExpr); ok && cn.Name.Table.O == "" {
				if _, err := sc.lookup("", cn.Name.Name.O, 0); err != nil {
					for _, f := range s.Fields.Fields {
						if f.AsName.O == cn.Name.Name.O && f.Expr != nil {
							e = f.Expr
							break
						}
					}
				}
			}
			if hasAggregate(e) {
				return nil, nil, sqlstate.New(sqlstate.GroupingError, "aggregate functions are not allowed in GROUP BY").WithPosition(b.pos(it))
			}
			g, err := b.bindExpr(e, sc)
			if err != nil {
				return nil, nil, err
			}
			if g.Type() == pgtype.Unknown {
				if g, err = b.coerce(g, pgtype.Text, e); err != nil {
					return nil, nil, err
				}
			}
			st.groups = append(st.groups, g)
		}
	}
	st.node.groups = st.groups
	for _, g := range st.groups {
		c := column{name: g.String(), typ: g.Type()}
		if col, ok := g.(*expr.Column); ok {
			c.name, c.table = sc.cols[col.Index].name, sc.cols[col.Index].table
		}
		st.node.out = append(st.node.out, c)
	}
	b.agg = st
	var root node = st.node
	if s.Having != nil {
		pred, err := b.bindBool(s.Having.Expr, &scope{cols: st.node.out})
		if err != nil {
			return nil, nil, err
		}
		root = &filterNode{in: st.node, pred: pred}
	}
	// The node's output grows as later clauses add aggregates; the filter
	// and projection above read it through aggNode.columns at build time.
	return root, &scope{cols: st.node.out}, nil
}

// aggMatch is consulted first by bindExpr while binding above an
// aggregation: an expression equal to a GROUP BY expression becomes a
// reference to that group column; a bare column that is not grouped is an
// error; anything else is bound normally (its parts come back here).
func (b *binder) aggMatch(e ast.ExprNode) (expr.Expr, bool, error) {
	st := b.agg
	if isAggregateCall(e) {
		return nil, false, nil
	}
	switch e.(type) {
	case ast.ValueExpr, ast.ParamMarkerExpr:
		return nil, false, nil
	}
	if hasAggregate(e) {
		return nil, false, nil
	}
	b.agg = nil
	x, err := b.bindExpr(e, st.in)
	b.agg = st
	if err == nil {
		for i, g := range st.groups {
			if sameExpr(g, x) {
				return &expr.Column{Index: i, T: g.Type(), Name: st.node.out[i].name}, true, nil
			}
		}
	}
	if cn, ok := e.(*ast.ColumnNameExpr); ok {
		if err != nil {
			return nil, true, err
		}
		name := cn.Name.Name.O
		if cn.Name.Table.O != "" {
			name = cn.Name.Table.O + "." + name
		}
		return nil, true, sqlstate.New(sqlstate.GroupingError, "column %q must appear in the GROUP BY clause or be used in an aggregate function", name).WithPosition(b.pos(e))
	}
	return nil, false, nil
}

// bindAggregateRef binds an aggregate call: its argument over the input of
// the aggregation, registered with the aggregation node, and returns a
// reference to its output column.
func (b *binder) bindAggregateRef(n *ast.AggregateFuncExpr, sc *scope) (expr.Expr, error) {
	st := b.agg
	if st == nil {
		return nil, sqlstate.New(sqlstate.GroupingError, "aggregate functions are not allowed here").WithPosition(b.pos(n))
	}
	name := strings.ToLower(n.F)
	if name == "every" {
		name = "bool_and"
	}
	for _, a := range n.Args {
		if hasAggregate(a) {
			return nil, sqlstate.New(sqlstate.GroupingError, "aggregate function calls cannot be nested").WithPosition(b.pos(a))
		}
	}
	if n.Order != nil {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "ORDER BY inside an aggregate is not supported yet").WithPosition(b.pos(n))
	}
	args, order, distinct, filter, err := b.aggModifiers(n, st)
	if err != nil {
		return nil, err
	}

	n = &ast.AggregateFuncExpr{F: n.F, Args: args, Distinct: n.Distinct || distinct}
	if len(order) > 0 {
		if err := b.orderAggregates(st, order, n); err != nil {
			return nil, err
		}
	}
	call := aggCall{distinct: n.Distinct, name: name}
	star := len(n.Args) == 0 || (name == "count" && len(n.Args) == 1 && isStar(n.Args[0]))
	var argTypes []pgtype.Type
	if star && filter != nil {
		// count(*) FILTER (WHERE c) is count(CASE WHEN c THEN 1 END).
		star = false
		call.arg = &expr.Case{Whens: []expr.When{{Cond: filter, Result: &expr.Const{Value: scalar.NewInt32Scalar(1), T: pgtype.Int4}}}, T: pgtype.Int4}
		argTypes = []pgtype.Type{pgtype.Int4}
	} else if !star {
		if len(n.Args) > 1 && name != "string_agg" {
			return nil, sqlstate.New(sqlstate.UndefinedFunction, "function %s with %d arguments does not exist", name, len(n.Args)).WithPosition(b.pos(n))
		}
		b.agg = nil
		args, err := b.bindArgs(n.Args, st.in)
		b.agg = st
		if err != nil {
			return nil, err
		}
		for i, a := range args[1:] {
			if hasColumnRef(n.Args[i+1]) {
				return nil, sqlstate.New(sqlstate.FeatureNotSupported, "the delimiter of %s must be a constant", name).WithPosition(b.pos(n.Args[i+1]))
			}
			call.consts = append(call.consts, a)
		}
		call.arg = args[0]
		for _, a := range args {
			argTypes = append(argTypes, a.Type())
		}
		if len(args) == 1 && args[0].Type() == pgtype.Unknown {
			if call.arg, err = b.coerce(args[0], pgtype.Text, n); err != nil {
				return nil, err
			}
			argTypes[0] = pgtype.Text
		}
		switch {
		case filter != nil && name == "array_agg":
			// array_agg keeps NULLs: the aggregation skips the rows.
			call.filter = filter
		case filter != nil:
			// agg(x) FILTER (WHERE c) is agg(CASE WHEN c THEN x END) for
			// every other aggregate, which all skip NULL inputs; the
			// aggregation stays splittable across executors.
			call.arg = &expr.Case{Whens: []expr.When{{Cond: filter, Result: call.arg}}, T: call.arg.Type()}
		}
	}
	agg, err := expr.ResolveAggregate(name, argTypes)
	if err != nil {
		return nil, withPos(err, b.pos(n))
	}
	call.agg = agg
	// Convert the arguments to the aggregate's types, as for functions.
	if call.arg != nil && len(agg.Args) == 1+len(call.consts) {
		if call.arg.Type().OID != agg.Args[0].OID {
			if call.arg, err = b.coerce(call.arg, agg.Args[0], n); err != nil {
				return nil, err
			}
		}
		for i, c := range call.consts {
			if c.Type().OID != agg.Args[i+1].OID {
				if call.consts[i], err = b.coerce(c, agg.Args[i+1], n); err != nil {
					return nil, err
				}
			}
		}
	}
	// Reuse an identical aggregate already computed.
	for i, a := range st.node.aggs {
		if a.name == call.name && a.distinct == call.distinct && sameOptExpr(a.arg, call.arg) && sameOptExpr(a.filter, call.filter) {
			idx := len(st.groups) + i
			return aggregateScale(name, call.arg, &expr.Column{Index: idx, T: st.node.out[idx].typ, Name: name}), nil
		}
	}
	st.node.aggs = append(st.node.aggs, call)
	st.node.out = append(st.node.out, column{name: name, typ: agg.Result})
	idx := len(st.node.out) - 1
	return aggregateScale(name, call.arg, &expr.Column{Index: idx, T: agg.Result, Name: name}), nil
}

// sameOptExpr reports whether a and b are both nil or the same expression.
func sameOptExpr(a, b expr.Expr) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return sameExpr(a, b)
}

// isStar reports whether e is the * of count(*) (or a non-null constant).
func isStar(e ast.ExprNode) bool {
	// TiDB parses count(*) as count(1); count of any non-null constant
	// counts every row, so both are the same aggregate.
	v, ok := e.(ast.ValueExpr)
	if !ok {
		return false
	}
	_, isParam := e.(ast.ParamMarkerExpr)
	return !isParam && v.GetValue() != nil
}

// aggModifiers takes the dialect's extra arguments off an aggregate call:
// __pg_agg_order(k, 'ASC'|'DESC', 'FIRST'|'LAST') per ORDER BY key,
// __pg_agg_distinct() and __pg_agg_filter(cond); the keys and the
// condition are bound over the aggregation's input.
func (b *binder) aggModifiers(n *ast.AggregateFuncExpr, st *aggState) (args []ast.ExprNode, order []sortKey, distinct bool, filter expr.Expr, err error) {
	for _, a := range n.Args {
		fc, ok := a.(*ast.FuncCallExpr)
		if !ok {
			args = append(args, a)
			continue
		}
		switch strings.ToLower(fc.FnName.O) {
		case "__pg_agg_order":
			if len(fc.Args) != 3 {
				return nil, nil, false, nil, sqlstate.New(sqlstate.SyntaxError, "malformed aggregate ORDER BY").WithPosition(b.pos(fc))
			}
			dir, _ := constString(fc.Args[1])
			nulls, _ := constString(fc.Args[2])
			agg := b.agg
			b.agg = nil
			k, err := b.bindExpr(fc.Args[0], st.in)
			b.agg = agg
			if err != nil {
				return nil, nil, false, nil, err
			}
			desc := strings.EqualFold(dir, "DESC")
			nullsFirst := desc
			switch strings.ToUpper(nulls) {
			case "FIRST":
				nullsFirst = true
			case "LAST":
				nullsFirst = false
			}
			order = append(order, sortKey{e: k, desc: desc, nullsFirst: nullsFirst})
		case "__pg_agg_distinct":
			distinct = true
		case "__pg_agg_star":
			// count(*) with a modifier: no argument.
		case "__pg_agg_filter":
			if len(fc.Args) != 1 {
				return nil, nil, false, nil, sqlstate.New(sqlstate.SyntaxError, "malformed aggregate FILTER").WithPosition(b.pos(fc))
			}
			agg := b.agg
			b.agg = nil
			c, err := b.bindExpr(fc.Args[0], st.in)
			b.agg = agg
			if err != nil {
				return nil, nil, false, nil, err
			}
			if t := c.Type(); t != pgtype.Bool && t != pgtype.Unknown {
				return nil, nil, false, nil, sqlstate.New(sqlstate.DatatypeMismatch, "argument of FILTER must be type boolean, not type %s", t).WithPosition(b.pos(fc.Args[0]))
			}
			if c, err = b.requireBool(c, fc.Args[0]); err != nil {
				return nil, nil, false, nil, err
			}
			filter = c
		default:
			args = append(args, a)
		}
	}
	return args, order, distinct, filter, nil
}

// orderAggregates sorts the aggregation's input by an ordered aggregate's
// keys; every ordered aggregate of the query must use the same keys.
func (b *binder) orderAggregates(st *aggState, order []sortKey, n ast.Node) error {
	if st.order != nil {
		same := len(st.order) == len(order)
		for i := 0; same && i < len(order); i++ {
			same = st.order[i].desc == order[i].desc && st.order[i].nullsFirst == order[i].nullsFirst && sameExpr(st.order[i].e, order[i].e)
		}
		if !same {
			return sqlstate.New(sqlstate.FeatureNotSupported, "aggregates with different ORDER BY in one query are not supported yet").WithPosition(b.pos(n))
		}
		return nil
	}
	st.order = order
	st.node.in = &sortNode{in: st.node.in, keys: order}
	return nil
}
