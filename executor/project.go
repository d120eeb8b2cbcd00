package executor

import (
	"context"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/lancegate/lancegate/executor/expr"
)

// ProjectConfig configures a Project.
type ProjectConfig struct {
	// Exprs computes the output columns from an input batch.
	Exprs []expr.Expr
	// Names are the output column names (RowDescription's); "" is
	// "?column?".
	Names []string
}

// Project computes one output column per expression, a whole batch at a
// time. Its schema carries each column's PostgreSQL type (pgtype.Field).
// With no expressions it still passes the row count on (SELECT count(*)
// needs rows, not columns).
type Project struct {
	env    *expr.Env
	in     Operator
	cfg    ProjectConfig
	schema *arrow.Schema
}

var _ Operator = (*Project)(nil)

// NewProject returns a Project over in, taking ownership of in.
func NewProject(env *expr.Env, in Operator, cfg ProjectConfig) (*Project, error) {
	schema, err := schemaOf(cfg.Names, cfg.Exprs)
	if err != nil {
		in.Close()
		return nil, err
	}
	return &Project{env: env, in: in, cfg: cfg, schema: schema}, nil
}

// Schema implements Operator.
func (p *Project) Schema() *arrow.Schema { return p.schema }

// Next implements Operator.
func (p *Project) Next(ctx context.Context) (arrow.Record, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	rec, err := p.in.Next(ctx)
	if err != nil {
		return nil, err
	}
	defer rec.Release()
	cols, err := evalAll(ctx, p.env, p.cfg.Exprs, rec)
	if err != nil {
		return nil, err
	}
	defer releaseAll(cols)
	return newRecord(p.schema, cols, int(rec.NumRows()))
}

// Close implements Operator.
func (p *Project) Close() { p.in.Close() }
