package planner

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/planner/dialect"
)

// Set-returning functions in a select list: SELECT unnest(ix.indkey),
// generate_subscripts(ix.indkey, 1) FROM pg_index ix (SQLAlchemy's index
// reflection), generate_series(1, 3), and the fields of
// information_schema._pg_expandarray(a) ((…).x, (…).n). Each call becomes
// a list-valued expression (the array itself, or __lg_subscripts,
// __lg_series, __lg_ordinals) of a projectSetNode, which expands the lists
// of each input row in lock step, as PostgreSQL 10 and later do; the calls
// then bind to the node's columns (binder.srfs). A bare
// _pg_expandarray(a), a composite value, is 0A000.

// projectSetNode expands set-returning calls of a select list.
type projectSetNode struct {
	in   node
	sets []expr.Expr
	out  []column
}

func (n *projectSetNode) columns() []column { return n.out }
func (n *projectSetNode) inputs() []node    { return []node{n.in} }
func (n *projectSetNode) label() string {
	parts := make([]string, len(n.sets))
	for i, s := range n.sets {
		parts[i] = s.String()
	}
	return "ProjectSet " + strings.Join(parts, ", ")
}

// srfName returns the name of a set-returning function call the select
// list may hold, or "".
func srfName(fc *ast.FuncCallExpr) string {
	name := strings.ToLower(fc.FnName.O)
	switch schema := fc.Schema.L; {
	case name == "_pg_expandarray" && (schema == "" || schema == "information_schema"):
		return name
	case schema != "" && schema != "pg_catalog":
		return ""
	}
	switch name {
	case "unnest", "generate_subscripts", "generate_series":
		return name
	}
	return ""
}

// srfCalls lists the set-returning calls of a SELECT's list (outside
// subqueries).
func srfCalls(s *ast.SelectStmt) []*ast.FuncCallExpr {
	var out []*ast.FuncCallExpr
	for _, f := range s.Fields.Fields {
		if f.Expr == nil {
			continue
		}
		f.Expr.Accept(&visitor{enter: func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.SubqueryExpr, *ast.SelectStmt:
				return false
			case *ast.FuncCallExpr:
				if srfName(x) != "" {
					out = append(out, x)
					return false
				}
			}
			return true
		}})
	}
	return out
}

// bindSets adds a projectSetNode for the select list's set-returning
// calls, if any, and returns the scope with their columns.
func (b *binder) bindSets(s *ast.SelectStmt, in node, sc *scope) (node, *scope, error) {
	calls := srfCalls(s)
	if len(calls) == 0 {
		return in, sc, nil
	}
	if b.srfs == nil {
		b.srfs = map[*ast.FuncCallExpr]srfCol{}
	}
	ps := &projectSetNode{in: in, out: append([]column(nil), in.columns()...)}
	out := sc
	if b.agg == nil {
		out = &scope{cols: append([]column(nil), sc.cols...)}
	}
	add := func(e expr.Expr, name string) {
		col := column{name: name, typ: pgtype.ElemOf(e.Type()), hidden: true}
		ps.sets = append(ps.sets, e)
		ps.out = append(ps.out, col)
		if b.agg == nil {
			out.cols = append(out.cols, col)
		}
	}
	for _, fc := range calls {
		name := srfName(fc)
		args, err := b.bindArgs(fc.Args, sc)
		if err != nil {
			return nil, nil, err
		}
		wantArgs := map[string][2]int{"unnest": {1, 1}, "generate_subscripts": {2, 2}, "generate_series": {2, 3}, "_pg_expandarray": {1, 1}}[name]
		if len(args) < wantArgs[0] || len(args) > wantArgs[1] {
			return nil, nil, sqlstate.New(sqlstate.UndefinedFunction, "function %s with %d arguments does not exist", name, len(args)).WithPosition(b.pos(fc))
		}
		if name != "generate_series" && !pgtype.IsArray(args[0].Type().OID) {
			return nil, nil, sqlstate.New(sqlstate.UndefinedFunction, "function %s(%s) does not exist", name, args[0].Type()).WithPosition(b.pos(fc))
		}
		first := len(ps.out)
		switch name {
		case "unnest":
			add(args[0], "unnest")
		case "generate_subscripts":
			e, err := b.call("__lg_subscripts", args, fc)
			if err != nil {
				return nil, nil, err
			}
			add(e, "generate_subscripts")
		case "generate_series":
			if len(args) == 2 {
				args = append(args, intConst(1))
			}
			args, err = b.unify(args, fc, "generate_series")
			if err != nil {
				return nil, nil, err
			}
			e, err := b.call("__lg_series", args, fc)
			if err != nil {
				return nil, nil, withPos(sqlstate.New(sqlstate.UndefinedFunction, "function generate_series(%s) does not exist: only integer series are supported in a select list", args[0].Type()), b.pos(fc))
			}
			add(e, "generate_series")
		case "_pg_expandarray":
			ord, err := b.call("__lg_ordinals", args, fc)
			if err != nil {
				return nil, nil, err
			}
			add(args[0], "x")
			add(ord, "n")
		}
		b.srfs[fc] = srfCol{index: first, types: columnTypes(ps.out[first:])}
	}
	return ps, out, nil
}

// srfCol is where a set-returning call's values are: the columns from
// index on (two for _pg_expandarray: x and n), of types types.
type srfCol struct {
	index int
	types []pgtype.Type
}

// srfRef binds a set-returning call, or a field of _pg_expandarray's, to
// the projectSetNode column computing it; ok is false for other
// expressions.
func (b *binder) srfRef(e ast.ExprNode, sc *scope) (expr.Expr, bool, error) {
	fc, ok := e.(*ast.FuncCallExpr)
	if !ok {
		return nil, false, nil
	}
	if name, _ := dialect.IsPGFunc(fc); name == "__pg_field" && len(fc.Args) == 2 {
		if x, ok, err := b.recordField(fc, sc); ok || err != nil {
			return x, ok, err
		}
	}
	if b.srfs == nil {
		return nil, false, nil
	}
	if name, _ := dialect.IsPGFunc(fc); name == "__pg_field" && len(fc.Args) == 2 {
		inner, ok := fc.Args[0].(*ast.FuncCallExpr)
		if !ok {
			if p, isParen := fc.Args[0].(*ast.ParenthesesExpr); isParen {
				inner, ok = p.Expr.(*ast.FuncCallExpr)
			}
		}
		c, found := b.srfs[inner]
		if !ok || !found || srfName(inner) != "_pg_expandarray" {
			return nil, false, nil
		}
		switch field, _ := dialect.StringArg(fc.Args[1]); field {
		case "x":
			return &expr.Column{Index: c.index, T: c.types[0], Name: "x"}, true, nil
		case "n":
			return &expr.Column{Index: c.index + 1, T: c.types[1], Name: "n"}, true, nil
		default:
			return nil, true, sqlstate.New(sqlstate.UndefinedColumn, "column %q not found in data type record", field).WithPosition(b.pos(fc))
		}
	}
	c, found := b.srfs[fc]
	if !found {
		return nil, false, nil
	}
	if srfName(fc) == "_pg_expandarray" {
		return nil, true, sqlstate.New(sqlstate.FeatureNotSupported, "record values of _pg_expandarray are not supported yet: select its fields x and n").WithPosition(b.pos(fc))
	}
	return &expr.Column{Index: c.index, T: c.types[0], Name: srfName(fc)}, true, nil
}

// buildProjectSet builds a projectSetNode's operator.
func (x *execution) buildProjectSet(n *projectSetNode) (executor.Operator, error) {
	in, err := x.build(n.in)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(n.sets))
	for i := range names {
		names[i] = n.out[len(n.out)-len(n.sets)+i].name
	}
	return closeOnError(in)(executor.NewProjectSet(x.env, in, executor.ProjectSetConfig{Sets: n.sets, Names: names}))
}

// pendingRecord is a record value of a select list: output column out
// holds the first field of set-returning call srf.
type pendingRecord struct {
	out int
	srf srfCol
}

// recordCall reports whether e is a bare _pg_expandarray call of the
// select list (a record value).
func (b *binder) recordCall(e ast.ExprNode) (srfCol, bool) {
	for {
		p, ok := e.(*ast.ParenthesesExpr)
		if !ok {
			break
		}
		e = p.Expr
	}
	fc, ok := e.(*ast.FuncCallExpr)
	if !ok || b.srfs == nil || srfName(fc) != "_pg_expandarray" {
		return srfCol{}, false
	}
	c, ok := b.srfs[fc]
	return c, ok
}

// recordField binds (col).field for a column holding a record value.
func (b *binder) recordField(fc *ast.FuncCallExpr, sc *scope) (expr.Expr, bool, error) {
	arg := fc.Args[0]
	for {
		p, ok := arg.(*ast.ParenthesesExpr)
		if !ok {
			break
		}
		arg = p.Expr
	}
	cn, ok := arg.(*ast.ColumnNameExpr)
	if !ok || sc == nil {
		return nil, false, nil
	}
	i, err := sc.lookup(cn.Name.Table.O, cn.Name.Name.O, b.pos(cn))
	if err != nil || sc.cols[i].fields == nil {
		return nil, false, nil
	}
	field, _ := dialect.StringArg(fc.Args[1])
	j, ok := sc.cols[i].fields[field]
	if !ok {
		return nil, true, sqlstate.New(sqlstate.UndefinedColumn, "column %q not found in data type record", field).WithPosition(b.pos(fc))
	}
	c := sc.cols[j]
	return &expr.Column{Index: j, T: c.typ, Name: field}, true, nil
}

// dropExtra projects a top-level query's result onto its visible columns.
func dropExtra(q *boundQuery) node {
	keep := make([]expr.Expr, len(q.cols))
	for i, c := range q.cols {
		keep[i] = &expr.Column{Index: i, T: c.typ, Name: c.name}
	}
	return &projectNode{in: q.root, exprs: keep, out: q.cols}
}
