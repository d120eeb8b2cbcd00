package planner

import "github.com/lancegate/lancegate/executor/expr"

// Column pruning: scans read only the columns something above them uses.
// A vector search such as SELECT id FROM items ORDER BY embedding <-> $1
// LIMIT 10 then reads id and embedding, not every column of the table.
//
// prune rewrites a plan top-down. need marks the output columns the
// parent uses (nil: all); the result is an equivalent node whose outputs
// are a subset, and a map from old output index to new (-1 when dropped).

func pruneRoot(n node) node {
	out, _ := prune(n, nil)
	return out
}

func usedColumns(es []expr.Expr, into map[int]bool) {
	for _, e := range es {
		visit(e, func(x expr.Expr) bool {
			if c, ok := x.(*expr.Column); ok {
				into[c.Index] = true
			}
			return true
		})
	}
}

// remap rewrites column indexes of e through m; ok is false if e has a
// node kind the rewrite does not know (the caller then keeps everything).
func remap(e expr.Expr, m []int) (expr.Expr, bool) {
	if e == nil {
		return nil, true
	}
	good := true
	var rec func(expr.Expr) expr.Expr
	rec = func(e expr.Expr) expr.Expr {
		if e == nil {
			return nil
		}
		if c, ok := e.(*expr.Column); ok {
			if c.Index >= len(m) || m[c.Index] < 0 {
				good = false
				return e
			}
			cc := *c
			cc.Index = m[c.Index]
			return &cc
		}
		out, ok := shiftWith(e, rec)
		if !ok {
			good = false
		}
		return out
	}
	out := rec(e)
	return out, good
}

func remapAll(es []expr.Expr, m []int) ([]expr.Expr, bool) {
	out := make([]expr.Expr, len(es))
	for i, e := range es {
		r, ok := remap(e, m)
		if !ok {
			return nil, false
		}
		out[i] = r
	}
	return out, true
}

func identity(n int) []int {
	m := make([]int, n)
	for i := range m {
		m[i] = i
	}
	return m
}

func prune(n node, need map[int]bool) (node, []int) {
	width := len(n.columns())
	keepAll := func() (node, []int) { return n, identity(width) }
	switch x := n.(type) {
	case *scanNode:
		if need == nil {
			return keepAll()
		}
		out := &scanNode{table: x.table, rowAddr: false}
		m := make([]int, width)
		for i := range m {
			m[i] = -1
		}
		ncols := len(x.cols)
		for i := 0; i < ncols; i++ {
			if need[i] {
				m[i] = len(out.cols)
				out.cols = append(out.cols, x.cols[i])
				out.out = append(out.out, x.out[i])
			}
		}
		if x.rowAddr {
			// The row address is the last output and is kept when used.
			if need[ncols] {
				out.rowAddr = true
				m[ncols] = len(out.out)
				out.out = append(out.out, x.out[ncols])
			}
		}
		return out, m
	case *filterNode:
		if need == nil {
			in, m := prune(x.in, nil)
			pred, ok := remap(x.pred, m)
			if !ok {
				return keepAll()
			}
			return &filterNode{in: in, pred: pred}, m
		}
		inNeed := copyNeed(need)
		usedColumns([]expr.Expr{x.pred}, inNeed)
		in, m := prune(x.in, inNeed)
		pred, ok := remap(x.pred, m)
		if !ok {
			return keepAll()
		}
		return &filterNode{in: in, pred: pred}, m
	case *projectNode:
		keep := x.exprs
		cols := x.out
		m := identity(width)
		if need != nil {
			keep, cols = nil, nil
			for i := range m {
				if need[i] {
					m[i] = len(keep)
					keep = append(keep, x.exprs[i])
					cols = append(cols, x.out[i])
				} else {
					m[i] = -1
				}
			}
		}
		inNeed := map[int]bool{}
		usedColumns(keep, inNeed)
		in, im := prune(x.in, inNeed)
		exprs, ok := remapAll(keep, im)
		if !ok {
			return keepAll()
		}
		return &projectNode{in: in, exprs: exprs, out: cols}, m
	case *aggNode:
		inNeed := map[int]bool{}
		usedColumns(x.groups, inNeed)
		for _, a := range x.aggs {
			for _, e := range []expr.Expr{a.arg, a.filter} {
				if e != nil {
					usedColumns([]expr.Expr{e}, inNeed)
				}
			}
		}
		in, im := prune(x.in, inNeed)
		groups, ok := remapAll(x.groups, im)
		if !ok {
			return keepAll()
		}
		aggs := make([]aggCall, len(x.aggs))
		for i, a := range x.aggs {
			aggs[i] = a
			if a.arg != nil {
				if aggs[i].arg, ok = remap(a.arg, im); !ok {
					return keepAll()
				}
			}
			if a.filter != nil {
				if aggs[i].filter, ok = remap(a.filter, im); !ok {
					return keepAll()
				}
			}
		}
		return &aggNode{in: in, groups: groups, aggs: aggs, out: x.out}, identity(width)
	case *sortNode:
		in, m, keys, ok := pruneKeys(x.in, need, x.keys)
		if !ok {
			return keepAll()
		}
		return &sortNode{in: in, keys: keys}, m
	case *topKNode:
		in, m, keys, ok := pruneKeys(x.in, need, x.keys)
		if !ok {
			return keepAll()
		}
		return &topKNode{in: in, keys: keys, count: x.count, offset: x.offset}, m
	case *limitNode:
		in, m := prune(x.in, need)
		return &limitNode{in: in, count: x.count, offset: x.offset}, m
	case *distinctNode:
		in, _ := prune(x.in, nil)
		return &distinctNode{in: in}, identity(width)
	case *joinNode:
		nl := len(x.left.columns())
		ln, rn := map[int]bool{}, map[int]bool{}
		all := need == nil
		for i := 0; i < width; i++ {
			if all || need[i] {
				if i < nl {
					ln[i] = true
				} else {
					rn[i-nl] = true
				}
			}
		}
		cond := map[int]bool{}
		if x.cond != nil {
			usedColumns([]expr.Expr{x.cond}, cond)
		}
		for i := range cond {
			if i < nl {
				ln[i] = true
			} else {
				rn[i-nl] = true
			}
		}
		left, lm := prune(x.left, ln)
		right, rm := prune(x.right, rn)
		newLeft := len(left.columns())
		m := make([]int, width)
		for i := range m {
			switch {
			case i < nl:
				m[i] = lm[i]
			case rm[i-nl] >= 0:
				m[i] = newLeft + rm[i-nl]
			default:
				m[i] = -1
			}
		}
		c, ok := remap(x.cond, m)
		if !ok {
			return keepAll()
		}
		out := append(append([]column(nil), left.columns()...), right.columns()...)
		return &joinNode{left: left, right: right, kind: x.kind, cond: c, out: out}, m
	}
	return keepAll()
}

func copyNeed(need map[int]bool) map[int]bool {
	out := make(map[int]bool, len(need))
	for k, v := range need {
		out[k] = v
	}
	return out
}

func pruneKeys(in node, need map[int]bool, keys []sortKey) (node, []int, []sortKey, bool) {
	if need != nil {
		need = copyNeed(need)
		for _, k := range keys {
			usedColumns([]expr.Expr{k.e}, need)
		}
	}
	out, m := prune(in, need)
	nk := make([]sortKey, len(keys))
	for i, k := range keys {
		e, ok := remap(k.e, m)
		if !ok {
			return nil, nil, nil, false
		}
		nk[i] = sortKey{e: e, desc: k.desc, nullsFirst: k.nullsFirst}
	}
	return out, m, nk, true
}
