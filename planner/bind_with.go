package planner

import (
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// WITH: common table expressions. Each reference to a CTE binds its query
// again as a derived table (PostgreSQL 12 and later inline a CTE
// referenced once the same way); the CTE's query sees the CTEs defined
// before it. A recursive one is bound by bindRecursive
// (bind_recursive.go).

// withScope is one WITH clause's CTEs, in order.
type withScope []*ast.CommonTableExpression

// pushWith makes w's CTEs visible until the returned function runs.
func (b *binder) pushWith(w *ast.WithClause) (func(), error) {
	if w == nil {
		return func() {}, nil
	}
	for i, c := range w.CTEs {
		for _, d := range w.CTEs[:i] {
			if d.Name.L == c.Name.L {
				return nil, sqlstate.New(sqlstate.DuplicateAlias, "WITH query name %q specified more than once", c.Name.O)
			}
		}
	}
	b.with = append(b.with, withScope(w.CTEs))
	n := len(b.with)
	return func() { b.with = b.with[:n-1] }, nil
}

// cte finds a CTE by name, innermost WITH first.
func (b *binder) cte(name string) (*ast.CommonTableExpression, int, bool) {
	for i := len(b.with) - 1; i >= 0; i-- {
		for _, c := range b.with[i] {
			if c.Name.L == name {
				return c, i, true
			}
		}
	}
	return nil, 0, false
}

// bindCTERef binds a reference to CTE c (found in WITH level lvl) as a
// derived table named alias: the CTE's query sees only the WITH levels
// around its definition.
func (b *binder) bindCTERef(c *ast.CommonTableExpression, lvl int, alias string) (node, *scope, error) {
	saved := b.with
	// Hide this level's CTEs from c on, and inner levels.
	var visible withScope
	for _, other := range saved[lvl] {
		if other == c {
			break
		}
		visible = append(visible, other)
	}
	b.with = append(append([]withScope(nil), saved[:lvl]...), visible)
	var q *boundQuery
	var err error
	if selfReferencing(c) {
		q, err = b.bindRecursive(c)
	} else {
		q, err = b.bindQuery(c.Query.Query)
	}
	b.with = saved
	if err != nil {
		return nil, nil, err
	}
	cols := make([]column, len(q.cols))
	for i, col := range q.cols {
		col.table = alias
		col.hidden = false
		if i < len(c.ColNameList) {
			col.name = c.ColNameList[i].O
		}
		cols[i] = col
	}
	if len(c.ColNameList) > len(cols) {
		return nil, nil, sqlstate.New(sqlstate.InvalidColumnReference, "WITH query %q has %d columns available but %d columns specified", c.Name.O, len(cols), len(c.ColNameList))
	}
	return q.root, &scope{cols: cols}, nil
}
