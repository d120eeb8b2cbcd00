package planner

import (
	"github.com/pingcap/tidb/pkg/parser/ast"

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

// bindSetOpr binds UNION [ALL] (INTERSECT and EXCEPT are refused) with
// its ORDER BY and LIMIT.
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
		switch kind {
		case ast.Union, ast.UnionAll:
		default:
			return nil, sqlstate.New(sqlstate.FeatureNotSupported, "INTERSECT and EXCEPT are not supported yet")
		}
		if acc, err = b.union(acc, q, kind == ast.Union); err != nil {
			return nil, err
		}
	}
	if l.OrderBy != nil || l.Limit != nil {
		return b.orderLimitOutput(acc, l.OrderBy, l.Limit)
	}
	return acc, nil
}

// union combines two queries column by column at their common types.
func (b *binder) union(l, r *boundQuery, distinct bool) (*boundQuery, error) {
	if len(l.cols) != len(r.cols) {
		return nil, sqlstate.New(sqlstate.SyntaxError, "each UNION query must have the same number of columns")
	}
	out := make([]column, len(l.cols))
	types := make([]pgtype.Type, len(l.cols))
	for i := range l.cols {
		t, err := expr.CommonType("UNION", []pgtype.Type{l.cols[i].typ, r.cols[i].typ})
		if err != nil {
			return nil, err
		}
		types[i] = t
		out[i] = column{name: l.cols[i].name, typ: t}
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
	var root node = &unionNode{ins: []node{ln, rn}, out: out}
	if distinct {
		root = &distinctNode{in: root}
	}
	return &boundQuery{root: root, cols: out}, nil
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
