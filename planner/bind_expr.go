package planner

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/apache/arrow/go/v17/arrow/scalar"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/planner/dialect"
)

// bindExpr binds an expression of the TiDB AST against the columns of sc,
// with PostgreSQL's typing rules. Untyped literals and parameters stay of
// type Unknown until a context fixes their type (coerce).
func (b *binder) bindExpr(e ast.ExprNode, sc *scope) (expr.Expr, error) {
	if w, ok := e.(*ast.WindowFuncExpr); ok {
		return b.bindWindowRef(w, sc)
	}
	if x, ok, err := b.srfRef(e, sc); ok || err != nil {
		return x, err
	}
	if b.agg != nil {
		if x, handled, err := b.aggMatch(e); handled || err != nil {
			return x, err
		}
	}
	switch n := e.(type) {
	case *ast.ParenthesesExpr:
		return b.bindExpr(n.Expr, sc)
	case *ast.ColumnNameExpr:
		return b.bindColumn(n, sc)
	case ast.ParamMarkerExpr:
		i := b.src.ParamIndex(n)
		if i < 0 || i >= len(b.params) {
			return nil, sqlstate.New(sqlstate.UndefinedParameter, "there is no parameter $%d", i+1).WithPosition(b.pos(n))
		}
		b.paramUsed[i] = true
		if b.params[i].OID == pgtype.OIDRegclass {
			// A regclass parameter arrives as a name ('pg_catalog.pg_class'),
			// which only the session's catalog resolves: it is taken as
			// text and cast when the statement runs.
			b.params[i] = pgtype.Text
			return &expr.Cast{Arg: &expr.Param{Index: i, T: pgtype.Text}, To: pgtype.Type{OID: pgtype.OIDRegclass, Mod: -1}}, nil
		}
		return &expr.Param{Index: i, T: b.params[i]}, nil
	case ast.ValueExpr:
		return b.literal(n)
	case *ast.BinaryOperationExpr:
		return b.bindBinary(n, sc)
	case *ast.UnaryOperationExpr:
		return b.bindUnary(n, sc)
	case *ast.FuncCallExpr:
		return b.bindCall(n, sc)
	case *ast.AggregateFuncExpr:
		return b.bindAggregateRef(n, sc)
	case *ast.CaseExpr:
		return b.bindCase(n, sc)
	case *ast.IsNullExpr:
		arg, err := b.bindExpr(n.Expr, sc)
		if err != nil {
			return nil, err
		}
		if isUnknownParam(arg) {
			return nil, sqlstate.New(sqlstate.IndeterminateDatatype, "could not determine data type of parameter $%d", arg.(*expr.Param).Index+1).WithPosition(b.pos(n))
		}
		if arg.Type() == pgtype.Unknown {
			arg, err = b.coerce(arg, pgtype.Text, n)
			if err != nil {
				return nil, err
			}
		}
		return &expr.IsNull{Arg: arg, Not: n.Not}, nil
	case *ast.IsTruthExpr:
		arg, err := b.bindBool(n.Expr, sc)
		if err != nil {
			return nil, err
		}
		// x IS TRUE is x IS NOT DISTINCT FROM true; IS NOT TRUE negates.
		val := n.True > 0
		return &expr.IsDistinct{L: arg, R: &expr.Const{Value: scalar.NewBooleanScalar(val), T: pgtype.Bool}, Not: !n.Not}, nil
	case *ast.PatternLikeOrIlikeExpr:
		return b.bindLike(n, sc)
	case *ast.PatternInExpr:
		return b.bindIn(n, sc)
	case *ast.BetweenExpr:
		return b.bindBetween(n, sc)
	case *ast.DefaultExpr:
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "DEFAULT is not supported here").WithPosition(b.pos(n))
	case *ast.SubqueryExpr, *ast.ExistsSubqueryExpr, *ast.CompareSubqueryExpr:
		return b.bindSubqueryExpr(e, sc)
	case *ast.RowExpr:
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "row constructors are not supported").WithPosition(b.pos(n))
	case *ast.FuncCastExpr:
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "this cast form is not supported").WithPosition(b.pos(n))
	}
	return nil, sqlstate.New(sqlstate.FeatureNotSupported, "expression %T is not supported", e).WithPosition(b.pos(e))
}

func isUnknownParam(e expr.Expr) bool {
	p, ok := e.(*expr.Param)
	return ok && p.T == pgtype.Unknown
}

func (b *binder) bindColumn(n *ast.ColumnNameExpr, sc *scope) (expr.Expr, error) {
	if s := n.Name.Schema.L; s != "" && s != "public" && s != "pg_catalog" && s != "information_schema" && s != SystemSchema {
		return nil, sqlstate.New(sqlstate.UndefinedTable, "missing FROM-clause entry for table %q", n.Name.Schema.O+"."+n.Name.Table.O).WithPosition(b.pos(n))
	}
	i, err := sc.lookup(n.Name.Table.O, n.Name.Name.O, b.pos(n))
	if code := sqlstate.CodeOf(err); (code == sqlstate.UndefinedColumn || code == sqlstate.UndefinedTable) && len(b.outer) > 0 {
		if ref, ok, oerr := b.outerColumn(n.Name.Table.O, n.Name.Name.O, b.pos(n)); oerr != nil || ok {
			return ref, oerr
		}
	}
	if err != nil {
		// An output-column alias is not visible in WHERE; PostgreSQL says so.
		return nil, err
	}
	c := sc.cols[i]
	return &expr.Column{Index: i, T: c.typ, Name: c.name}, nil
}

// literal types a constant as PostgreSQL types literals: integers that fit
// int4 are int4, then int8, then numeric; decimals are numeric; strings
// are unknown until their context types them.
func (b *binder) literal(v ast.ValueExpr) (expr.Expr, error) {
	if l, ok := v.(*dialect.Literal); ok {
		switch l.Kind {
		case dialect.LitNull:
			return &expr.Const{T: pgtype.Unknown}, nil
		case dialect.LitBool:
			return &expr.Const{Value: scalar.NewBooleanScalar(l.Raw == "true"), T: pgtype.Bool}, nil
		case dialect.LitInteger:
			if i, err := strconv.ParseInt(l.Raw, 10, 64); err == nil {
				return intConst(i), nil
			}
			return b.numericConst(l.Raw, v)
		case dialect.LitDecimal:
			return b.numericConst(l.Raw, v)
		case dialect.LitString:
			return &expr.Const{Value: scalar.NewStringScalar(l.Raw), T: pgtype.Unknown}, nil
		}
	}
	switch x := v.GetValue().(type) {
	case nil:
		return &expr.Const{T: pgtype.Unknown}, nil
	case int64:
		return intConst(x), nil
	case uint64:
		if x <= math.MaxInt64 {
			return intConst(int64(x)), nil
		}
		return b.numericConst(strconv.FormatUint(x, 10), v)
	case string:
		return &expr.Const{Value: scalar.NewStringScalar(x), T: pgtype.Unknown}, nil
	case []byte:
		return &expr.Const{Value: scalar.NewStringScalar(string(x)), T: pgtype.Unknown}, nil
	case bool:
		return &expr.Const{Value: scalar.NewBooleanScalar(x), T: pgtype.Bool}, nil
	case float64:
		return &expr.Const{Value: scalar.NewFloat64Scalar(x), T: pgtype.Float8}, nil
	case fmt.Stringer:
		// Decimal literals: their exact text.
		return b.numericConst(x.String(), v)
	}
	return nil, sqlstate.New(sqlstate.FeatureNotSupported, "literal of Go type %T", v.GetValue()).WithPosition(b.pos(v))
}

func intConst(x int64) expr.Expr {
	if x >= math.MinInt32 && x <= math.MaxInt32 {
		return &expr.Const{Value: scalar.NewInt32Scalar(int32(x)), T: pgtype.Int4}
	}
	return &expr.Const{Value: scalar.NewInt64Scalar(x), T: pgtype.Int8}
}

// numericConst types a decimal literal as numeric with the literal's own
// scale (1.50 is numeric with scale 2).
func (b *binder) numericConst(text string, n ast.Node) (expr.Expr, error) {
	scale := 0
	if i := strings.IndexByte(text, '.'); i >= 0 {
		scale = len(text) - i - 1
	}
	if strings.ContainsAny(text, "eE") {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return nil, sqlstate.New(sqlstate.InvalidTextRepresentation, "invalid input syntax for type numeric: %q", text).WithPosition(b.pos(n))
		}
		text = strconv.FormatFloat(f, 'f', -1, 64)
		scale = 0
		if i := strings.IndexByte(text, '.'); i >= 0 {
			scale = len(text) - i - 1
		}
	}
	if _, ok := new(big.Rat).SetString(text); !ok {
		return nil, sqlstate.New(sqlstate.InvalidTextRepresentation, "invalid input syntax for type numeric: %q", text).WithPosition(b.pos(n))
	}
	t := pgtype.NumericOf(38, scale)
	v, err := pgtype.ParseText(t, text, nil)
	if err != nil {
		return nil, withPos(err, b.pos(n))
	}
	// The literal's type is unconstrained numeric; its scale lives in the
	// value (and the Arrow type).
	return &expr.Const{Value: v, T: t}, nil
}

// withPos attaches a position to a coded error that has none.
func withPos(err error, pos int) error {
	if e := sqlstate.As(err); e != nil && e.Position == 0 && pos > 0 {
		return e.WithPosition(pos)
	}
	return err
}

var binaryOps = map[opcode.Op]string{
	opcode.Plus: "+", opcode.Minus: "-", opcode.Mul: "*", opcode.Div: "/", opcode.Mod: "%", opcode.IntDiv: "/",
	opcode.EQ: "=", opcode.NE: "<>", opcode.LT: "<", opcode.LE: "<=", opcode.GT: ">", opcode.GE: ">=",
}

func (b *binder) bindBinary(n *ast.BinaryOperationExpr, sc *scope) (expr.Expr, error) {
	switch n.Op {
	case opcode.LogicAnd, opcode.LogicOr:
		l, err := b.bindBool(n.L, sc)
		if err != nil {
			return nil, err
		}
		r, err := b.bindBool(n.R, sc)
		if err != nil {
			return nil, err
		}
		return &expr.BoolOp{Or: n.Op == opcode.LogicOr, Args: flattenBool(n.Op == opcode.LogicOr, l, r)}, nil
	case opcode.NullEQ:
		// The dialect emits <=> only for IS NOT DISTINCT FROM.
		l, r, err := b.bindPair(n.L, n.R, sc, n)
		if err != nil {
			return nil, err
		}
		return &expr.IsDistinct{L: l, R: r, Not: true}, nil
	case opcode.LogicXor:
		return nil, sqlstate.New(sqlstate.SyntaxError, "XOR is not PostgreSQL syntax").WithPosition(b.pos(n))
	}
	op, ok := binaryOps[n.Op]
	if !ok {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "operator %s is not supported", n.Op).WithPosition(b.pos(n))
	}
	l, err := b.bindExpr(n.L, sc)
	if err != nil {
		return nil, err
	}
	r, err := b.bindExpr(n.R, sc)
	if err != nil {
		return nil, err
	}
	return b.call(op, []expr.Expr{l, r}, n)
}

// bindPair binds two operands to a common type (for IS DISTINCT FROM).
func (b *binder) bindPair(le, re ast.ExprNode, sc *scope, n ast.Node) (expr.Expr, expr.Expr, error) {
	l, err := b.bindExpr(le, sc)
	if err != nil {
		return nil, nil, err
	}
	r, err := b.bindExpr(re, sc)
	if err != nil {
		return nil, nil, err
	}
	args, err := b.unify([]expr.Expr{l, r}, n, "IS DISTINCT FROM")
	if err != nil {
		return nil, nil, err
	}
	return args[0], args[1], nil
}

func flattenBool(or bool, args ...expr.Expr) []expr.Expr {
	var out []expr.Expr
	for _, a := range args {
		if bo, ok := a.(*expr.BoolOp); ok && bo.Or == or {
			out = append(out, bo.Args...)
			continue
		}
		out = append(out, a)
	}
	return out
}

// bindBool binds a boolean context (WHERE, AND/OR/NOT operands).
func (b *binder) bindBool(e ast.ExprNode, sc *scope) (expr.Expr, error) {
	x, err := b.bindExpr(e, sc)
	if err != nil {
		return nil, err
	}
	return b.requireBool(x, e)
}

func (b *binder) requireBool(x expr.Expr, n ast.Node) (expr.Expr, error) {
	switch x.Type() {
	case pgtype.Bool:
		return x, nil
	case pgtype.Unknown:
		return b.coerce(x, pgtype.Bool, n)
	}
	return nil, sqlstate.New(sqlstate.DatatypeMismatch, "argument of WHERE must be type boolean, not type %s", x.Type()).WithPosition(b.pos(n))
}

func (b *binder) bindUnary(n *ast.UnaryOperationExpr, sc *scope) (expr.Expr, error) {
	switch n.Op {
	case opcode.Not, opcode.Not2:
		arg, err := b.bindBool(n.V, sc)
		if err != nil {
			return nil, err
		}
		return &expr.Not{Arg: arg}, nil
	case opcode.Plus:
		return b.bindExpr(n.V, sc)
	case opcode.Minus:
		// Fold negative numeric literals so -2147483648 is an int4.
		if v, ok := n.V.(ast.ValueExpr); ok {
			switch x := v.GetValue().(type) {
			case int64:
				return intConst(-x), nil
			case uint64:
				if x == 1<<63 {
					return &expr.Const{Value: scalar.NewInt64Scalar(math.MinInt64), T: pgtype.Int8}, nil
				}
			}
		}
		arg, err := b.bindExpr(n.V, sc)
		if err != nil {
			return nil, err
		}
		return b.call("-", []expr.Expr{arg}, n)
	}
	return nil, sqlstate.New(sqlstate.FeatureNotSupported, "unary operator %s is not supported", n.Op).WithPosition(b.pos(n))
}

// call resolves an operator or function by name and argument types and
// coerces the arguments to the chosen overload.
func (b *binder) call(name string, args []expr.Expr, n ast.Node) (expr.Expr, error) {
	types := make([]pgtype.Type, len(args))
	for i, a := range args {
		types[i] = a.Type()
	}
	fn, err := expr.Resolve(name, types)
	if err != nil {
		return nil, withPos(err, b.pos(n))
	}
	cargs := make([]expr.Expr, len(args))
	for i, a := range args {
		want := types[i]
		if i < len(fn.Args) {
			want = fn.Args[i]
		} else if len(fn.Args) > 0 {
			want = fn.Args[len(fn.Args)-1] // variadic
		}
		if a.Type().OID == want.OID && a.Type().OID != pgtype.OIDUnknown {
			// Same type with another modifier (vector(3) for vector):
			// no conversion.
			cargs[i] = a
			continue
		}
		c, err := b.coerce(a, want, n)
		if err != nil {
			return nil, err
		}
		cargs[i] = c
	}
	return numericResult(&expr.Call{Func: fn, Args: cargs}), nil
}

// coerce converts x to type t: an unknown literal is parsed as t, an
// unknown parameter takes t as its type, anything else is cast.
func (b *binder) coerce(x expr.Expr, t pgtype.Type, n ast.Node) (expr.Expr, error) {
	if x.Type() == t {
		return x, nil
	}
	switch v := x.(type) {
	case *expr.Const:
		if v.T == pgtype.Unknown {
			if v.Value == nil || !v.Value.IsValid() {
				return &expr.Const{T: t}, nil
			}
			s, ok := v.Value.(*scalar.String)
			if !ok {
				return nil, sqlstate.New(sqlstate.InternalError, "unknown literal of %T", v.Value)
			}
			val, err := pgtype.ParseText(t, string(s.Data()), b.tz())
			if err != nil {
				return nil, withPos(err, b.pos(n))
			}
			return &expr.Const{Value: val, T: t}, nil
		}
	case *expr.Param:
		if v.T == pgtype.Unknown {
			b.params[v.Index] = t
			return &expr.Param{Index: v.Index, T: t}, nil
		}
	}
	if x.Type() == pgtype.Unknown {
		// An unknown-typed expression that is not a literal (e.g. a CASE
		// over unknowns) is text.
		x = &expr.Cast{Arg: x, To: pgtype.Text}
		if t == pgtype.Text {
			return x, nil
		}
	}
	if !expr.CanCast(x.Type(), t) {
		return nil, sqlstate.New(sqlstate.CannotCoerce, "cannot cast type %s to %s", x.Type(), t).WithPosition(b.pos(n))
	}
	return b.fold(&expr.Cast{Arg: x, To: t}, n)
}

// fold evaluates a cast of a constant at bind time (int4 2 becomes int8
// 2), so plans and EXPLAIN show constants, and a bad value is reported
// with its position.
func (b *binder) fold(c *expr.Cast, n ast.Node) (expr.Expr, error) {
	k, ok := c.Arg.(*expr.Const)
	if !ok {
		return c, nil
	}
	if c.To == pgtype.Numeric && numScale(k) == 0 {
		// An integer constant becomes a numeric of scale 0, keeping its
		// display scale for the arithmetic around it.
		c = &expr.Cast{Arg: k, To: pgtype.NumericOf(38, 0)}
	}
	if k.Value == nil || !k.Value.IsValid() {
		return &expr.Const{T: c.To}, nil
	}
	v, err := evalConst(b.ctx, c, b.tz())
	if err != nil {
		return nil, withPos(err, b.pos(n))
	}
	return &expr.Const{Value: v, T: c.To}, nil
}

// unify finds the common type of args as PostgreSQL's select_common_type
// does (all unknown: text; otherwise the first known type any other
// converts to implicitly) and coerces every argument to it.
func (b *binder) unify(args []expr.Expr, n ast.Node, what string) ([]expr.Expr, error) {
	t, err := b.commonType(args, n, what)
	if err != nil {
		return nil, err
	}
	out := make([]expr.Expr, len(args))
	for i, a := range args {
		c, err := b.coerce(a, t, n)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

func (b *binder) commonType(args []expr.Expr, n ast.Node, what string) (pgtype.Type, error) {
	t := pgtype.Unknown
	for _, a := range args {
		at := a.Type()
		switch {
		case at == pgtype.Unknown || at == t:
		case t == pgtype.Unknown:
			t = at
		case at.OID == t.OID:
			// Same type, different modifiers: drop the modifier.
			t = pgtype.Type{OID: t.OID, Mod: -1}
		case expr.ImplicitCast(at, t):
		case expr.ImplicitCast(t, at):
			t = at
		default:
			return pgtype.Type{}, sqlstate.New(sqlstate.DatatypeMismatch, "%s types %s and %s cannot be matched", what, t, at).WithPosition(b.pos(n))
		}
	}
	if t == pgtype.Unknown {
		t = pgtype.Text
	}
	return t, nil
}

func (b *binder) bindCase(n *ast.CaseExpr, sc *scope) (expr.Expr, error) {
	var operand expr.Expr
	if n.Value != nil {
		v, err := b.bindExpr(n.Value, sc)
		if err != nil {
			return nil, err
		}
		operand = v
	}
	results := make([]expr.Expr, 0, len(n.WhenClauses)+1)
	conds := make([]expr.Expr, 0, len(n.WhenClauses))
	for _, w := range n.WhenClauses {
		var cond expr.Expr
		var err error
		if operand != nil {
			// CASE x WHEN v … is CASE WHEN x = v …
			v, err := b.bindExpr(w.Expr, sc)
			if err != nil {
				return nil, err
			}
			cond, err = b.call("=", []expr.Expr{operand, v}, w)
			if err != nil {
				return nil, err
			}
		} else if cond, err = b.bindBool(w.Expr, sc); err != nil {
			return nil, err
		}
		r, err := b.bindExpr(w.Result, sc)
		if err != nil {
			return nil, err
		}
		conds = append(conds, cond)
		results = append(results, r)
	}
	if n.ElseClause != nil {
		e, err := b.bindExpr(n.ElseClause, sc)
		if err != nil {
			return nil, err
		}
		results = append(results, e)
	}
	results, err := b.unify(results, n, "CASE")
	if err != nil {
		return nil, err
	}
	c := &expr.Case{T: results[0].Type()}
	for i := range conds {
		c.Whens = append(c.Whens, expr.When{Cond: conds[i], Result: results[i]})
	}
	if n.ElseClause != nil {
		c.Else = results[len(results)-1]
	}
	return c, nil
}

func (b *binder) bindLike(n *ast.PatternLikeOrIlikeExpr, sc *scope) (expr.Expr, error) {
	arg, err := b.bindExpr(n.Expr, sc)
	if err != nil {
		return nil, err
	}
	pat, err := b.bindExpr(n.Pattern, sc)
	if err != nil {
		return nil, err
	}
	if arg, err = b.coerce(arg, textLike(arg.Type()), n); err != nil {
		return nil, err
	}
	if pat, err = b.coerce(pat, pgtype.Text, n); err != nil {
		return nil, err
	}
	esc := rune('\\')
	if n.EscapeExplicit {
		esc = rune(n.Escape)
	}
	return &expr.Like{Arg: arg, Pattern: pat, Escape: esc, ILike: !n.IsLike, Not: n.Not}, nil
}

// textLike returns t when it is a string type, else text.
func textLike(t pgtype.Type) pgtype.Type {
	switch t.OID {
	case pgtype.OIDText, pgtype.OIDVarchar, pgtype.OIDBpchar, pgtype.OIDName:
		return t
	}
	return pgtype.Text
}

func (b *binder) bindIn(n *ast.PatternInExpr, sc *scope) (expr.Expr, error) {
	if n.Sel != nil {
		return b.bindInSubquery(n, sc)
	}
	arg, err := b.bindExpr(n.Expr, sc)
	if err != nil {
		return nil, err
	}
	all := []expr.Expr{arg}
	for _, e := range n.List {
		x, err := b.bindExpr(e, sc)
		if err != nil {
			return nil, err
		}
		all = append(all, x)
	}
	all, err = b.unify(all, n, "IN")
	if err != nil {
		return nil, err
	}
	if _, err := expr.Resolve("=", []pgtype.Type{all[0].Type(), all[0].Type()}); err != nil {
		return nil, withPos(err, b.pos(n))
	}
	return &expr.In{Arg: all[0], List: all[1:], Not: n.Not}, nil
}

func (b *binder) bindBetween(n *ast.BetweenExpr, sc *scope) (expr.Expr, error) {
	x, err := b.bindExpr(n.Expr, sc)
	if err != nil {
		return nil, err
	}
	lo, err := b.bindExpr(n.Left, sc)
	if err != nil {
		return nil, err
	}
	hi, err := b.bindExpr(n.Right, sc)
	if err != nil {
		return nil, err
	}
	ge, err := b.call(">=", []expr.Expr{x, lo}, n)
	if err != nil {
		return nil, err
	}
	le, err := b.call("<=", []expr.Expr{x, hi}, n)
	if err != nil {
		return nil, err
	}
	var out expr.Expr = &expr.BoolOp{Args: []expr.Expr{ge, le}}
	if n.Not {
		out = &expr.Not{Arg: out}
	}
	return out, nil
}
