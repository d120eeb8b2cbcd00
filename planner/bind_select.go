package planner

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// boundQuery is a bound SELECT: its plan and visible output columns.
type boundQuery struct {
	root node
	cols []column
	// extra are columns the root outputs after cols that only an
	// enclosing query reads: the fields of record values in cols
	// (composite, bind_srf.go).
	extra []column
}

func (b *binder) bindQuery(rs ast.ResultSetNode) (*boundQuery, error) {
	switch n := rs.(type) {
	case *ast.SelectStmt:
		return b.bindSelect(n)
	case *ast.SetOprStmt:
		return b.bindSetOpr(n)
	}
	return nil, sqlstate.New(sqlstate.FeatureNotSupported, "query %T is not supported", rs).WithPosition(b.pos(rs))
}

// oneRow is the input of a SELECT without FROM: one row, no columns.
func oneRow() node { return &valuesNode{rows: [][]expr.Expr{{}}} }

func (b *binder) bindSelect(s *ast.SelectStmt) (*boundQuery, error) {
	targets := b.insertTargets
	b.insertTargets = nil
	pop, err := b.pushWith(s.With)
	if err != nil {
		return nil, withPos(err, b.pos(s))
	}
	defer pop()
	if s.Kind == ast.SelectStmtKindValues {
		return b.bindValuesStmt(s)
	}
	if s.LockInfo != nil && s.LockInfo.LockType != ast.SelectLockNone {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "SELECT … FOR UPDATE is not supported").WithPosition(b.pos(s))
	}
	var in node
	sc := &scope{}
	if s.From != nil {
		var err error
		if in, sc, err = b.bindFrom(s.From.TableRefs); err != nil {
			return nil, err
		}
	} else {
		in = oneRow()
	}
	if s.Where != nil {
		if hasAggregate(s.Where) {
			return nil, sqlstate.New(sqlstate.GroupingError, "aggregate functions are not allowed in WHERE").WithPosition(b.pos(s.Where))
		}
		pred, err := b.bindBool(s.Where, sc)
		if err != nil {
			return nil, err
		}
		in = &filterNode{in: in, pred: pred}
	}

	needAgg := s.GroupBy != nil || s.Having != nil
	for _, f := range s.Fields.Fields {
		if f.Expr != nil && hasAggregate(f.Expr) {
			needAgg = true
		}
	}
	if s.OrderBy != nil {
		for _, it := range s.OrderBy.Items {
			if hasAggregate(it.Expr) {
				needAgg = true
			}
		}
	}
	if needAgg {
		var err error
		if in, sc, err = b.bindAggregation(s, in, sc); err != nil {
			return nil, err
		}
		defer func() { b.agg = nil }()
	}
	in, sc, err = b.bindWindows(s, in, sc)
	if err != nil {
		return nil, err
	}
	if in, sc, err = b.bindSets(s, in, sc); err != nil {
		return nil, err
	}

	// The select list.
	var exprs []expr.Expr
	var out []column
	var records []pendingRecord
	for _, f := range s.Fields.Fields {
		if f.WildCard != nil {
			if b.agg != nil {
				return nil, sqlstate.New(sqlstate.GroupingError, "SELECT * is not allowed with GROUP BY or aggregates").WithPosition(b.pos(f))
			}
			tbl := f.WildCard.Table.O
			n := 0
			for i, c := range sc.cols {
				if c.hidden || (tbl != "" && c.table != tbl) {
					continue
				}
				exprs = append(exprs, &expr.Column{Index: i, T: c.typ, Name: c.name})
				out = append(out, c)
				n++
			}
			if tbl != "" && n == 0 {
				return nil, sqlstate.New(sqlstate.UndefinedTable, "missing FROM-clause entry for table %q", tbl).WithPosition(b.pos(f))
			}
			if tbl == "" && s.From == nil {
				return nil, sqlstate.New(sqlstate.SyntaxError, "SELECT * with no tables specified is not valid").WithPosition(b.pos(f))
			}
			continue
		}
		if c, ok := b.recordCall(f.Expr); ok {
			// A record value (_pg_expandarray(a)): its first field here,
			// the others as extra columns an enclosing query reads with
			// (x).field.
			records = append(records, pendingRecord{out: len(out), srf: c})
			exprs = append(exprs, &expr.Column{Index: c.index, T: c.types[0]})
			name := f.AsName.O
			if name == "" {
				name = b.fieldName(f.Expr)
			}
			out = append(out, column{name: name, typ: c.types[0]})
			continue
		}
		x, err := b.bindExpr(f.Expr, sc)
		if err != nil {
			return nil, err
		}
		untyped := false
		if x.Type() == pgtype.Unknown {
			// An untyped literal in the select list is text, except in
			// INSERT … SELECT, where it takes its target column's type.
			want := pgtype.Text
			if i := len(out); i < len(targets) {
				want = targets[i]
			} else {
				untyped = true
			}
			if x, err = b.coerce(x, want, f); err != nil {
				return nil, err
			}
		}
		name := f.AsName.O
		if name == "" {
			name = b.fieldName(f.Expr)
		}
		col := column{name: name, typ: x.Type(), untyped: untyped}
		if c, ok := x.(*expr.Column); ok && f.AsName.O == "" && b.agg == nil {
			src := sc.cols[c.Index]
			col.tableOID, col.attNum = src.tableOID, src.attNum
		}
		exprs = append(exprs, x)
		out = append(out, col)
	}
	visible := len(exprs)
	for _, r := range records {
		out[r.out].fields = map[string]int{"x": r.out, "n": len(out)}
		exprs = append(exprs, &expr.Column{Index: r.srf.index + 1, T: r.srf.types[1]})
		out = append(out, column{name: out[r.out].name + ".n", typ: r.srf.types[1], hidden: true})
	}
	extra := len(exprs) - visible

	// ORDER BY keys: output ordinals and names first, then expressions
	// over the input, added as hidden columns.
	var keys []sortKey
	if s.OrderBy != nil {
		for _, it := range s.OrderBy.Items {
			e, nullsFirst, hasNulls := unwrapNulls(it.Expr)
			idx := -1
			if v, ok := constInt(e); ok {
				if v < 1 || int(v) > visible {
					return nil, sqlstate.New(sqlstate.InvalidColumnReference, "ORDER BY position %d is not in select list", v).WithPosition(b.pos(it))
				}
				idx = int(v) - 1
			} else if cn, ok := e.(*ast.ColumnNameExpr); ok && cn.Name.Table.O == "" {
				for i := 0; i < visible; i++ {
					if out[i].name == cn.Name.Name.O {
						if idx >= 0 && !sameExpr(exprs[idx], exprs[i]) {
							return nil, sqlstate.New(sqlstate.AmbiguousColumn, "ORDER BY %q is ambiguous", cn.Name.Name.O).WithPosition(b.pos(it))
						}
						idx = i
					}
				}
			}
			if idx < 0 {
				x, err := b.bindExpr(e, sc)
				if err != nil {
					return nil, err
				}
				for i := range exprs {
					if sameExpr(exprs[i], x) {
						idx = i
						break
					}
				}
				if idx < 0 {
					if s.Distinct {
						return nil, sqlstate.New(sqlstate.InvalidColumnReference, "for SELECT DISTINCT, ORDER BY expressions must appear in select list").WithPosition(b.pos(it))
					}
					exprs = append(exprs, x)
					out = append(out, column{name: x.String(), typ: x.Type(), hidden: true})
					idx = len(exprs) - 1
				}
			}
			if !hasNulls {
				nullsFirst = it.Desc
			}
			keys = append(keys, sortKey{e: &expr.Column{Index: idx, T: out[idx].typ, Name: out[idx].name}, desc: it.Desc, nullsFirst: nullsFirst})
		}
	}

	var root node = &projectNode{in: in, exprs: exprs, out: out}
	if s.Distinct {
		root = &distinctNode{in: root}
	}
	count, offset, err := b.bindLimit(s.Limit)
	if err != nil {
		return nil, err
	}
	switch {
	case len(keys) > 0 && count != nil:
		root = &topKNode{in: root, keys: keys, count: count, offset: offset}
	case len(keys) > 0:
		root = &sortNode{in: root, keys: keys}
		if offset != nil {
			root = &limitNode{in: root, offset: offset}
		}
	case count != nil || offset != nil:
		root = &limitNode{in: root, count: count, offset: offset}
	}
	if len(exprs) > visible+extra {
		// Drop the hidden ORDER BY columns.
		keep := make([]expr.Expr, visible+extra)
		for i := range keep {
			keep[i] = &expr.Column{Index: i, T: out[i].typ, Name: out[i].name}
		}
		root = &projectNode{in: root, exprs: keep, out: out[:visible+extra]}
	}
	return &boundQuery{root: root, cols: out[:visible], extra: out[visible : visible+extra]}, nil
}

// unwrapNulls strips the dialect's __pg_nulls(x, 'FIRST'|'LAST') wrapper
// of ORDER BY x NULLS FIRST|LAST.
func unwrapNulls(e ast.ExprNode) (ast.ExprNode, bool, bool) {
	fc, ok := e.(*ast.FuncCallExpr)
	if !ok || !strings.EqualFold(fc.FnName.O, "__pg_nulls") || len(fc.Args) != 2 {
		return e, false, false
	}
	s, _ := constString(fc.Args[1])
	return fc.Args[0], strings.EqualFold(s, "FIRST"), true
}

// sameExpr reports whether two bound expressions are structurally equal.
func sameExpr(a, b expr.Expr) bool {
	return a.Type() == b.Type() && a.String() == b.String()
}

// bindLimit binds LIMIT and OFFSET as int8 constants or parameters.
func (b *binder) bindLimit(l *ast.Limit) (count, offset expr.Expr, err error) {
	if l == nil {
		return nil, nil, nil
	}
	bind := func(e ast.ExprNode) (expr.Expr, error) {
		if e == nil {
			return nil, nil
		}
		if hasColumnRef(e) {
			return nil, sqlstate.New(sqlstate.InvalidColumnReference, "argument of LIMIT must not contain variables").WithPosition(b.pos(e))
		}
		x, err := b.bindExpr(e, &scope{})
		if err != nil {
			return nil, err
		}
		return b.coerce(x, pgtype.Int8, e)
	}
	if count, err = bind(l.Count); err != nil {
		return nil, nil, err
	}
	if offset, err = bind(l.Offset); err != nil {
		return nil, nil, err
	}
	return count, offset, nil
}

// bindValuesStmt binds a top-level VALUES list (columns column1, …).
func (b *binder) bindValuesStmt(s *ast.SelectStmt) (*boundQuery, error) {
	lists := make([][]ast.ExprNode, len(s.Lists))
	for i, r := range s.Lists {
		lists[i] = r.Values
	}
	vn, err := b.bindValues(lists, nil)
	if err != nil {
		return nil, err
	}
	return &boundQuery{root: vn, cols: vn.out}, nil
}
