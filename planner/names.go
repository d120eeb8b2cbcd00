package planner

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// fieldName is the name PostgreSQL gives an unaliased select-list
// expression: a column's name, a function's name, a cast's operand name or
// else its type name, "case", "coalesce", or "?column?".
func (b *binder) fieldName(e ast.ExprNode) string {
	switch n := e.(type) {
	case *ast.ParenthesesExpr:
		return b.fieldName(n.Expr)
	case *ast.ColumnNameExpr:
		return n.Name.Name.O
	case *ast.AggregateFuncExpr:
		return strings.ToLower(n.F)
	case *ast.WindowFuncExpr:
		name, _ := windowCallParts(n)
		return name
	case *ast.CaseExpr:
		// PostgreSQL names a CASE after its ELSE branch when that has a
		// name of its own.
		if n.ElseClause != nil {
			if name := b.fieldName(n.ElseClause); name != "?column?" {
				return name
			}
		}
		return "case"
	case *ast.SubqueryExpr:
		// A scalar subquery is named after its one output column.
		if sel, ok := n.Query.(*ast.SelectStmt); ok && sel.Fields != nil && len(sel.Fields.Fields) == 1 {
			f := sel.Fields.Fields[0]
			if f.AsName.O != "" {
				return f.AsName.O
			}
			if f.Expr != nil {
				return b.fieldName(f.Expr)
			}
		}
		return "?column?"
	case *ast.ExistsSubqueryExpr:
		return "exists"
	case *ast.FuncCallExpr:
		name := strings.ToLower(n.FnName.O)
		switch name {
		case "__pg_cast":
			if len(n.Args) > 0 {
				if inner := b.fieldName(n.Args[0]); inner != "?column?" {
					return inner
				}
			}
			if len(n.Args) > 1 {
				if t, ok := constString(n.Args[1]); ok {
					if ty, err := typeByName(t, -1); err == nil {
						return castColumnName(ty)
					}
					t = strings.TrimPrefix(t, "pg_catalog.")
					return t
				}
			}
			return "?column?"
		case "__pg_op", "__pg_nulls":
			return "?column?"
		case "__pg_field":
			if len(n.Args) == 2 {
				if f, ok := constString(n.Args[1]); ok {
					return f
				}
			}
			return "?column?"
		case "__pg_array", "__pg_array_sub":
			return "array"
		case "__pg_subscript", "__pg_slice":
			if len(n.Args) > 0 {
				return b.fieldName(n.Args[0])
			}
			return "?column?"
		case "vec_l2_distance", "vec_cosine_distance", "vec_negative_inner_product", "vec_l1_distance":
			return "?column?"
		case "current_timestamp":
			return "current_timestamp"
		}
		if strings.HasPrefix(name, "__") {
			return "?column?"
		}
		return name
	}
	return "?column?"
}
