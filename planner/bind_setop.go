package planner

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// unionNode concatenates inputs of the same column types (UNION ALL).
type unionNode struct {
	ins []node
	out []column
}

func (n *unionNode) columns() []column { return n.out }
func (n *unionNode) inputs() []node    { return n.ins }
func (n *unionNode) label() string     { return "Union All" }

// setOpNode is INTERSECT [ALL] or EXCEPT [ALL] of two inputs of the same
// column types (executor.HashSetOp).
type setOpNode struct {
	left, right node
	kind        executor.SetOpKind
	out         []column
}

func (n *setOpNode) columns() []column { return n.out }
func (n *setOpNode) inputs() []node    { return []node{n.left, n.right} }
func (n *setOpNode) label() string {
	words := strings.Fields(strings.ToLower(n.kind.String()))
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:] // as PostgreSQL: HashSetOp Except All
	}
	return "HashSetOp " + strings.Join(words, " ")
}

// bindSetOpr binds UNION, INTERSECT and EXCEPT, each [ALL], with its
// ORDER BY and LIMIT. The operators combine left to right; the parser
// nests INTERSECT, which binds tighter, as PostgreSQL does.
func (b *binder) bindSetOpr(s *ast.SetOprStmt) (*boundQuery, error) {
	pop, err := b.pushWith(s.With)
	if err != nil {
		return nil, withPos(err, b.pos(s))
	}
	defer pop()
	q, err := b.bindSetList(s.SelectList)
	if err != nil {
		return nil, err
	}
	return b.orderLimitOutput(q, s.OrderBy, s.Limit)
}

func (b *binder) bindSetList(l *ast.SetOprSelectList) (*boundQuery, error) {
	var acc *boundQuery
	for i, n := range l.Selects {
		var q *boundQuery
		var op *ast.SetOprType
		var err error
		switch x := n.(type) {
		case *ast.SelectStmt:
			op = x.AfterSetOperator
			q, err = b.bindSelect(x)
		case *ast.SetOprSelectList:
			op = x.AfterSetOperator
			q, err = b.bindSetList(x)
		default:
			return nil, sqlstate.New(sqlstate.FeatureNotSupported, "set operand %T is not supported", n)
		}
		if err != nil {
			return nil, err
		}
		if i == 0 {
			acc = q
			continue
		}
		kind := ast.Union
		if op != nil {
			kind = *op
		}
		if acc, err = b.setOp(acc, q, kind, b.fieldPos(n)); err != nil {
			return nil, err
		}
	}
	if l.OrderBy != nil || l.Limit != nil {
		return b.orderLimitOutput(acc, l.OrderBy, l.Limit)
	}
	return acc, nil
}

// setOps maps the parser's set operations to the executor's; UNION is
// not among them (a unionNode, under a distinctNode without ALL).
var setOps = map[ast.SetOprType]executor.SetOpKind{
	ast.Intersect:    executor.Intersect,
	ast.IntersectAll: executor.IntersectAll,
	ast.Except:       executor.Except,
	ast.ExceptAll:    executor.ExceptAll,
}

// setOp combines two queries column by column at their common types;
// rpos(i) is the position of the right query's i-th column, for errors.
func (b *binder) setOp(l, r *boundQuery, op ast.SetOprType, rpos func(int) int) (*boundQuery, error) {
	what := "UNION"
	kind, isSetOp := setOps[op]
	if isSetOp {
		what = strings.Fields(kind.String())[0]
	}
	if len(l.cols) != len(r.cols) {
		return nil, sqlstate.New(sqlstate.SyntaxError, "each %s query must have the same number of columns", what).WithPosition(rpos(0))
	}
	out := make([]column, len(l.cols))
	types := make([]pgtype.Type, len(l.cols))
	for i := range l.cols {
		// Untyped literals take the other side's type (both untyped:
		// text, and still untyped for the next operation).
		var ts []pgtype.Type
		for _, c := range []column{l.cols[i], r.cols[i]} {
			if !c.untyped {
				ts = append(ts, c.typ)
			}
		}
		untyped := len(ts) == 0
		if untyped {
			ts = []pgtype.Type{pgtype.Text}
		}
		t, err := expr.CommonType(what, ts)
		if err != nil {
			return nil, withPos(err, rpos(i))
		}
		types[i] = t
		out[i] = column{name: l.cols[i].name, typ: t, untyped: untyped}
	}
	side := func(q *boundQuery) (node, error) {
		same := true
		exprs := make([]expr.Expr, len(q.cols))
		for i, c := range q.cols {
			var x expr.Expr = &expr.Column{Index: i, T: c.typ, Name: c.name}
			if c.typ != types[i] {
				same = false
				var err error
				if x, err = b.coerce(x, types[i], nil); err != nil {
					return nil, err
				}
			}
			exprs[i] = x
		}
		if same {
			return q.root, nil
		}
		return &projectNode{in: q.root, exprs: exprs, out: out}, nil
	}
	ln, err := side(l)
	if err != nil {
		return nil, err
	}
	rn, err := side(r)
	if err != nil {
		return nil, err
	}
	if isSetOp {
		return &boundQuery{root: &setOpNode{left: ln, right: rn, kind: kind, out: out}, cols: out}, nil
	}
	var root node = &unionNode{ins: []node{ln, rn}, out: out}
	if op == ast.Union {
		root = &distinctNode{in: root}
	}
	return &boundQuery{root: root, cols: out}, nil
}

// fieldPos returns a function giving the position of the i-th select-list
// item of a set operand (its start when it is not a plain SELECT).
func (b *binder) fieldPos(n ast.Node) func(int) int {
	return func(i int) int {
		for {
			l, ok := n.(*ast.SetOprSelectList)
			if !ok || len(l.Selects) == 0 {
				break
			}
			n = l.Selects[0]
		}
		if s, ok := n.(*ast.SelectStmt); ok && s.Fields != nil && i < len(s.Fields.Fields) {
			if f := s.Fields.Fields[i]; f.Expr != nil {
				if p := b.pos(f.Expr); p > 0 {
					return p
				}
			}
		}
		return b.pos(n)
	}
}

// orderLimitOutput applies ORDER BY (by output column name or position)
// and LIMIT/OFFSET to a query's output, as for UNION.
func (b *binder) orderLimitOutput(q *boundQuery, ob *ast.OrderByClause, lim *ast.Limit) (*boundQuery, error) {
	root := q.root
	var keys []sortKey
	if ob != nil {
		sc := &scope{cols: q.cols}
		for _, it := range ob.Items {
			e, nullsFirst, hasNulls := unwrapNulls(it.Expr)
			var x expr.Expr
			if v, ok := constInt(e); ok {
				if v < 1 || int(v) > len(q.cols) {
					return nil, sqlstate.New(sqlstate.InvalidColumnReference, "ORDER BY position %d is not in select list", v).WithPosition(b.pos(it))
				}
				c := q.cols[v-1]
				x = &expr.Column{Index: int(v) - 1, T: c.typ, Name: c.name}
			} else {
				var err error
				if x, err = b.bindExpr(e, sc); err != nil {
					return nil, err
				}
			}
			if !hasNulls {
				nullsFirst = it.Desc
			}
			keys = append(keys, sortKey{e: x, desc: it.Desc, nullsFirst: nullsFirst})
		}
	}
	count, offset, err := b.bindLimit(lim)
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
	return &boundQuery{root: root, cols: q.cols}, nil
}
