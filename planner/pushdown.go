package planner

import (
	"github.com/lancegate/lancegate/executor/expr"
)

// Predicate pushdown: WHERE conditions move down to the joins and inputs
// they refer to. Catalog queries join four or five relations with commas
// and put every join condition in WHERE (FROM pg_class t, pg_class i,
// pg_index ix, pg_attribute a WHERE t.oid = ix.indrelid AND …); without
// this the joins are cross products of every catalog row.
//
// A filter's conjuncts are taken one at a time:
//
//   - over an inner or cross join, a conjunct of the left side's columns
//     goes to the left input, one of the right side's to the right input
//     (its columns renumbered), and one of both sides becomes part of the
//     join condition (a cross join becomes an inner join, whose equality
//     conjuncts the hash join uses as keys);
//   - over a left join only left-side conjuncts move down: a condition on
//     the right side must still see the NULLs the join adds;
//   - a conjunct that reads no column goes to the left input;
//   - anything else stays where it was, as a filter.
//
// Filters over other nodes (projections, aggregates, unions) stay put.

func pushFilters(n node) node {
	switch x := n.(type) {
	case *filterNode:
		in := pushFilters(x.in)
		var rest []expr.Expr
		for _, c := range conjuncts(x.pred) {
			var ok bool
			if in, ok = pushInto(in, c); !ok {
				rest = append(rest, c)
			}
		}
		if len(rest) == 0 {
			return in
		}
		return &filterNode{in: in, pred: andAll(rest)}
	case *joinNode:
		c := *x
		c.left, c.right = pushFilters(x.left), pushFilters(x.right)
		return &c
	case *projectNode:
		c := *x
		c.in = pushFilters(x.in)
		return &c
	case *aggNode:
		c := *x
		c.in = pushFilters(x.in)
		return &c
	case *sortNode:
		c := *x
		c.in = pushFilters(x.in)
		return &c
	case *limitNode:
		c := *x
		c.in = pushFilters(x.in)
		return &c
	case *topKNode:
		c := *x
		c.in = pushFilters(x.in)
		return &c
	case *distinctNode:
		c := *x
		c.in = pushFilters(x.in)
		return &c
	case *windowNode:
		c := *x
		c.in = pushFilters(x.in)
		return &c
	case *projectSetNode:
		c := *x
		c.in = pushFilters(x.in)
		return &c
	case *unionNode:
		c := *x
		c.ins = make([]node, len(x.ins))
		for i, in := range x.ins {
			c.ins[i] = pushFilters(in)
		}
		return &c
	case *setOpNode:
		c := *x
		c.left, c.right = pushFilters(x.left), pushFilters(x.right)
		return &c
	}
	return n
}

// pushInto moves conjunct c (over n's columns) into n when n is a join;
// ok is false when c must stay above n.
func pushInto(n node, c expr.Expr) (node, bool) {
	j, isJoin := n.(*joinNode)
	if !isJoin {
		return n, false
	}
	nl := len(j.left.columns())
	cols := map[int]bool{}
	usedColumns([]expr.Expr{c}, cols)
	left, right := true, true
	for i := range cols {
		if i < nl {
			right = false
		} else {
			left = false
		}
	}
	out := *j
	switch {
	case left:
		out.left = filterOver(j.left, c)
	case right && j.kind != joinLeft:
		shifted, ok := shift(c, -nl)
		if !ok {
			return n, false
		}
		out.right = filterOver(j.right, shifted)
	case j.kind != joinLeft:
		if out.cond == nil {
			out.cond = c
		} else {
			out.cond = andAll([]expr.Expr{out.cond, c})
		}
		if out.kind == joinCross {
			out.kind = joinInner
		}
	default:
		return n, false
	}
	return &out, true
}

// filterOver pushes c into n, or puts a filter of c above n.
func filterOver(n node, c expr.Expr) node {
	if pushed, ok := pushInto(n, c); ok {
		return pushed
	}
	if f, ok := n.(*filterNode); ok {
		return &filterNode{in: f.in, pred: andAll([]expr.Expr{f.pred, c})}
	}
	return &filterNode{in: n, pred: c}
}
