package planner

import (
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow/scalar"
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// bindFrom binds a FROM clause (a join tree) into a node and its scope.
func (b *binder) bindFrom(j *ast.Join) (node, *scope, error) {
	if j.Right == nil {
		return b.bindFromItem(j.Left)
	}
	left, ls, err := b.bindFromItem(j.Left)
	if err != nil {
		return nil, nil, err
	}
	right, rs, err := b.bindFromItem(j.Right)
	if err != nil {
		return nil, nil, err
	}
	kind := joinInner
	swap := false
	switch j.Tp {
	case ast.LeftJoin:
		kind = joinLeft
	case ast.RightJoin:
		kind, swap = joinLeft, true
	case ast.CrossJoin:
		if j.On == nil {
			kind = joinCross
		}
	}
	if swap {
		left, right, ls, rs = right, left, rs, ls
	}
	sc := concat(ls, rs)
	jn := &joinNode{left: left, right: right, kind: kind, out: sc.cols}
	if j.NaturalJoin || len(j.Using) > 0 {
		return b.bindUsing(j, jn, ls, rs, swap)
	}
	if j.On != nil {
		if hasAggregate(j.On.Expr) {
			return nil, nil, sqlstate.New(sqlstate.GroupingError, "aggregate functions are not allowed in JOIN conditions").WithPosition(b.pos(j.On.Expr))
		}
		cond, err := b.bindBool(j.On.Expr, sc)
		if err != nil {
			return nil, nil, err
		}
		jn.cond = cond
	}
	if !swap {
		return jn, sc, nil
	}
	// Restore the written column order: the original left side first.
	nr := len(rs.cols)
	var exprs []expr.Expr
	var cols []column
	for i := range ls.cols {
		cols = append(cols, ls.cols[i])
		exprs = append(exprs, &expr.Column{Index: nr + i, T: ls.cols[i].typ, Name: ls.cols[i].name})
	}
	for i := range rs.cols {
		cols = append(cols, rs.cols[i])
		exprs = append(exprs, &expr.Column{Index: i, T: rs.cols[i].typ, Name: rs.cols[i].name})
	}
	return &projectNode{in: jn, exprs: exprs, out: cols}, &scope{cols: cols}, nil
}

func (b *binder) bindFromItem(rs ast.ResultSetNode) (node, *scope, error) {
	switch n := rs.(type) {
	case *ast.Join:
		return b.bindFrom(n)
	case *ast.TableSource:
		if fn := b.src.TableFunction(n); fn != nil {
			return b.bindTableFunction(fn, n)
		}
		alias := n.AsName.O
		aliases := b.src.ColumnAliases(n)
		switch src := n.Source.(type) {
		case *ast.TableName:
			if alias == "" {
				alias = src.Name.O
			}
			var nd node
			var sc *scope
			var err error
			var work *workNode
			if src.Schema.O == "" {
				if work, err = b.workTable(src.Name.L, b.pos(src)); err != nil {
					return nil, nil, err
				}
			}
			if work != nil {
				cols := make([]column, len(work.out))
				for i, c := range work.out {
					c.table = alias
					cols[i] = c
				}
				nd, sc = work, &scope{cols: cols}
			} else if c, lvl, ok := b.cte(src.Name.L); ok && src.Schema.O == "" {
				nd, sc, err = b.bindCTERef(c, lvl, alias)
			} else {
				nd, sc, err = b.bindTable(src, alias)
			}
			if err != nil {
				return nil, nil, err
			}
			if len(aliases) > len(sc.cols) {
				return nil, nil, sqlstate.New(sqlstate.InvalidColumnReference, "table %q has %d columns available but %d columns specified", alias, len(sc.cols), len(aliases)).WithPosition(b.pos(n))
			}
			for i, a := range aliases {
				sc.cols[i].name = a
			}
			return nd, sc, nil
		case *ast.SelectStmt, *ast.SetOprStmt:
			q, err := b.bindQuery(src.(ast.ResultSetNode))
			if err != nil {
				return nil, nil, err
			}
			cols := make([]column, len(q.cols), len(q.cols)+len(q.extra))
			for i, c := range q.cols {
				c.table = alias
				if i < len(n.ColumnNames) {
					c.name = n.ColumnNames[i].O
				}
				if i < len(aliases) {
					c.name = aliases[i]
				}
				c.hidden = false
				cols[i] = c
			}
			if len(n.ColumnNames) > len(cols) || len(aliases) > len(cols) {
				return nil, nil, sqlstate.New(sqlstate.InvalidColumnReference, "table %q has %d columns available but %d columns specified", alias, len(cols), max(len(n.ColumnNames), len(aliases))).WithPosition(b.pos(n))
			}
			for _, c := range q.extra {
				c.table, c.hidden, c.qualifiedOnly = alias, true, true
				cols = append(cols, c)
			}
			return q.root, &scope{cols: cols}, nil
		case *ast.Join:
			return b.bindFrom(src)
		}
		return nil, nil, sqlstate.New(sqlstate.FeatureNotSupported, "FROM item %T is not supported", n.Source).WithPosition(b.pos(n))
	case *ast.TableName:
		return b.bindTable(n, n.Name.O)
	case *ast.SelectStmt:
		q, err := b.bindQuery(n)
		if err != nil {
			return nil, nil, err
		}
		return q.root, &scope{cols: q.cols}, nil
	}
	return nil, nil, sqlstate.New(sqlstate.FeatureNotSupported, "FROM item %T is not supported", rs).WithPosition(b.pos(rs))
}

// resolveTable resolves a table name and its AS OF clause to a snapshot.
func (b *binder) resolveTable(tn *ast.TableName) (Table, tableRef, error) {
	ref := tableRef{name: tn.Name.O}
	switch s := tn.Schema.O; {
	case s == "" || s == "public":
	case tn.Schema.L == SystemSchema, tn.Schema.L == "pg_catalog", tn.Schema.L == "information_schema":
		// lancegate.<t>: the catalog's system tables; pg_catalog.<t> and
		// information_schema.<t>: PostgreSQL's catalog.
		ref.name = tn.Schema.L + "." + tn.Name.O
	default:
		return nil, tableRef{}, sqlstate.New(sqlstate.UndefinedTable, "relation %q does not exist", s+"."+tn.Name.O).WithPosition(b.pos(tn))
	}
	t, err := b.cat.Table(b.ctx, ref.name)
	if err != nil {
		return nil, ref, withPos(err, b.pos(tn))
	}
	if tn.AsOf != nil {
		if t, err = b.applyAsOf(t, tn.AsOf, &ref); err != nil {
			return nil, ref, withPos(err, b.pos(tn))
		}
	}
	ref.bound = t.Columns()
	return t, ref, nil
}

// applyAsOf pins a table to AS OF VERSION n (the dialect's
// __lg_version(n)) or AS OF TIMESTAMP expr.
func (b *binder) applyAsOf(t Table, asOf *ast.AsOfClause, ref *tableRef) (Table, error) {
	if fc, ok := asOf.TsExpr.(*ast.FuncCallExpr); ok && strings.EqualFold(fc.FnName.O, "__lg_version") {
		if len(fc.Args) != 1 {
			return nil, sqlstate.New(sqlstate.SyntaxError, "AS OF VERSION takes one version number")
		}
		v, ok := constInt(fc.Args[0])
		if !ok || v <= 0 {
			return nil, sqlstate.New(sqlstate.InvalidParameterValue, "AS OF VERSION needs a positive integer constant")
		}
		ref.version = uint64(v)
		return t.AtVersion(b.ctx, uint64(v))
	}
	e, err := b.bindExpr(asOf.TsExpr, &scope{})
	if err != nil {
		return nil, err
	}
	e, err = b.coerce(e, pgtype.TimestampTZ, asOf)
	if err != nil {
		return nil, err
	}
	c, ok := e.(*expr.Const)
	if !ok || c.Value == nil || !c.Value.IsValid() {
		return nil, sqlstate.New(sqlstate.InvalidParameterValue, "AS OF TIMESTAMP needs a constant timestamp")
	}
	ts, ok := c.Value.(*scalar.Timestamp)
	if !ok {
		return nil, sqlstate.New(sqlstate.InternalError, "timestamp constant of %T", c.Value)
	}
	us := int64(ts.Value)
	ref.asOf, ref.hasAsOf = us, true
	return t.AsOf(b.ctx, time.UnixMicro(us))
}

func (b *binder) bindTable(tn *ast.TableName, alias string) (node, *scope, error) {
	t, ref, err := b.resolveTable(tn)
	if err != nil {
		return nil, nil, err
	}
	defs := t.Columns()
	n := &scanNode{table: ref}
	for i, d := range defs {
		n.cols = append(n.cols, i)
		n.out = append(n.out, column{table: alias, name: d.Name, typ: d.Type, tableOID: t.OID(), attNum: int16(i + 1)})
	}
	return n, &scope{cols: n.out}, nil
}

// bindTableFunction binds a function in FROM: lance_versions('t') lists a
// table's versions; generate_series(start, stop [, step]) counts.
func (b *binder) bindTableFunction(fn *ast.FuncCallExpr, ts *ast.TableSource) (node, *scope, error) {
	name := strings.TrimPrefix(strings.ToLower(fn.FnName.O), "pg_catalog.")
	switch name {
	case "generate_series":
		return b.bindSeries(fn, ts)
	case "unnest":
		return b.bindUnnest(fn, ts)
	case "lance_versions":
	default:
		return b.bindScalarInFrom(fn, ts)
	}
	if len(fn.Args) != 1 {
		return nil, nil, sqlstate.New(sqlstate.UndefinedFunction, "function lance_versions takes one table name").WithPosition(b.pos(fn))
	}
	tname, ok := constString(fn.Args[0])
	if !ok {
		return nil, nil, sqlstate.New(sqlstate.FeatureNotSupported, "lance_versions needs a constant table name").WithPosition(b.pos(fn))
	}
	if _, err := b.cat.Table(b.ctx, tname); err != nil {
		return nil, nil, withPos(err, b.pos(fn))
	}
	alias := ts.AsName.O
	if alias == "" {
		alias = name
	}
	out := []column{
		{table: alias, name: "version", typ: pgtype.Int8},
		{table: alias, name: "timestamp", typ: pgtype.TimestampTZ},
		{table: alias, name: "operation", typ: pgtype.Text},
		{table: alias, name: "rows", typ: pgtype.Int8},
	}
	for i, c := range b.src.ColumnAliases(ts) {
		if i < len(out) {
			out[i].name = c
		}
	}
	return &versionsNode{table: tname, out: out}, &scope{cols: out}, nil
}

// bindSeries binds generate_series over integers. Its column is int4 when
// every argument is smallint or integer, else bigint; a parameter of
// unknown type is taken as bigint. The column is named after the alias,
// else the function, as in PostgreSQL.
func (b *binder) bindSeries(fn *ast.FuncCallExpr, ts *ast.TableSource) (node, *scope, error) {
	if len(fn.Args) != 2 && len(fn.Args) != 3 {
		return nil, nil, sqlstate.New(sqlstate.UndefinedFunction, "function generate_series takes 2 or 3 arguments").WithPosition(b.pos(fn))
	}
	typ := pgtype.Int4
	args := make([]expr.Expr, len(fn.Args))
	for i, a := range fn.Args {
		if hasColumnRef(a) && len(b.outer) == 0 {
			// Inside a subquery, columns of the enclosing query are
			// outer references, constant for each run of the subquery.
			return nil, nil, sqlstate.New(sqlstate.FeatureNotSupported, "generate_series arguments must not refer to columns").WithPosition(b.pos(a))
		}
		x, err := b.bindExpr(a, &scope{})
		if err != nil {
			return nil, nil, err
		}
		switch x.Type().OID {
		case pgtype.Int2.OID, pgtype.Int4.OID:
		case pgtype.Int8.OID, pgtype.Unknown.OID:
			typ = pgtype.Int8
		default:
			return nil, nil, sqlstate.New(sqlstate.UndefinedFunction, "function generate_series(%s) does not exist: only integer series are supported", x.Type()).WithPosition(b.pos(fn))
		}
		args[i] = x
	}
	for i, a := range fn.Args {
		x, err := b.coerce(args[i], pgtype.Int8, a)
		if err != nil {
			return nil, nil, err
		}
		args[i] = x
	}
	alias := ts.AsName.O
	col := alias
	if col == "" {
		alias, col = "generate_series", "generate_series"
	}
	if cols := b.src.ColumnAliases(ts); len(cols) > 0 {
		col = cols[0]
	}
	out := []column{{table: alias, name: col, typ: typ}}
	return &seriesNode{args: args, out: out}, &scope{cols: out}, nil
}

// bindUsing binds JOIN … USING (cols) and NATURAL JOIN: the join
// condition is l.c = r.c for each column, and the output has each merged
// column once, under its bare name, first; then the other columns of the
// left side and of the right side. The two sides' own copies stay
// reachable as l.c and r.c. The merged value is the left side's for inner
// and left joins and the right side's for right joins. swap reports that
// jn's sides were exchanged for a RIGHT JOIN (ls and rs are jn's).
func (b *binder) bindUsing(j *ast.Join, jn *joinNode, ls, rs *scope, swap bool) (node, *scope, error) {
	var names []string
	if j.NaturalJoin {
		for _, c := range ls.cols {
			if c.hidden {
				continue
			}
			for _, r := range rs.cols {
				if !r.hidden && r.name == c.name {
					names = append(names, c.name)
					break
				}
			}
		}
	} else {
		for _, u := range j.Using {
			names = append(names, u.Name.O)
		}
	}
	nl := len(ls.cols)
	find := func(s *scope, name string) (int, error) {
		found := -1
		for i, c := range s.cols {
			if c.name == name && !c.hidden {
				if found >= 0 {
					return 0, sqlstate.New(sqlstate.AmbiguousColumn, "common column name %q appears more than once in left table", name).WithPosition(b.pos(j))
				}
				found = i
			}
		}
		if found < 0 {
			return 0, sqlstate.New(sqlstate.UndefinedColumn, "column %q specified in USING clause does not exist in left table", name).WithPosition(b.pos(j))
		}
		return found, nil
	}
	var conds []expr.Expr
	var exprs []expr.Expr
	var cols []column
	used := map[int]bool{}
	for _, name := range names {
		li, err := find(ls, name)
		if err != nil {
			return nil, nil, err
		}
		ri, err := find(rs, name)
		if err != nil {
			return nil, nil, err
		}
		l := &expr.Column{Index: li, T: ls.cols[li].typ, Name: name}
		r := &expr.Column{Index: nl + ri, T: rs.cols[ri].typ, Name: name}
		eq, err := b.call("=", []expr.Expr{l, r}, j)
		if err != nil {
			return nil, nil, err
		}
		conds = append(conds, eq)
		used[li], used[nl+ri] = true, true
		// jn's left side is the side whose rows all appear (the written
		// right side of a RIGHT JOIN, swapped), so its value is the
		// merged one.
		var merged expr.Expr = l
		exprs = append(exprs, merged)
		cols = append(cols, column{name: name, typ: merged.Type()})
	}
	jn.cond = &expr.BoolOp{Args: conds}
	if len(conds) == 1 {
		jn.cond = conds[0]
	}
	switch {
	case len(conds) == 0:
		jn.kind, jn.cond = joinCross, nil
	case jn.kind == joinCross:
		jn.kind = joinInner
	}
	first, second := ls, rs
	firstOff, secondOff := 0, nl
	if swap {
		first, second, firstOff, secondOff = rs, ls, nl, 0
	}
	for _, side := range []struct {
		s   *scope
		off int
	}{{first, firstOff}, {second, secondOff}} {
		for i, c := range side.s.cols {
			e := &expr.Column{Index: side.off + i, T: c.typ, Name: c.name}
			if used[side.off+i] {
				c.hidden, c.qualifiedOnly = true, true
			}
			exprs = append(exprs, e)
			cols = append(cols, c)
		}
	}
	return &projectNode{in: jn, exprs: exprs, out: cols}, &scope{cols: cols}, nil
}

// bindScalarInFrom binds a function that returns one value used as a FROM
// item (SELECT * FROM current_database()): a relation of one row and one
// column, named after the alias or else the function.
func (b *binder) bindScalarInFrom(fn *ast.FuncCallExpr, ts *ast.TableSource) (node, *scope, error) {
	name := strings.TrimPrefix(strings.ToLower(fn.FnName.O), "pg_catalog.")
	call := *fn
	call.FnName = ast.NewCIStr(name)
	x, err := b.bindExpr(&call, &scope{})
	if err != nil {
		return nil, nil, err
	}
	if x.Type() == pgtype.Unknown {
		if x, err = b.coerce(x, pgtype.Text, fn); err != nil {
			return nil, nil, err
		}
	}
	alias := ts.AsName.O
	if alias == "" {
		alias = name
	}
	out := []column{{table: alias, name: alias, typ: x.Type()}}
	row := []expr.Expr{x}
	if os, ok := b.src.(ordinalitySource); ok && os.Ordinality(ts) {
		out = append(out, column{table: alias, name: "ordinality", typ: pgtype.Int8})
		row = append(row, intConst(1))
		if row[1], err = b.coerce(row[1], pgtype.Int8, fn); err != nil {
			return nil, nil, err
		}
	}
	for i, c := range b.src.ColumnAliases(ts) {
		if i < len(out) {
			out[i].name = c
		}
	}
	return &valuesNode{rows: [][]expr.Expr{row}, out: out}, &scope{cols: out}, nil
}
