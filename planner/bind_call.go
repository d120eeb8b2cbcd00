package planner

import (
	"strconv"
	"strings"

	"github.com/apache/arrow/go/v17/arrow/scalar"
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/planner/dialect"
)

// vectorFuncs maps the calls the dialect bridge emits for pgvector's
// operators to the operators.
var vectorFuncs = map[string]string{
	"vec_l2_distance":            "<->",
	"vec_cosine_distance":        "<=>",
	"vec_negative_inner_product": "<#>",
	"vec_l1_distance":            "<+>",
}

// aggregateNames are the aggregate functions lancegate evaluates.
var aggregateNames = map[string]bool{
	"count": true, "sum": true, "avg": true, "min": true, "max": true,
	"bool_and": true, "bool_or": true, "every": true, "array_agg": true, "string_agg": true,
}

func (b *binder) bindArgs(args []ast.ExprNode, sc *scope) ([]expr.Expr, error) {
	out := make([]expr.Expr, len(args))
	for i, a := range args {
		x, err := b.bindExpr(a, sc)
		if err != nil {
			return nil, err
		}
		out[i] = x
	}
	return out, nil
}

// constString returns the value of a string literal argument.
func constString(e ast.ExprNode) (string, bool) {
	if s, ok := dialect.StringArg(e); ok {
		return s, true
	}
	v, ok := e.(ast.ValueExpr)
	if !ok {
		return "", false
	}
	switch s := v.GetValue().(type) {
	case string:
		return s, true
	case []byte:
		return string(s), true
	}
	return "", false
}

// constInt returns the value of an integer literal argument (or of a
// position, which TiDB makes of ORDER BY 1 and GROUP BY 1).
func constInt(e ast.ExprNode) (int64, bool) {
	if p, ok := e.(*ast.PositionExpr); ok && p.P == nil {
		return int64(p.N), true
	}
	if v, ok := dialect.IntArg(e); ok {
		return v, true
	}
	if u, ok := e.(*ast.UnaryOperationExpr); ok {
		if v, ok := constInt(u.V); ok && u.Op.String() == "minus" {
			return -v, true
		}
	}
	v, ok := e.(ast.ValueExpr)
	if !ok {
		return 0, false
	}
	switch x := v.GetValue().(type) {
	case int64:
		return x, true
	case uint64:
		return int64(x), true
	}
	return 0, false
}

func (b *binder) bindCall(n *ast.FuncCallExpr, sc *scope) (expr.Expr, error) {
	name := strings.ToLower(n.FnName.O)
	if n.Schema.O != "" && n.Schema.L != "pg_catalog" && n.Schema.L != "public" {
		return nil, sqlstate.New(sqlstate.UndefinedFunction, "function %s.%s does not exist", n.Schema.O, n.FnName.O).WithPosition(b.pos(n))
	}
	if op, ok := vectorFuncs[name]; ok {
		args, err := b.bindArgs(n.Args, sc)
		if err != nil {
			return nil, err
		}
		return b.call(op, args, n)
	}
	if aggregateNames[name] {
		return b.bindAggregateRef(&ast.AggregateFuncExpr{F: name, Args: n.Args}, sc)
	}
	switch name {
	case "__pg_cast":
		return b.bindCast(n, sc)
	case "__pg_op":
		if len(n.Args) < 2 {
			return nil, sqlstate.New(sqlstate.SyntaxError, "malformed operator call").WithPosition(b.pos(n))
		}
		op, ok := constString(n.Args[0])
		if !ok {
			return nil, sqlstate.New(sqlstate.SyntaxError, "malformed operator call").WithPosition(b.pos(n))
		}
		args, err := b.bindArgs(n.Args[1:], sc)
		if err != nil {
			return nil, err
		}
		return b.call(op, args, n)
	case "__pg_nulls":
		return nil, sqlstate.New(sqlstate.SyntaxError, "NULLS FIRST/LAST is only allowed in ORDER BY").WithPosition(b.pos(n))
	case "__pg_any", "__pg_all", "__pg_array", "__pg_array_sub", "__pg_subscript", "__pg_slice":
		return b.bindArrayCall(name, n, sc)
	case "coalesce":
		args, err := b.bindArgs(n.Args, sc)
		if err != nil {
			return nil, err
		}
		if len(args) == 0 {
			return nil, sqlstate.New(sqlstate.SyntaxError, "syntax error at or near \")\"").WithPosition(b.pos(n))
		}
		args, err = b.unify(args, n, "COALESCE")
		if err != nil {
			return nil, err
		}
		return &expr.Coalesce{Args: args, T: args[0].Type()}, nil
	case "nullif":
		if len(n.Args) != 2 {
			return nil, sqlstate.New(sqlstate.UndefinedFunction, "function nullif with %d arguments does not exist", len(n.Args)).WithPosition(b.pos(n))
		}
		args, err := b.bindArgs(n.Args, sc)
		if err != nil {
			return nil, err
		}
		args, err = b.unify(args, n, "NULLIF")
		if err != nil {
			return nil, err
		}
		eq, err := b.call("=", args, n)
		if err != nil {
			return nil, err
		}
		return &expr.Case{Whens: []expr.When{{Cond: eq, Result: &expr.Const{T: args[0].Type()}}}, Else: args[0], T: args[0].Type()}, nil
	case "greatest", "least":
		args, err := b.bindArgs(n.Args, sc)
		if err != nil {
			return nil, err
		}
		args, err = b.unify(args, n, strings.ToUpper(name))
		if err != nil {
			return nil, err
		}
		return b.call(name, args, n)
	case "concat", "concat_ws":
		args, err := b.bindArgs(n.Args, sc)
		if err != nil {
			return nil, err
		}
		for i, a := range args {
			if args[i], err = b.textArg(a, n); err != nil {
				return nil, err
			}
		}
		return b.call(name, args, n)
	case "trim", "ltrim", "rtrim", "btrim":
		return b.bindTrim(name, n, sc)
	case "version":
		return b.textConst(b.sess.Version()), nil
	case "current_user", "session_user", "user", "current_role", "getpgusername":
		return &expr.Const{Value: scalar.NewStringScalar(b.sess.User()), T: pgtype.Name}, nil
	case "current_database", "current_catalog":
		return &expr.Const{Value: scalar.NewStringScalar(b.sess.Database()), T: pgtype.Name}, nil
	case "current_schema":
		return &expr.Const{Value: scalar.NewStringScalar("public"), T: pgtype.Name}, nil
	case "has_table_privilege", "has_schema_privilege", "has_database_privilege", "has_any_column_privilege",
		"has_column_privilege", "has_function_privilege", "has_sequence_privilege", "has_type_privilege":
		if _, err := b.bindArgs(n.Args, sc); err != nil {
			return nil, err
		}
		return &expr.Const{Value: scalar.NewBooleanScalar(true), T: pgtype.Bool}, nil
	case "pg_typeof":
		// pg_typeof("any"): the argument's type, known when binding.
		if len(n.Args) != 1 {
			return nil, sqlstate.New(sqlstate.UndefinedFunction, "function pg_typeof with %d arguments does not exist", len(n.Args)).WithPosition(b.pos(n))
		}
		args, err := b.bindArgs(n.Args, sc)
		if err != nil {
			return nil, err
		}
		return &expr.Const{Value: scalar.NewUint32Scalar(args[0].Type().OID), T: pgtype.Type{OID: pgtype.OIDRegtype, Mod: -1}}, nil
	case "pg_backend_pid":
		return &expr.Const{Value: scalar.NewInt32Scalar(b.sess.BackendPID()), T: pgtype.Int4}, nil
	case "current_timestamp", "localtimestamp", "transaction_timestamp", "statement_timestamp":
		return b.call("now", nil, n)
	case "__lg_version":
		return nil, sqlstate.New(sqlstate.SyntaxError, "AS OF VERSION is only allowed after a table name").WithPosition(b.pos(n))
	}
	if strings.HasPrefix(name, "__pg_") {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "this construct is not supported yet (%s)", strings.TrimPrefix(name, "__pg_")).WithPosition(b.pos(n))
	}
	args, err := b.bindArgs(n.Args, sc)
	if err != nil {
		return nil, err
	}
	return b.call(name, args, n)
}

func (b *binder) textConst(s string) expr.Expr {
	return &expr.Const{Value: scalar.NewStringScalar(s), T: pgtype.Text}
}

// textArg converts an argument of a text function to text.
func (b *binder) textArg(a expr.Expr, n ast.Node) (expr.Expr, error) {
	if a.Type() == pgtype.Text {
		return a, nil
	}
	if a.Type() == pgtype.Unknown {
		return b.coerce(a, pgtype.Text, n)
	}
	return &expr.Cast{Arg: a, To: pgtype.Text}, nil
}

// bindCast binds __pg_cast(x, 'type', typmod), the dialect's form of
// x::type and CAST(x AS type).
func (b *binder) bindCast(n *ast.FuncCallExpr, sc *scope) (expr.Expr, error) {
	target, ok := dialect.CastTarget(n)
	if !ok {
		return nil, sqlstate.New(sqlstate.SyntaxError, "malformed cast").WithPosition(b.pos(n))
	}
	t, err := typeByName(target.Name, int32(target.Typmod))
	if err != nil {
		return nil, withPos(err, b.pos(n))
	}
	x, err := b.bindExpr(n.Args[0], sc)
	if err != nil {
		return nil, err
	}
	if x.Type() == t {
		return x, nil
	}
	if t.OID == pgtype.OIDRegclass {
		if c, ok := x.(*expr.Const); ok && (c.T == pgtype.Unknown || c.T.Info().Category == 'S') {
			return b.regclassConst(c, n)
		}
	}
	switch v := x.(type) {
	case *expr.Const:
		if v.T == pgtype.Unknown {
			return b.coerce(x, t, n)
		}
	case *expr.Param:
		if v.T == pgtype.Unknown && t.OID == pgtype.OIDRegclass {
			// $1::regclass: the name is resolved when the statement runs
			// (see the ParamMarkerExpr case of bindExpr).
			b.params[v.Index] = pgtype.Text
			return &expr.Cast{Arg: &expr.Param{Index: v.Index, T: pgtype.Text}, To: t}, nil
		}
		if v.T == pgtype.Unknown {
			return b.coerce(x, t, n)
		}
	}
	if !expr.CanCast(x.Type(), t) {
		return nil, sqlstate.New(sqlstate.CannotCoerce, "cannot cast type %s to %s", x.Type(), t).WithPosition(b.pos(n))
	}
	return &expr.Cast{Arg: x, To: t}, nil
}

// bindTrim maps TiDB's TRIM forms (args: string, characters, direction)
// and PostgreSQL's btrim/ltrim/rtrim calls to btrim/ltrim/rtrim.
func (b *binder) bindTrim(name string, n *ast.FuncCallExpr, sc *scope) (expr.Expr, error) {
	fn := name
	var argNodes []ast.ExprNode
	for _, a := range n.Args {
		if d, ok := a.(*ast.TrimDirectionExpr); ok {
			switch d.Direction {
			case ast.TrimLeading:
				fn = "ltrim"
			case ast.TrimTrailing:
				fn = "rtrim"
			default:
				fn = "btrim"
			}
			continue
		}
		argNodes = append(argNodes, a)
	}
	if fn == "trim" {
		fn = "btrim"
	}
	args, err := b.bindArgs(argNodes, sc)
	if err != nil {
		return nil, err
	}
	for i := range args {
		if args[i], err = b.textArg(args[i], n); err != nil {
			return nil, err
		}
	}
	return b.call(fn, args, n)
}

// regclassConst resolves 'name'::regclass at bind time, as regclassin
// does: a number is an OID as is; a name (quoted or not, optionally
// schema- or database.schema-qualified) is looked up in the catalog,
// pg_catalog first; 42P01 when there is no such relation.
func (b *binder) regclassConst(c *expr.Const, n ast.Node) (expr.Expr, error) {
	regclass := pgtype.Type{OID: pgtype.OIDRegclass, Mod: -1}
	if c.Value == nil || !c.Value.IsValid() {
		return &expr.Const{T: regclass}, nil
	}
	s, ok := c.Value.(*scalar.String)
	if !ok {
		return nil, sqlstate.New(sqlstate.InternalError, "regclass of %T", c.Value)
	}
	text := strings.TrimSpace(s.String())
	if v, err := strconv.ParseUint(text, 10, 32); err == nil {
		return &expr.Const{Value: scalar.NewUint32Scalar(uint32(v)), T: regclass}, nil
	}
	parts := pgtype.SplitQualifiedName(text)
	name := parts[len(parts)-1]
	switch {
	case len(parts) == 3 && parts[0] != b.sess.Database():
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "cross-database references are not implemented: %s", text).WithPosition(b.pos(n))
	case len(parts) >= 2 && parts[len(parts)-2] != "public":
		name = parts[len(parts)-2] + "." + name
	}
	t, err := b.cat.Table(b.ctx, name)
	if err != nil {
		if sqlstate.CodeOf(err) == sqlstate.UndefinedTable {
			// Not a table: a sequence or an index, which the session's
			// catalog resolves when the statement runs (42P01 then if
			// there is no such relation either).
			return &expr.Cast{Arg: &expr.Const{Value: c.Value, T: pgtype.Text}, To: regclass}, nil
		}
		return nil, withPos(err, b.pos(n))
	}
	return &expr.Const{Value: scalar.NewUint32Scalar(t.OID()), T: regclass}, nil
}
