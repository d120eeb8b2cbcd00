package planner

import (
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// Subqueries in expressions (scalar subqueries, IN (SELECT …), EXISTS)
// arrive with a later change; FROM-clause subqueries are supported.

func (b *binder) bindSubqueryExpr(e ast.ExprNode, sc *scope) (expr.Expr, error) {
	return nil, sqlstate.New(sqlstate.FeatureNotSupported, "subqueries in expressions are not supported yet").WithPosition(b.pos(e))
}

func (b *binder) bindInSubquery(n *ast.PatternInExpr, sc *scope) (expr.Expr, error) {
	return nil, sqlstate.New(sqlstate.FeatureNotSupported, "IN (subquery) is not supported yet").WithPosition(b.pos(n))
}
