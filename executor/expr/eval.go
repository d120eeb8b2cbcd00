package expr

import (
	"context"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/compute"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// Evaluation inside the package goes through node.eval, which may return
// a single value for an expression that does not depend on the batch (a
// constant, a parameter, a function of those): the constant is computed
// once per batch and kernels see it as a length-1 argument. The exported
// Eval broadcasts to the batch's row count, converts the array to the
// canonical Arrow type of Type(), and turns a panic into an XX000 error.

// node is an Expr of this package.
type node interface {
	Expr
	eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error)
}

var (
	_ node = (*Column)(nil)
	_ node = (*Const)(nil)
	_ node = (*Param)(nil)
	_ node = (*Call)(nil)
	_ node = (*Cast)(nil)
	_ node = (*Case)(nil)
	_ node = (*BoolOp)(nil)
	_ node = (*Not)(nil)
	_ node = (*IsNull)(nil)
	_ node = (*IsDistinct)(nil)
	_ node = (*In)(nil)
	_ node = (*Like)(nil)
	_ node = (*Coalesce)(nil)
)

// evalNode evaluates e, possibly to a single value standing for all rows.
func evalNode(ctx context.Context, env *Env, e Expr, batch arrow.Record) (arrow.Array, error) {
	if nd, ok := e.(node); ok {
		return nd.eval(ctx, env, batch)
	}
	return e.Eval(ctx, env, batch)
}

// evalTop is the exported Eval of every node.
func evalTop(ctx context.Context, env *Env, e node, batch arrow.Record) (out arrow.Array, err error) {
	defer recoverError(&err)
	if env == nil || env.Mem == nil {
		return nil, sqlstate.New(sqlstate.InternalError, "expression evaluated without an allocator")
	}
	a, err := e.eval(ctx, env, batch)
	if err != nil {
		return nil, err
	}
	c, err := conform(env.Mem, a, e.Type())
	a.Release()
	if err != nil {
		return nil, err
	}
	defer c.Release()
	return broadcast(env.Mem, c, int(batch.NumRows()))
}

// recoverError turns a panic into an error: a panicking *sqlstate.Error
// keeps its code, anything else is XX000 (a bug).
func recoverError(err *error) {
	r := recover()
	if r == nil {
		return
	}
	if e, ok := r.(*sqlstate.Error); ok {
		*err = e
		return
	}
	*err = &sqlstate.Error{Code: sqlstate.InternalError, Message: fmt.Sprintf("internal error in expression evaluation: %v", r), Detail: string(debug.Stack())}
}

// Type implements Expr.
func (c *Column) Type() pgtype.Type { return c.T }

// Eval implements Expr.
func (c *Column) Eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	return evalTop(ctx, env, c, batch)
}

func (c *Column) eval(_ context.Context, _ *Env, batch arrow.Record) (arrow.Array, error) {
	if c.Index < 0 || c.Index >= int(batch.NumCols()) {
		return nil, sqlstate.New(sqlstate.InternalError, "column %d out of range of a batch of %d columns", c.Index, batch.NumCols())
	}
	a := batch.Column(c.Index)
	a.Retain()
	return a, nil
}

// String implements Expr.
func (c *Column) String() string {
	if c.Name != "" {
		return c.Name
	}
	return "#" + strconv.Itoa(c.Index)
}

// Type implements Expr.
func (c *Const) Type() pgtype.Type { return c.T }

// Eval implements Expr.
func (c *Const) Eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	return evalTop(ctx, env, c, batch)
}

func (c *Const) eval(_ context.Context, env *Env, _ arrow.Record) (arrow.Array, error) {
	return scalarArray(env.Mem, c.Value, c.T)
}

// scalarArray returns a one-value array of v, or a NULL of t when v is nil.
func scalarArray(mem memory.Allocator, v scalar.Scalar, t pgtype.Type) (arrow.Array, error) {
	if v == nil || !v.IsValid() {
		dt, err := t.Arrow()
		if err != nil {
			if v == nil {
				return nullArray(mem, arrow.Null, 1), nil
			}
			dt = v.DataType()
		}
		return nullArray(mem, dt, 1), nil
	}
	a, err := scalar.MakeArrayFromScalar(v, 1, mem)
	if err != nil {
		return nil, sqlstate.Wrap(err, sqlstate.InternalError, "constant of type %s: %v", t, err)
	}
	return a, nil
}

// String implements Expr.
func (c *Const) String() string {
	if c.Value == nil || !c.Value.IsValid() {
		return "NULL::" + c.T.String()
	}
	a, err := scalar.MakeArrayFromScalar(c.Value, 1, memory.DefaultAllocator)
	if err != nil {
		return "?::" + c.T.String()
	}
	defer a.Release()
	txt := string(pgtype.AppendText(nil, c.T, a, 0, pgtype.DefaultTextOptions()))
	switch c.T.OID {
	case pgtype.OIDInt4, pgtype.OIDNumeric:
		return txt
	case pgtype.OIDBool:
		if b, ok := c.Value.(*scalar.Boolean); ok {
			return strconv.FormatBool(b.Value)
		}
	}
	return "'" + strings.ReplaceAll(txt, "'", "''") + "'::" + c.T.String()
}

// Type implements Expr.
func (p *Param) Type() pgtype.Type { return p.T }

// Eval implements Expr.
func (p *Param) Eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	return evalTop(ctx, env, p, batch)
}

func (p *Param) eval(_ context.Context, env *Env, _ arrow.Record) (arrow.Array, error) {
	if p.Index < 0 || p.Index >= len(env.Params) {
		return nil, sqlstate.New(sqlstate.UndefinedParameter, "there is no parameter $%d", p.Index+1)
	}
	return scalarArray(env.Mem, env.Params[p.Index], p.T)
}

// String implements Expr.
func (p *Param) String() string { return "$" + strconv.Itoa(p.Index+1) }

// Type implements Expr.
func (c *Call) Type() pgtype.Type { return c.Func.Result }

// Eval implements Expr.
func (c *Call) Eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	return evalTop(ctx, env, c, batch)
}

func (c *Call) eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	f := c.Func
	if f.Kernel == nil {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "%s is not implemented", signature(f.Name, f.Args))
	}
	args := make([]arrow.Array, len(c.Args))
	defer releaseAll(args)
	n := int(batch.NumRows())
	allConst := true
	for i, a := range c.Args {
		v, err := evalNode(ctx, env, a, batch)
		if err != nil {
			return nil, err
		}
		args[i] = v
		if v.Len() != 1 {
			allConst = false
		}
	}
	if allConst && !f.Volatile {
		// Every argument is a constant (or there are none): compute once.
		n = 1
	}
	if !f.CalledOnNull {
		for _, a := range args {
			if (a.Len() == 1 || a.DataType().ID() == arrow.NULL) && a.IsNull(0) {
				dt, err := f.Result.Arrow()
				if err != nil {
					dt = arrow.Null
				}
				return nullArray(env.Mem, dt, n), nil
			}
		}
	}
	return f.Kernel(ctx, env, args, n)
}

// String implements Expr.
func (c *Call) String() string {
	name := c.Func.Name
	if isOperatorName(name) {
		switch len(c.Args) {
		case 1:
			return "(" + name + " " + c.Args[0].String() + ")"
		case 2:
			return "(" + c.Args[0].String() + " " + name + " " + c.Args[1].String() + ")"
		}
	}
	parts := make([]string, len(c.Args))
	for i, a := range c.Args {
		parts[i] = a.String()
	}
	return name + "(" + strings.Join(parts, ", ") + ")"
}

// isOperatorName reports whether name is an operator (+, <->, ||) rather
// than a function name.
func isOperatorName(name string) bool {
	for _, r := range name {
		if !strings.ContainsRune("+-*/<>=~!@#%^&|`?", r) {
			return false
		}
	}
	return name != ""
}

// signature formats "name(type, …)" or "type op type" for messages.
func signature(name string, args []pgtype.Type) string {
	if isOperatorName(name) {
		switch len(args) {
		case 1:
			return "operator " + name + " " + args[0].String()
		case 2:
			return "operator " + args[0].String() + " " + name + " " + args[1].String()
		}
	}
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = a.String()
	}
	return "function " + name + "(" + strings.Join(parts, ", ") + ")"
}

// evalRows evaluates e over the rows sel of batch (all rows when sel is
// nil) and returns len(sel) values, or one value for a constant. It is
// how CASE, COALESCE, AND and OR avoid evaluating an argument on rows
// whose result is already decided, as PostgreSQL does.
func evalRows(ctx context.Context, env *Env, e Expr, batch arrow.Record, sel []int32) (arrow.Array, error) {
	if sel == nil || len(sel) == int(batch.NumRows()) || !dependsOnRows(e) {
		return evalNode(ctx, env, e, batch)
	}
	sub, err := takeRecord(ctx, env.Mem, batch, sel)
	if err != nil {
		return nil, err
	}
	defer sub.Release()
	return evalNode(ctx, env, e, sub)
}

// dependsOnRows reports whether e reads a column.
func dependsOnRows(e Expr) bool {
	switch x := e.(type) {
	case *Const, *Param:
		return false
	case *Column:
		return true
	case *Call:
		for _, a := range x.Args {
			if dependsOnRows(a) {
				return true
			}
		}
		return false
	case *Cast:
		return dependsOnRows(x.Arg)
	case *Not:
		return dependsOnRows(x.Arg)
	case *IsNull:
		return dependsOnRows(x.Arg)
	}
	return true
}

// takeRecord returns the rows idx of rec.
func takeRecord(ctx context.Context, mem memory.Allocator, rec arrow.Record, idx []int32) (arrow.Record, error) {
	ib := array.NewInt32Builder(mem)
	ib.AppendValues(idx, nil)
	ia := ib.NewInt32Array()
	ib.Release()
	defer ia.Release()
	cctx := compute.WithAllocator(ctx, mem)
	cols := make([]arrow.Array, rec.NumCols())
	for i := range cols {
		c, err := compute.TakeArray(cctx, rec.Column(i), ia)
		if err != nil {
			releaseAll(cols)
			return nil, sqlstate.Wrap(err, sqlstate.InternalError, "")
		}
		cols[i] = c
	}
	out := array.NewRecord(rec.Schema(), cols, int64(len(idx)))
	releaseAll(cols)
	return out, nil
}

// takeArray returns the values idx of a.
func takeArray(ctx context.Context, mem memory.Allocator, a arrow.Array, idx []int32) (arrow.Array, error) {
	ib := array.NewInt32Builder(mem)
	ib.AppendValues(idx, nil)
	ia := ib.NewInt32Array()
	ib.Release()
	defer ia.Release()
	out, err := compute.TakeArray(compute.WithAllocator(ctx, mem), a, ia)
	if err != nil {
		return nil, sqlstate.Wrap(err, sqlstate.InternalError, "")
	}
	return out, nil
}
