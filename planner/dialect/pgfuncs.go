package dialect

import (
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
)

// IsPGFunc reports whether a TiDB function call is one of the bridge's
// reserved functions (__pg_… or __lg_…) and returns its name.
func IsPGFunc(call *ast.FuncCallExpr) (string, bool) {
	n := call.FnName.L
	if call.Schema.L == "" && (strings.HasPrefix(n, "__pg_") || strings.HasPrefix(n, "__lg_")) {
		return n, true
	}
	return "", false
}

// CastTarget decodes the target type of a __pg_cast(x, 'type', typmod)
// call; the value is call.Args[0]. ArrayDims is 1 for an array type
// (PostgreSQL does not track the number of dimensions of a cast).
func CastTarget(call *ast.FuncCallExpr) (PGType, bool) {
	if name, ok := IsPGFunc(call); !ok || name != "__pg_cast" || len(call.Args) != 3 {
		return PGType{}, false
	}
	tn, ok := call.Args[1].(*Literal)
	if !ok || tn.Kind != LitString {
		return PGType{}, false
	}
	typmod, ok := IntArg(call.Args[2])
	if !ok {
		return PGType{}, false
	}
	t := PGType{Name: tn.Raw, Typmod: int(typmod)}
	if _, base := splitSchema(t.Name); strings.HasPrefix(base, "_") {
		t.ArrayDims = 1
	}
	return t, true
}

// IntArg reads an integer literal argument, possibly negated ((- 1)), as
// the bridge emits typmods.
func IntArg(e ast.ExprNode) (int64, bool) {
	neg := false
	if u, ok := e.(*ast.UnaryOperationExpr); ok && u.Op == opcode.Minus {
		neg, e = true, u.V
	}
	if p, ok := e.(*ast.ParenthesesExpr); ok {
		e = p.Expr
	}
	l, ok := e.(*Literal)
	if !ok || l.Kind != LitInteger {
		return 0, false
	}
	v, err := strconv.ParseInt(l.Raw, 10, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

// StringArg reads a string literal argument ('op' of __pg_op, 'FIRST' of
// __pg_nulls, the function name of __pg_srf, …).
func StringArg(e ast.ExprNode) (string, bool) {
	l, ok := e.(*Literal)
	if !ok || l.Kind != LitString {
		return "", false
	}
	return l.Raw, true
}
