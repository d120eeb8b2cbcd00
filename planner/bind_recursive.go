package planner

import (
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// WITH RECURSIVE name AS (init UNION [ALL] term): init is bound first and
// fixes the column types; term is bound with name standing for the
// working table (a workNode: the rows the previous evaluation produced);
// a recursiveNode runs them with executor.RecursiveUnion. As in
// PostgreSQL, term may refer to name once, init not at all, the query
// has no ORDER BY or LIMIT of its own, and term's columns must have
// init's types after the UNION's type resolution.

// recursiveNode evaluates a recursive CTE.
type recursiveNode struct {
	init, term node
	work       *workNode
	distinct   bool
	out        []column
}

func (n *recursiveNode) columns() []column { return n.out }
func (n *recursiveNode) inputs() []node    { return []node{n.init, n.term} }
func (n *recursiveNode) label() string {
	if n.distinct {
		return "Recursive Union"
	}
	return "Recursive Union All"
}

// workNode reads the working table of the recursiveNode whose work it is.
type workNode struct {
	name string
	out  []column
}

func (n *workNode) columns() []column { return n.out }
func (n *workNode) inputs() []node    { return nil }
func (n *workNode) label() string     { return "WorkTable Scan on " + n.name }

// workRef is a recursive CTE whose term is being bound.
type workRef struct {
	name string
	node *workNode
	refs int
}

// selfReferencing reports whether c is a recursive CTE whose query names
// it (a WITH RECURSIVE CTE that does not is an ordinary one).
func selfReferencing(c *ast.CommonTableExpression) bool {
	return c.IsRecursive && c.Query != nil && cteRef(c.Query.Query, c.Name.L) != nil
}

// bindRecursive binds recursive CTE c's query; the caller has set the
// WITH levels c sees.
func (b *binder) bindRecursive(c *ast.CommonTableExpression) (*boundQuery, error) {
	name := c.Name.O
	s, ok := c.Query.Query.(*ast.SetOprStmt)
	if !ok || s.SelectList == nil || len(s.SelectList.Selects) < 2 {
		return nil, sqlstate.New(sqlstate.InvalidRecursion, "recursive query %q does not have the form non-recursive-term UNION [ALL] recursive-term", name).WithPosition(b.pos(c))
	}
	if s.OrderBy != nil || s.Limit != nil || s.With != nil {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "ORDER BY, LIMIT and WITH in a recursive query are not implemented").WithPosition(b.pos(c.Query))
	}
	sels := s.SelectList.Selects
	last := sels[len(sels)-1]
	var op *ast.SetOprType
	switch x := last.(type) {
	case *ast.SelectStmt:
		op = x.AfterSetOperator
	case *ast.SetOprSelectList:
		op = x.AfterSetOperator
	}
	if op == nil || (*op != ast.Union && *op != ast.UnionAll) {
		return nil, sqlstate.New(sqlstate.InvalidRecursion, "recursive query %q does not have the form non-recursive-term UNION [ALL] recursive-term", name).WithPosition(b.pos(c))
	}
	if t := cteRef(&ast.SetOprSelectList{Selects: sels[:len(sels)-1]}, c.Name.L); t != nil {
		return nil, sqlstate.New(sqlstate.InvalidRecursion, "recursive reference to query %q must not appear within its non-recursive term", name).WithPosition(b.pos(t))
	}
	init, err := b.bindSetList(&ast.SetOprSelectList{Selects: sels[:len(sels)-1]})
	if err != nil {
		return nil, err
	}
	out := make([]column, len(init.cols))
	for i, col := range init.cols {
		out[i] = column{name: col.name, typ: col.typ}
		if i < len(c.ColNameList) {
			out[i].name = c.ColNameList[i].O
		}
	}
	ref := &workRef{name: c.Name.L, node: &workNode{name: name, out: out}}
	b.work = append(b.work, ref)
	var term *boundQuery
	switch x := last.(type) {
	case *ast.SelectStmt:
		term, err = b.bindSelect(x)
	case *ast.SetOprSelectList:
		term, err = b.bindSetList(x)
	}
	b.work = b.work[:len(b.work)-1]
	if err != nil {
		return nil, err
	}
	if ref.refs == 0 {
		// The reference sits where the term cannot see it (a subquery's
		// own WITH shadowing it, say): treat the CTE as an ordinary one.
		return b.setOp(init, term, *op, b.fieldPos(last))
	}
	if len(term.cols) != len(out) {
		return nil, sqlstate.New(sqlstate.SyntaxError, "each UNION query must have the same number of columns").WithPosition(b.fieldPos(last)(0))
	}
	exprs := make([]expr.Expr, len(out))
	same := true
	for i, col := range term.cols {
		t := out[i].typ
		var x expr.Expr = &expr.Column{Index: i, T: col.typ, Name: col.name}
		if col.typ != t {
			same = false
			common := t
			if !col.untyped {
				if common, err = expr.CommonType("UNION", []pgtype.Type{t, col.typ}); err != nil {
					return nil, withPos(err, b.fieldPos(last)(i))
				}
			}
			if common != t {
				return nil, sqlstate.New(sqlstate.DatatypeMismatch, "recursive query %q column %d has type %s in non-recursive term but type %s overall", name, i+1, t, common).WithPosition(b.fieldPos(sels[0])(i)).WithHint("Cast the output of the non-recursive term to the correct type.")
			}
			if x, err = b.coerce(x, t, nil); err != nil {
				return nil, err
			}
		}
		exprs[i] = x
	}
	termRoot := term.root
	if !same {
		termRoot = &projectNode{in: term.root, exprs: exprs, out: out}
	}
	return &boundQuery{root: &recursiveNode{init: init.root, term: termRoot, work: ref.node, distinct: *op == ast.Union, out: out}, cols: out}, nil
}

// cteRef returns the first unqualified reference to name in n, or nil.
func cteRef(n ast.Node, name string) *ast.TableName {
	var found *ast.TableName
	n.Accept(&visitor{enter: func(n ast.Node) bool {
		if t, ok := n.(*ast.TableName); ok && t.Schema.O == "" && t.Name.L == name {
			found = t
		}
		return found == nil
	}})
	return found
}

// workTable returns the working table name stands for, if the binder is
// inside that recursive CTE's term, counting the reference.
func (b *binder) workTable(name string, pos int) (*workNode, error) {
	for i := len(b.work) - 1; i >= 0; i-- {
		r := b.work[i]
		if r.name != name {
			continue
		}
		r.refs++
		if r.refs > 1 {
			return nil, sqlstate.New(sqlstate.InvalidRecursion, "recursive reference to query %q must not appear more than once", r.node.name).WithPosition(pos)
		}
		return r.node, nil
	}
	return nil, nil
}
