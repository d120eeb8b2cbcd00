package planner

import (
	"context"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
)

// evalConst evaluates an expression that reads no column (over a batch of
// one row) and returns its value as a scalar.
func evalConst(ctx context.Context, e expr.Expr, tz *time.Location) (scalar.Scalar, error) {
	opts := pgtype.DefaultTextOptions()
	opts.TimeZone = tz
	env := &expr.Env{Mem: memory.DefaultAllocator, Text: opts, Now: time.Now()}
	rec := array.NewRecord(arrow.NewSchema(nil, nil), nil, 1)
	defer rec.Release()
	a, err := e.Eval(ctx, env, rec)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	return scalar.GetScalar(a, 0)
}
