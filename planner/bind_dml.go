package planner

import (
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// bindValues binds VALUES rows; with targets, each value is coerced to its
// target column's type by assignment rules, else columns get a common type.
func (b *binder) bindValues(lists [][]ast.ExprNode, targets []ColumnDef) (*valuesNode, error) {
	if len(lists) == 0 {
		return nil, sqlstate.New(sqlstate.SyntaxError, "VALUES needs at least one row")
	}
	width := len(lists[0])
	rows := make([][]expr.Expr, len(lists))
	for i, l := range lists {
		if len(l) != width {
			return nil, sqlstate.New(sqlstate.SyntaxError, "VALUES lists must all be the same length").WithPosition(b.pos(firstNode(l)))
		}
		if targets != nil && len(l) > len(targets) {
			return nil, sqlstate.New(sqlstate.SyntaxError, "INSERT has more expressions than target columns").WithPosition(b.pos(l[len(targets)]))
		}
		if targets != nil && len(l) < len(targets) {
			return nil, sqlstate.New(sqlstate.SyntaxError, "INSERT has more target columns than expressions").WithPosition(b.pos(firstNode(l)))
		}
		rows[i] = make([]expr.Expr, width)
		for j, e := range l {
			if _, ok := e.(*ast.DefaultExpr); ok && targets != nil {
				rows[i][j] = &expr.Const{T: targets[j].Type}
				if seq := targets[j].Sequence; seq != "" {
					// DEFAULT of a serial or identity column: the next value.
					next, err := b.call("nextval", []expr.Expr{b.textConst(seq)}, e)
					if err != nil {
						return nil, err
					}
					if rows[i][j], err = b.assign(next, targets[j], e); err != nil {
						return nil, err
					}
				}
				continue
			}
			x, err := b.bindExpr(e, &scope{})
			if err != nil {
				return nil, err
			}
			if targets != nil {
				if x, err = b.assign(x, targets[j], e); err != nil {
					return nil, err
				}
			}
			rows[i][j] = x
		}
	}
	out := make([]column, width)
	for j := 0; j < width; j++ {
		var t pgtype.Type
		if targets != nil {
			t = targets[j].Type
		} else {
			col := make([]expr.Expr, len(rows))
			for i := range rows {
				col[i] = rows[i][j]
			}
			unified, err := b.unify(col, firstNode(lists[0]), "VALUES")
			if err != nil {
				return nil, err
			}
			for i := range rows {
				rows[i][j] = unified[i]
			}
			t = unified[0].Type()
		}
		out[j] = column{name: "column" + itoa(j+1), typ: t}
	}
	return &valuesNode{rows: rows, out: out}, nil
}

func firstNode(l []ast.ExprNode) ast.Node {
	if len(l) == 0 {
		return nil
	}
	return l[0]
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// assign coerces a value to a column's type by PostgreSQL's assignment
// rules: untyped literals are parsed as the column type; numbers convert
// among themselves (rounding), anything converts to text types; other
// mismatches are 42804.
func (b *binder) assign(x expr.Expr, col ColumnDef, n ast.Node) (expr.Expr, error) {
	t := col.Type
	xt := x.Type()
	if xt == t {
		return x, nil
	}
	if xt == pgtype.Unknown || xt.OID == t.OID || expr.AssignCast(xt, t) || assignable(xt, t) {
		return b.coerce(x, t, n)
	}
	return nil, sqlstate.New(sqlstate.DatatypeMismatch, "column %q is of type %s but expression is of type %s", col.Name, t, xt).
		WithPosition(b.pos(n)).WithHint("You will need to rewrite or cast the expression.")
}

// assignable reports the assignment casts PostgreSQL allows beyond the
// implicit ones: among numeric types, and to text types.
func assignable(from, to pgtype.Type) bool {
	num := func(t pgtype.Type) bool {
		switch t.OID {
		case pgtype.OIDInt2, pgtype.OIDInt4, pgtype.OIDInt8, pgtype.OIDFloat4, pgtype.OIDFloat8, pgtype.OIDNumeric:
			return true
		}
		return false
	}
	if num(from) && num(to) {
		return true
	}
	switch to.OID {
	case pgtype.OIDText, pgtype.OIDVarchar, pgtype.OIDBpchar:
		return true
	case pgtype.OIDVector:
		return from.OID == pgtype.OIDVector
	case pgtype.OIDTimestamp, pgtype.OIDTimestampTZ, pgtype.OIDDate:
		switch from.OID {
		case pgtype.OIDTimestamp, pgtype.OIDTimestampTZ, pgtype.OIDDate:
			return true
		}
	}
	return false
}

// tableScope is the scope of a DML statement's target table: its columns,
// under the table's name or alias, then the hidden row address.
func tableScope(t Table, alias string, rowAddr bool) *scope {
	sc := &scope{}
	for i, d := range t.Columns() {
		sc.add(column{table: alias, name: d.Name, typ: d.Type, tableOID: t.OID(), attNum: int16(i + 1)})
	}
	if rowAddr {
		sc.add(column{table: alias, name: "_rowaddr", typ: pgtype.Int8, hidden: true})
	}
	return sc
}

// insertPlan inserts the rows of source into a table.
type insertPlan struct {
	table tableRef
	// target maps each source column to a table column index.
	target []int
	source node
	ret    *returning
}

// updatePlan rewrites the rows of a table that match a filter.
type updatePlan struct {
	table tableRef
	// source yields the matching rows: the table's columns then the row
	// address.
	source node
	// set holds, per table column, the new value over source's columns.
	set []expr.Expr
	ret *returning
}

// deletePlan deletes the rows of a table that match a filter.
type deletePlan struct {
	table  tableRef
	source node
	ret    *returning
}

// returning is a RETURNING list over the table's columns.
type returning struct {
	exprs []expr.Expr
	cols  []column
}

func (b *binder) bindReturning(t Table, alias string) (*returning, error) {
	fl := b.src.Returning()
	if fl == nil {
		return nil, nil
	}
	sc := tableScope(t, alias, false)
	r := &returning{}
	for _, f := range fl.Fields {
		if f.WildCard != nil {
			for i, c := range sc.cols {
				r.exprs = append(r.exprs, &expr.Column{Index: i, T: c.typ, Name: c.name})
				r.cols = append(r.cols, c)
			}
			continue
		}
		if hasAggregate(f.Expr) {
			return nil, sqlstate.New(sqlstate.GroupingError, "aggregate functions are not allowed in RETURNING").WithPosition(b.pos(f.Expr))
		}
		x, err := b.bindExpr(f.Expr, sc)
		if err != nil {
			return nil, err
		}
		if x.Type() == pgtype.Unknown {
			if x, err = b.coerce(x, pgtype.Text, f); err != nil {
				return nil, err
			}
		}
		name := f.AsName.O
		if name == "" {
			name = b.fieldName(f.Expr)
		}
		c := column{name: name, typ: x.Type()}
		if col, ok := x.(*expr.Column); ok {
			c.tableOID, c.attNum = sc.cols[col.Index].tableOID, sc.cols[col.Index].attNum
		}
		r.exprs = append(r.exprs, x)
		r.cols = append(r.cols, c)
	}
	return r, nil
}

// dmlTable resolves the single target table of a DML statement.
func (b *binder) dmlTable(refs *ast.TableRefsClause) (Table, tableRef, string, error) {
	if refs == nil || refs.TableRefs == nil || refs.TableRefs.Right != nil {
		return nil, tableRef{}, "", sqlstate.New(sqlstate.FeatureNotSupported, "only one target table is supported")
	}
	ts, ok := refs.TableRefs.Left.(*ast.TableSource)
	if !ok {
		return nil, tableRef{}, "", sqlstate.New(sqlstate.FeatureNotSupported, "unsupported target table")
	}
	tn, ok := ts.Source.(*ast.TableName)
	if !ok {
		return nil, tableRef{}, "", sqlstate.New(sqlstate.FeatureNotSupported, "the target must be a table").WithPosition(b.pos(ts))
	}
	if tn.AsOf != nil {
		return nil, tableRef{}, "", sqlstate.New(sqlstate.FeatureNotSupported, "cannot write to a table AS OF a version").WithPosition(b.pos(tn))
	}
	t, ref, err := b.resolveTable(tn)
	if err != nil {
		return nil, ref, "", err
	}
	if ro, ok := t.(ReadOnlyTable); ok {
		return nil, ref, "", withPos(ro.ReadOnly(), b.pos(tn))
	}
	alias := ts.AsName.O
	if alias == "" {
		alias = tn.Name.O
	}
	return t, ref, alias, nil
}

func (b *binder) bindInsert(s *ast.InsertStmt) (*insertPlan, error) {
	if s.IsReplace || len(s.OnDuplicate) > 0 || s.IgnoreErr {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "this INSERT form is not supported")
	}
	t, ref, alias, err := b.dmlTable(s.Table)
	if err != nil {
		return nil, err
	}
	defs := t.Columns()
	p := &insertPlan{table: ref}
	var targets []ColumnDef
	if len(s.Columns) == 0 {
		for i := range defs {
			p.target = append(p.target, i)
		}
		targets = defs
	} else {
		seen := map[int]bool{}
		for _, c := range s.Columns {
			idx := -1
			for i, d := range defs {
				if d.Name == c.Name.O {
					idx = i
				}
			}
			if idx < 0 {
				return nil, sqlstate.New(sqlstate.UndefinedColumn, "column %q of relation %q does not exist", c.Name.O, ref.name).WithPosition(b.pos(c))
			}
			if seen[idx] {
				return nil, sqlstate.New(sqlstate.DuplicateColumn, "column %q specified more than once", c.Name.O).WithPosition(b.pos(c))
			}
			seen[idx] = true
			if defs[idx].Identity == 'a' {
				return nil, sqlstate.New(sqlstate.GeneratedAlways, "cannot insert a non-DEFAULT value into column %q", defs[idx].Name).
					WithDetail("Column %q is an identity column defined as GENERATED ALWAYS.", defs[idx].Name).
					WithHint("Use OVERRIDING SYSTEM VALUE to override.").WithPosition(b.pos(c))
			}
			p.target = append(p.target, idx)
			targets = append(targets, defs[idx])
		}
	}
	switch {
	case s.Select != nil:
		if _, plain := s.Select.(*ast.SelectStmt); plain {
			for _, t := range targets {
				b.insertTargets = append(b.insertTargets, t.Type)
			}
		}
		q, err := b.bindQuery(s.Select)
		b.insertTargets = nil
		if err != nil {
			return nil, err
		}
		if len(q.cols) > len(targets) {
			return nil, sqlstate.New(sqlstate.SyntaxError, "INSERT has more expressions than target columns").WithPosition(b.pos(s.Select))
		}
		if len(q.cols) < len(targets) && len(s.Columns) > 0 {
			return nil, sqlstate.New(sqlstate.SyntaxError, "INSERT has more target columns than expressions").WithPosition(b.pos(s.Select))
		}
		p.target = p.target[:len(q.cols)]
		exprs := make([]expr.Expr, len(q.cols))
		out := make([]column, len(q.cols))
		for i, c := range q.cols {
			x, err := b.assign(&expr.Column{Index: i, T: c.typ, Name: c.name}, targets[i], s.Select)
			if err != nil {
				return nil, err
			}
			exprs[i] = x
			out[i] = column{name: targets[i].Name, typ: targets[i].Type}
		}
		p.source = &projectNode{in: q.root, exprs: exprs, out: out}
	case len(s.Lists) > 0:
		if len(s.Lists) == 1 && len(s.Lists[0]) == 0 {
			// INSERT INTO t DEFAULT VALUES (the dialect's form) or VALUES ().
			p.target = nil
			p.source = &valuesNode{rows: [][]expr.Expr{{}}}
			break
		}
		lists := s.Lists
		if len(s.Columns) == 0 {
			// Without a column list, values fill the first columns.
			w := len(lists[0])
			if w < len(defs) {
				p.target = p.target[:w]
				targets = targets[:w]
			}
		}
		vn, err := b.bindValues(lists, targets)
		if err != nil {
			return nil, err
		}
		p.source = vn
	default:
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "this INSERT form is not supported")
	}
	if p.ret, err = b.bindReturning(t, alias); err != nil {
		return nil, err
	}
	return p, nil
}

func (b *binder) bindUpdate(s *ast.UpdateStmt) (*updatePlan, error) {
	if s.Order != nil || s.Limit != nil || s.MultipleTable {
		return nil, sqlstate.New(sqlstate.SyntaxError, "UPDATE with ORDER BY, LIMIT or several tables is not PostgreSQL syntax")
	}
	t, ref, alias, err := b.dmlTable(s.TableRefs)
	if err != nil {
		return nil, err
	}
	sc := tableScope(t, alias, true)
	var src node = b.dmlScan(t, ref, sc)
	if s.Where != nil {
		if hasAggregate(s.Where) {
			return nil, sqlstate.New(sqlstate.GroupingError, "aggregate functions are not allowed in WHERE").WithPosition(b.pos(s.Where))
		}
		pred, err := b.bindBool(s.Where, sc)
		if err != nil {
			return nil, err
		}
		src = &filterNode{in: src, pred: pred}
	}
	defs := t.Columns()
	p := &updatePlan{table: ref, source: src, set: make([]expr.Expr, len(defs))}
	for i, d := range defs {
		p.set[i] = &expr.Column{Index: i, T: d.Type, Name: d.Name}
	}
	assigned := map[int]bool{}
	for _, a := range s.List {
		idx := -1
		for i, d := range defs {
			if d.Name == a.Column.Name.O {
				idx = i
			}
		}
		if idx < 0 || (a.Column.Table.O != "" && a.Column.Table.O != alias) {
			return nil, sqlstate.New(sqlstate.UndefinedColumn, "column %q of relation %q does not exist", a.Column.Name.O, ref.name).WithPosition(b.pos(a.Column))
		}
		if assigned[idx] {
			return nil, sqlstate.New(sqlstate.SyntaxError, "multiple assignments to same column %q", a.Column.Name.O).WithPosition(b.pos(a.Column))
		}
		assigned[idx] = true
		if _, ok := a.Expr.(*ast.DefaultExpr); ok {
			p.set[idx] = &expr.Const{T: defs[idx].Type}
			continue
		}
		if hasAggregate(a.Expr) {
			return nil, sqlstate.New(sqlstate.GroupingError, "aggregate functions are not allowed in UPDATE").WithPosition(b.pos(a.Expr))
		}
		x, err := b.bindExpr(a.Expr, sc)
		if err != nil {
			return nil, err
		}
		if p.set[idx], err = b.assign(x, defs[idx], a.Expr); err != nil {
			return nil, err
		}
	}
	if p.ret, err = b.bindReturning(t, alias); err != nil {
		return nil, err
	}
	return p, nil
}

func (b *binder) bindDelete(s *ast.DeleteStmt) (*deletePlan, error) {
	if s.Order != nil || s.Limit != nil || s.IsMultiTable {
		return nil, sqlstate.New(sqlstate.SyntaxError, "DELETE with ORDER BY, LIMIT or several tables is not PostgreSQL syntax")
	}
	t, ref, alias, err := b.dmlTable(s.TableRefs)
	if err != nil {
		return nil, err
	}
	sc := tableScope(t, alias, true)
	var src node = b.dmlScan(t, ref, sc)
	if s.Where != nil {
		if hasAggregate(s.Where) {
			return nil, sqlstate.New(sqlstate.GroupingError, "aggregate functions are not allowed in WHERE").WithPosition(b.pos(s.Where))
		}
		pred, err := b.bindBool(s.Where, sc)
		if err != nil {
			return nil, err
		}
		src = &filterNode{in: src, pred: pred}
	}
	p := &deletePlan{table: ref, source: src}
	if p.ret, err = b.bindReturning(t, alias); err != nil {
		return nil, err
	}
	return p, nil
}

// dmlScan scans every column of the target table and its row addresses.
func (b *binder) dmlScan(t Table, ref tableRef, sc *scope) *scanNode {
	n := &scanNode{table: ref, rowAddr: true, out: sc.cols}
	for i := range t.Columns() {
		n.cols = append(n.cols, i)
	}
	return n
}
