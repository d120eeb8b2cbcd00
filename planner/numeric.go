package planner

import (
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
)

// PostgreSQL numeric values carry a display scale (dscale) each: 1.5 * 2
// prints 3.0 and avg() of integers prints 16 decimals. lancegate's
// numeric values are decimal128 of one scale per column, so the binder
// gives numeric expressions the scale PostgreSQL would display, by
// PostgreSQL's rules for its arithmetic (add and subtract: the larger
// scale; multiply: the sum; divide and avg: at least 16 decimals), as a
// cast to numeric(38, scale), which RowDescription reports as that
// column's modifier (PostgreSQL reports -1 for expressions). For quotients
// below 1 or of 10,000 and more PostgreSQL shows more or fewer decimals
// than 16; see docs/sql.md.

// numericDivScale is the scale of quotients and averages.
const numericDivScale = 16

// numScale returns the display scale of an expression of numeric or
// integer type, or -1 when unknown.
func numScale(e expr.Expr) int {
	if c, ok := e.(*expr.Cast); ok && c.To.OID == pgtype.OIDNumeric && c.To.Mod < 0 {
		// An integer converted to numeric keeps scale 0.
		if s := numScale(c.Arg); s == 0 {
			return 0
		}
	}
	t := e.Type()
	switch t.OID {
	case pgtype.OIDInt2, pgtype.OIDInt4, pgtype.OIDInt8:
		return 0
	case pgtype.OIDNumeric:
		if t.Mod >= 4 {
			return int((t.Mod - 4) & 0xffff)
		}
	}
	return -1
}

// withScale casts a numeric expression to numeric(38, scale), so it
// displays scale decimals.
func withScale(e expr.Expr, scale int) expr.Expr {
	if scale < 0 || e.Type().OID != pgtype.OIDNumeric {
		return e
	}
	scale = min(scale, 37)
	t := pgtype.NumericOf(38, scale)
	if e.Type() == t {
		return e
	}
	return &expr.Cast{Arg: e, To: t}
}

// numericResult applies the display-scale rules to a resolved call.
func numericResult(call *expr.Call) expr.Expr {
	if call.Func.Result.OID != pgtype.OIDNumeric || call.Func.Result.Mod >= 0 {
		return call
	}
	scales := make([]int, len(call.Args))
	for i, a := range call.Args {
		scales[i] = numScale(a)
	}
	known := func() bool {
		for _, s := range scales {
			if s < 0 {
				return false
			}
		}
		return len(scales) > 0
	}
	switch call.Func.Name {
	case "+", "-", "%", "mod", "abs", "greatest", "least":
		if known() {
			m := 0
			for _, s := range scales {
				m = max(m, s)
			}
			return withScale(call, m)
		}
	case "*":
		if known() && len(scales) == 2 {
			return withScale(call, scales[0]+scales[1])
		}
	case "/":
		if known() && len(scales) == 2 {
			return withScale(call, max(numericDivScale, scales[0], scales[1]))
		}
	case "floor", "ceil", "ceiling", "sign":
		return withScale(call, 0)
	case "round", "trunc":
		if len(call.Args) == 1 {
			return withScale(call, 0)
		}
		if c, ok := call.Args[1].(*expr.Const); ok && c.Value != nil && c.Value.IsValid() {
			if n, ok := intOfScalar(c); ok && n >= 0 {
				return withScale(call, int(n))
			}
		}
	}
	return call
}

// aggregateScale gives sum and avg results their display scale.
func aggregateScale(name string, arg expr.Expr, ref expr.Expr) expr.Expr {
	if ref.Type().OID != pgtype.OIDNumeric || arg == nil {
		return ref
	}
	s := numScale(arg)
	switch name {
	case "sum", "min", "max":
		return withScale(ref, s)
	case "avg":
		if s >= 0 {
			return withScale(ref, max(numericDivScale, s))
		}
	}
	return ref
}

// intOfScalar reads an integer constant.
func intOfScalar(c *expr.Const) (int64, bool) {
	switch v := c.Value.(type) {
	case *scalar.Int32:
		return int64(v.Value), true
	case *scalar.Int64:
		return v.Value, true
	case *scalar.Int16:
		return int64(v.Value), true
	}
	return 0, false
}
