package executor

import (
	"context"
	"io"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// ValuesConfig configures a Values operator.
type ValuesConfig struct {
	// Rows holds one expression per column for each row; expressions
	// read no columns (constants, parameters, functions of those). Each
	// has its column's type (the planner casts, e.g. to the INSERT
	// target's types).
	Rows [][]expr.Expr
	// Names and Types describe the columns.
	Names []string
	Types []pgtype.Type
}

// Values yields constant rows: INSERT … VALUES, a FROM-less SELECT (one
// row of no columns, then the projection), VALUES lists. Rows are
// evaluated when Next is first called, so errors (22P02, 22003, …) come
// from Next.
type Values struct {
	env    *expr.Env
	cfg    ValuesConfig
	schema *arrow.Schema
	out    arrow.Record
	pos    int64
}

var _ Operator = (*Values)(nil)

// NewValues returns a Values operator.
func NewValues(env *expr.Env, cfg ValuesConfig) (*Values, error) {
	for i, r := range cfg.Rows {
		if len(r) != len(cfg.Types) {
			return nil, sqlstate.New(sqlstate.SyntaxError, "VALUES lists must all be the same length").WithDetail("row %d has %d values, not %d", i+1, len(r), len(cfg.Types))
		}
	}
	fields, err := fieldsOf(cfg.Names, cfg.Types)
	if err != nil {
		return nil, err
	}
	return &Values{env: env, cfg: cfg, schema: arrow.NewSchema(fields, nil)}, nil
}

// Schema implements Operator.
func (v *Values) Schema() *arrow.Schema { return v.schema }

// Next implements Operator.
func (v *Values) Next(ctx context.Context) (arrow.Record, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	if v.out == nil {
		if len(v.cfg.Rows) == 0 {
			return nil, io.EOF
		}
		rec, err := v.build(ctx)
		if err != nil {
			return nil, err
		}
		v.out = rec
	}
	n := v.out.NumRows()
	if v.pos >= n {
		return nil, io.EOF
	}
	end := min(n, v.pos+BatchSize)
	rec := v.out.NewSlice(v.pos, end)
	v.pos = end
	return rec, nil
}

// build evaluates every row over a batch of one row and no columns.
func (v *Values) build(ctx context.Context) (arrow.Record, error) {
	one := array.NewRecord(arrow.NewSchema(nil, nil), nil, 1)
	defer one.Release()
	ncols := len(v.cfg.Types)
	parts := make([][]arrow.Array, ncols)
	defer func() {
		for _, p := range parts {
			releaseAll(p)
		}
	}()
	for _, row := range v.cfg.Rows {
		for c, e := range row {
			a, err := e.Eval(ctx, v.env, one)
			if err != nil {
				return nil, err
			}
			parts[c] = append(parts[c], a)
		}
	}
	cols := make([]arrow.Array, ncols)
	defer releaseAll(cols)
	for c := range cols {
		want := v.schema.Field(c).Type
		for _, p := range parts[c] {
			if !arrow.TypeEqual(p.DataType(), want) {
				return nil, errf("VALUES column %d: %s where %s was expected", c+1, p.DataType(), want)
			}
		}
		a, err := concatArrays(v.env.Mem, parts[c])
		if err != nil {
			return nil, err
		}
		cols[c] = a
	}
	return newRecord(v.schema, cols, len(v.cfg.Rows))
}

// Close implements Operator.
func (v *Values) Close() {
	if v.out != nil {
		v.out.Release()
		v.out = nil
	}
}
