package planner

import (
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/scalar"
	"math"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// build turns a plan node into executor operators for one execution.
func (x *execution) build(n node) (executor.Operator, error) {
	op, err := x.buildNode(n)
	if err != nil {
		return nil, err
	}
	if x.stats != nil {
		st := &nodeStats{}
		x.stats[n] = st
		op = &instrumented{Operator: op, stats: st}
	}
	return op, nil
}

func names(cols []column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.name
	}
	return out
}

func (x *execution) buildNode(n node) (executor.Operator, error) {
	env := x.env
	switch n := n.(type) {
	case *scanNode:
		t, err := x.table(n.table)
		if err != nil {
			return nil, err
		}
		return t.Scan(x.ctx, n.cols, n.rowAddr, env.Mem)
	case *annScanNode:
		return x.buildANN(n)
	case *remoteNode:
		return x.buildRemote(n)
	case *valuesNode:
		return executor.NewValues(env, executor.ValuesConfig{Rows: n.rows, Names: names(n.out), Types: columnTypes(n.out)})
	case *seriesNode:
		return x.buildSeries(n)
	case *unnestNode:
		return x.buildUnnest(n)
	case *versionsNode:
		return x.buildVersions(n)
	case *filterNode:
		in, err := x.build(n.in)
		if err != nil {
			return nil, err
		}
		return closeOnError(in)(executor.NewFilter(env, in, executor.FilterConfig{Pred: n.pred}))
	case *projectNode:
		in, err := x.build(n.in)
		if err != nil {
			return nil, err
		}
		return closeOnError(in)(executor.NewProject(env, in, executor.ProjectConfig{Exprs: n.exprs, Names: names(n.out)}))
	case *aggNode:
		in, err := x.build(n.in)
		if err != nil {
			return nil, err
		}
		calls := make([]expr.AggCall, len(n.aggs))
		for i, a := range n.aggs {
			calls[i] = expr.AggCall{Agg: a.agg, Distinct: a.distinct, Filter: a.filter}
			if a.arg != nil {
				calls[i].Args = append([]expr.Expr{a.arg}, a.consts...)
			}
		}
		return closeOnError(in)(executor.NewHashAggregate(env, in, executor.HashAggregateConfig{GroupBy: n.groups, Aggs: calls, Names: names(n.out)}))
	case *distinctNode:
		in, err := x.build(n.in)
		if err != nil {
			return nil, err
		}
		return closeOnError(in)(executor.NewDistinct(env, in, executor.DistinctConfig{}))
	case *windowNode:
		return x.buildWindow(n)
	case *projectSetNode:
		return x.buildProjectSet(n)
	case *sortNode:
		in, err := x.build(n.in)
		if err != nil {
			return nil, err
		}
		return closeOnError(in)(executor.NewSort(env, in, executor.SortConfig{Keys: execKeys(n.keys)}))
	case *topKNode:
		count, err := x.evalInt(n.count, "LIMIT")
		if err != nil {
			return nil, err
		}
		offset := int64(0)
		if n.offset != nil {
			if offset, err = x.evalInt(n.offset, "OFFSET"); err != nil {
				return nil, err
			}
		}
		in, err := x.build(n.in)
		if err != nil {
			return nil, err
		}
		if count < 0 {
			// LIMIT NULL: no limit.
			return closeOnError(in)(x.sortThenLimit(in, n.keys, -1, offset))
		}
		if count > executor.MaxTopK || offset > executor.MaxTopK || count+offset > executor.MaxTopK {
			// Beyond a heap's worth: sort everything, then cut.
			return closeOnError(in)(x.sortThenLimit(in, n.keys, count, offset))
		}
		return closeOnError(in)(executor.NewTopK(env, in, executor.TopKConfig{Keys: execKeys(n.keys), Limit: count, Offset: offset}))
	case *limitNode:
		count := int64(-1)
		var err error
		if n.count != nil {
			if count, err = x.evalInt(n.count, "LIMIT"); err != nil {
				return nil, err
			}
		}
		offset := int64(0)
		if n.offset != nil {
			if offset, err = x.evalInt(n.offset, "OFFSET"); err != nil {
				return nil, err
			}
		}
		in, err := x.build(n.in)
		if err != nil {
			return nil, err
		}
		return executor.NewLimit(in, executor.LimitConfig{Limit: count, Offset: offset}), nil
	case *joinNode:
		return x.buildJoin(n)
	case *recursiveNode:
		init, err := x.build(n.init)
		if err != nil {
			return nil, err
		}
		term := func(work []arrow.Record) (executor.Operator, error) {
			if x.work == nil {
				x.work = map[*workNode][]arrow.Record{}
			}
			x.work[n.work] = work
			op, err := x.build(n.term)
			for _, rec := range x.work[n.work] { // not taken: the build failed
				rec.Release()
			}
			delete(x.work, n.work)
			return op, err
		}
		return executor.NewRecursiveUnion(env, init, executor.RecursiveUnionConfig{Term: term, Distinct: n.distinct})
	case *workNode:
		// RecursiveUnion builds the term only over a working table of
		// at least one batch, all in its schema.
		recs := x.work[n]
		delete(x.work, n)
		if len(recs) == 0 {
			return nil, sqlstate.New(sqlstate.InternalError, "no working table for %s", n.name)
		}
		return executor.NewRecords(recs[0].Schema(), recs), nil
	case *setOpNode:
		l, err := x.build(n.left)
		if err != nil {
			return nil, err
		}
		r, err := x.build(n.right)
		if err != nil {
			l.Close()
			return nil, err
		}
		return executor.NewHashSetOp(env, l, r, n.kind)
	case *unionNode:
		ins := make([]executor.Operator, 0, len(n.ins))
		for _, in := range n.ins {
			op, err := x.build(in)
			if err != nil {
				for _, o := range ins {
					o.Close()
				}
				return nil, err
			}
			ins = append(ins, op)
		}
		return executor.NewUnionAll(ins)
	}
	return nil, sqlstate.New(sqlstate.InternalError, "cannot build plan node %T", n)
}

func (x *execution) sortThenLimit(in executor.Operator, keys []sortKey, count, offset int64) (executor.Operator, error) {
	s, err := executor.NewSort(x.env, in, executor.SortConfig{Keys: execKeys(keys)})
	if err != nil {
		return nil, err
	}
	return executor.NewLimit(s, executor.LimitConfig{Limit: count, Offset: offset}), nil
}

// closeOnError closes an input when building the operator over it failed.
func closeOnError(in executor.Operator) func(op executor.Operator, err error) (executor.Operator, error) {
	return func(op executor.Operator, err error) (executor.Operator, error) {
		if err != nil {
			in.Close()
			return nil, err
		}
		return op, nil
	}
}

func execKeys(keys []sortKey) []executor.SortKey {
	out := make([]executor.SortKey, len(keys))
	for i, k := range keys {
		out[i] = executor.SortKey{Expr: k.e, Desc: k.desc, Nulls: executor.NullsLast}
		if k.nullsFirst {
			out[i].Nulls = executor.NullsFirst
		}
	}
	return out
}

// evalInt evaluates a LIMIT or OFFSET expression (a constant or a
// parameter); NULL means none (-1).
func (x *execution) evalInt(e expr.Expr, what string) (int64, error) {
	v, null, err := x.evalInt64(e)
	if err != nil || null {
		return -1, err
	}
	if v < 0 {
		if what == "OFFSET" {
			return 0, sqlstate.New(sqlstate.InvalidRowCountInResult, "OFFSET must not be negative")
		}
		return 0, sqlstate.New(sqlstate.InvalidRowCountInLimitClause, "LIMIT must not be negative")
	}
	return v, nil
}

// evalInt64 evaluates an int8 expression that reads no columns.
func (x *execution) evalInt64(e expr.Expr) (v int64, null bool, err error) {
	rec := array.NewRecord(arrow.NewSchema(nil, nil), nil, 1)
	defer rec.Release()
	a, err := e.Eval(x.ctx, x.env, rec)
	if err != nil {
		return 0, false, err
	}
	defer a.Release()
	if a.IsNull(0) {
		return 0, true, nil
	}
	i, ok := a.(*array.Int64)
	if !ok {
		return 0, false, sqlstate.New(sqlstate.InternalError, "integer expression of type %s", a.DataType())
	}
	return i.Value(0), false, nil
}

// buildJoin picks a hash join when the condition has equality conjuncts
// between the two sides, else a nested-loop join.
func (x *execution) buildJoin(n *joinNode) (executor.Operator, error) {
	left, err := x.build(n.left)
	if err != nil {
		return nil, err
	}
	right, err := x.build(n.right)
	if err != nil {
		left.Close()
		return nil, err
	}
	fail := func(err error) (executor.Operator, error) {
		left.Close()
		right.Close()
		return nil, err
	}
	nl := len(n.left.columns())
	var lkeys, rkeys []expr.Expr
	var residual []expr.Expr
	for _, c := range conjuncts(n.cond) {
		if l, r, ok := equiKey(c, nl); ok {
			lkeys = append(lkeys, l)
			rkeys = append(rkeys, r)
			continue
		}
		residual = append(residual, c)
	}
	typ := map[joinKind]executor.JoinType{joinInner: executor.JoinInner, joinLeft: executor.JoinLeft, joinCross: executor.JoinCross}[n.kind]
	if len(lkeys) > 0 && n.kind != joinCross {
		op, err := executor.NewHashJoin(x.env, left, right, executor.HashJoinConfig{Type: typ, LeftKeys: lkeys, RightKeys: rkeys, Residual: andAll(residual)})
		if err != nil {
			return fail(err)
		}
		return op, nil
	}
	if n.kind == joinInner && n.cond == nil {
		typ = executor.JoinCross
	}
	op, err := executor.NewNestedLoopJoin(x.env, left, right, executor.NestedLoopJoinConfig{Type: typ, Pred: n.cond})
	if err != nil {
		return fail(err)
	}
	return op, nil
}

func conjuncts(e expr.Expr) []expr.Expr {
	if e == nil {
		return nil
	}
	if b, ok := e.(*expr.BoolOp); ok && !b.Or {
		var out []expr.Expr
		for _, a := range b.Args {
			out = append(out, conjuncts(a)...)
		}
		return out
	}
	return []expr.Expr{e}
}

func andAll(es []expr.Expr) expr.Expr {
	switch len(es) {
	case 0:
		return nil
	case 1:
		return es[0]
	}
	return &expr.BoolOp{Args: es}
}

// equiKey recognises "l = r" where l reads only left columns (< nl) and r
// only right ones (or the reverse); the right key is re-indexed to the
// right input's columns.
func equiKey(e expr.Expr, nl int) (expr.Expr, expr.Expr, bool) {
	c, ok := e.(*expr.Call)
	if !ok || c.Func.Name != "=" || len(c.Args) != 2 || c.Args[0].Type().OID != c.Args[1].Type().OID {
		return nil, nil, false
	}
	a, b := c.Args[0], c.Args[1]
	sa, oka := side(a, nl)
	sb, okb := side(b, nl)
	if !oka || !okb || sa == sb || sa == 0 || sb == 0 {
		return nil, nil, false
	}
	if sa == 2 {
		a, b = b, a
	}
	rb, ok := shift(b, -nl)
	if !ok {
		return nil, nil, false
	}
	return a, rb, true
}

// side reports which input an expression reads: 1 left, 2 right, 0 none,
// and false when it reads both or has nodes this pass does not know.
func side(e expr.Expr, nl int) (int, bool) {
	s := 0
	ok := true
	visit(e, func(n expr.Expr) bool {
		switch c := n.(type) {
		case *expr.Column:
			cs := 1
			if c.Index >= nl {
				cs = 2
			}
			if s != 0 && s != cs {
				ok = false
			}
			s = cs
		case *expr.Const, *expr.Param, *expr.Call, *expr.Cast, *expr.Case, *expr.BoolOp, *expr.Not,
			*expr.IsNull, *expr.IsDistinct, *expr.In, *expr.Like, *expr.Coalesce:
		default:
			ok = false
		}
		return ok
	})
	return s, ok
}

// visit walks an expression tree depth-first; f returns false to stop.
func visit(e expr.Expr, f func(expr.Expr) bool) bool {
	if e == nil {
		return true
	}
	if !f(e) {
		return false
	}
	for _, c := range children(e) {
		if !visit(c, f) {
			return false
		}
	}
	return true
}

func children(e expr.Expr) []expr.Expr {
	switch n := e.(type) {
	case *expr.Call:
		return n.Args
	case *expr.Cast:
		return []expr.Expr{n.Arg}
	case *expr.Case:
		var out []expr.Expr
		for _, w := range n.Whens {
			out = append(out, w.Cond, w.Result)
		}
		if n.Else != nil {
			out = append(out, n.Else)
		}
		return out
	case *expr.BoolOp:
		return n.Args
	case *expr.Not:
		return []expr.Expr{n.Arg}
	case *expr.IsNull:
		return []expr.Expr{n.Arg}
	case *expr.IsDistinct:
		return []expr.Expr{n.L, n.R}
	case *expr.In:
		return append([]expr.Expr{n.Arg}, n.List...)
	case *expr.Like:
		return []expr.Expr{n.Arg, n.Pattern}
	case *expr.Coalesce:
		return n.Args
	case *expr.Subquery:
		return n.Outer
	}
	return arrayChildren(e)
}

// shift returns e with every column index moved by delta.
func shift(e expr.Expr, delta int) (expr.Expr, bool) {
	good := true
	var rec func(expr.Expr) expr.Expr
	rec = func(e expr.Expr) expr.Expr {
		if c, ok := e.(*expr.Column); ok {
			cc := *c
			cc.Index += delta
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

// shiftWith rebuilds a non-column node with its children mapped by rec;
// ok is false for node kinds it does not know.
func shiftWith(e expr.Expr, rec func(expr.Expr) expr.Expr) (expr.Expr, bool) {
	if e == nil {
		return nil, true
	}
	all := func(es []expr.Expr) []expr.Expr {
		out := make([]expr.Expr, len(es))
		for i, x := range es {
			out[i] = rec(x)
		}
		return out
	}
	opt := func(x expr.Expr) expr.Expr {
		if x == nil {
			return nil
		}
		return rec(x)
	}
	switch n := e.(type) {
	case *expr.Const, *expr.Param, *expr.OuterRef:
		return n, true
	case *expr.Subquery:
		c := *n
		c.Outer = all(n.Outer)
		return &c, true
	case *expr.Call:
		return &expr.Call{Func: n.Func, Args: all(n.Args)}, true
	case *expr.Cast:
		return &expr.Cast{Arg: rec(n.Arg), To: n.To}, true
	case *expr.Case:
		c := &expr.Case{T: n.T, Else: opt(n.Else)}
		for _, w := range n.Whens {
			c.Whens = append(c.Whens, expr.When{Cond: rec(w.Cond), Result: rec(w.Result)})
		}
		return c, true
	case *expr.BoolOp:
		return &expr.BoolOp{Or: n.Or, Args: all(n.Args)}, true
	case *expr.Not:
		return &expr.Not{Arg: rec(n.Arg)}, true
	case *expr.IsNull:
		return &expr.IsNull{Arg: rec(n.Arg), Not: n.Not}, true
	case *expr.IsDistinct:
		return &expr.IsDistinct{L: rec(n.L), R: rec(n.R), Not: n.Not}, true
	case *expr.In:
		return &expr.In{Arg: rec(n.Arg), List: all(n.List), Not: n.Not}, true
	case *expr.Like:
		return &expr.Like{Arg: rec(n.Arg), Pattern: rec(n.Pattern), Escape: n.Escape, ILike: n.ILike, Not: n.Not}, true
	case *expr.Coalesce:
		return &expr.Coalesce{Args: all(n.Args), T: n.T}, true
	}
	if out, ok := shiftArray(e, rec); ok {
		return out, true
	}
	return e, false
}

// buildSeries evaluates generate_series' arguments (constants or
// parameters); a NULL argument makes an empty series, as in PostgreSQL.
func (x *execution) buildSeries(n *seriesNode) (executor.Operator, error) {
	vals := []int64{0, 0, 1}
	null := false
	for i, e := range n.args {
		v, isNull, err := x.evalInt64(e)
		if err != nil {
			return nil, err
		}
		null = null || isNull
		vals[i] = v
	}
	cfg := executor.SeriesConfig{Name: n.out[0].name, Type: n.out[0].typ, Start: vals[0], Stop: vals[1], Step: vals[2]}
	if null {
		cfg.Start, cfg.Stop, cfg.Step = 1, 0, 1
	}
	if n.out[0].typ == pgtype.Int4 {
		for _, v := range vals {
			if v < math.MinInt32 || v > math.MaxInt32 {
				return nil, sqlstate.New(sqlstate.NumericValueOutOfRange, "integer out of range")
			}
		}
	}
	return executor.NewSeries(x.env.Mem, cfg)
}

// buildVersions lists a table's versions as rows.
func (x *execution) buildVersions(n *versionsNode) (executor.Operator, error) {
	t, err := x.cat.Table(x.ctx, n.table)
	if err != nil {
		return nil, err
	}
	vs, err := t.Versions(x.ctx)
	if err != nil {
		return nil, err
	}
	rows := make([][]expr.Expr, len(vs))
	for i, v := range vs {
		rows[i] = []expr.Expr{
			&expr.Const{Value: scalar.NewInt64Scalar(int64(v.Version)), T: pgtype.Int8},
			&expr.Const{Value: scalar.NewTimestampScalar(arrow.Timestamp(v.Timestamp.UnixMicro()), &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}), T: pgtype.TimestampTZ},
			&expr.Const{Value: scalar.NewStringScalar(v.Operation), T: pgtype.Text},
			&expr.Const{Value: scalar.NewInt64Scalar(int64(v.Rows)), T: pgtype.Int8},
		}
	}
	return executor.NewValues(x.env, executor.ValuesConfig{Rows: rows, Names: names(n.out), Types: columnTypes(n.out)})
}
