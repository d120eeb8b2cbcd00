package executor

import (
	"context"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// FilterConfig configures a Filter.
type FilterConfig struct {
	// Pred is the boolean condition; rows where it is not TRUE are dropped.
	Pred expr.Expr
	// Columns lists the input columns to keep, in output order; nil keeps
	// all. Dropping columns here saves copying them (count(*) after a
	// filter needs none).
	Columns []int
}

// Filter keeps the rows of its input for which a predicate is TRUE. It
// evaluates the predicate for a whole batch, turns the result into a
// selection vector, and copies only the selected rows of the kept
// columns; a batch where every row passes goes through untouched.
type Filter struct {
	env    *expr.Env
	in     Operator
	cfg    FilterConfig
	schema *arrow.Schema
	sel    []int32
}

var _ Operator = (*Filter)(nil)

// NewFilter returns a Filter over in. It takes ownership of in (closing
// it on error).
func NewFilter(env *expr.Env, in Operator, cfg FilterConfig) (*Filter, error) {
	if cfg.Pred == nil || cfg.Pred.Type().OID != pgtype.OIDBool {
		in.Close()
		return nil, sqlstate.New(sqlstate.DatatypeMismatch, "argument of WHERE must be type boolean")
	}
	schema := in.Schema()
	if cfg.Columns != nil {
		fields := make([]arrow.Field, len(cfg.Columns))
		for i, c := range cfg.Columns {
			if c < 0 || c >= schema.NumFields() {
				in.Close()
				return nil, errf("filter keeps column %d of %d", c, schema.NumFields())
			}
			fields[i] = schema.Field(c)
		}
		schema = arrow.NewSchema(fields, nil)
	}
	return &Filter{env: env, in: in, cfg: cfg, schema: schema}, nil
}

// Schema implements Operator.
func (f *Filter) Schema() *arrow.Schema { return f.schema }

// Next implements Operator.
func (f *Filter) Next(ctx context.Context) (arrow.Record, error) {
	for {
		if err := checkCtx(ctx); err != nil {
			return nil, err
		}
		rec, err := f.in.Next(ctx)
		if err != nil {
			return nil, err
		}
		out, err := f.apply(ctx, rec)
		rec.Release()
		if err != nil || out != nil {
			return out, err
		}
	}
}

// apply returns the selected rows of rec, or nil when none is selected.
func (f *Filter) apply(ctx context.Context, rec arrow.Record) (arrow.Record, error) {
	mask, err := f.cfg.Pred.Eval(ctx, f.env, rec)
	if err != nil {
		return nil, err
	}
	f.sel = selection(mask, f.sel[:0])
	mask.Release()
	n := int(rec.NumRows())
	switch {
	case len(f.sel) == 0:
		return nil, nil
	case len(f.sel) == n && f.cfg.Columns == nil:
		rec.Retain()
		return rec, nil
	case len(f.sel) == n:
		cols := make([]arrow.Array, len(f.cfg.Columns))
		for i, c := range f.cfg.Columns {
			cols[i] = rec.Column(c)
		}
		return newRecord(f.schema, cols, n)
	}
	return gatherRecord(ctx, f.env.Mem, f.schema, rec, f.cfg.Columns, f.sel)
}

// Close implements Operator.
func (f *Filter) Close() { f.in.Close() }
