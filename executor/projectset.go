package executor

import (
	"context"
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
)

// ProjectSetConfig configures a ProjectSet.
type ProjectSetConfig struct {
	// Sets are the set-returning calls of a select list, each as an
	// expression giving one list per input row (unnest(a) is a itself,
	// generate_series(1, 3) the list {1,2,3}).
	Sets []expr.Expr
	// Names are the output names of the sets' element columns.
	Names []string
}

// ProjectSet evaluates set-returning functions in a select list the way
// PostgreSQL 10 and later do: in lock step. Each input row yields as many
// rows as its longest set; every set contributes its elements in order,
// NULL once it is exhausted, and the input columns repeat. A row whose
// sets are all empty (or NULL) yields nothing. The output is the input's
// columns followed by one column per set.
type ProjectSet struct {
	env    *expr.Env
	in     Operator
	cfg    ProjectSetConfig
	schema *arrow.Schema
}

var _ Operator = (*ProjectSet)(nil)

// NewProjectSet returns a ProjectSet over in, taking ownership of in.
func NewProjectSet(env *expr.Env, in Operator, cfg ProjectSetConfig) (*ProjectSet, error) {
	fields := append([]arrow.Field(nil), in.Schema().Fields()...)
	for i, s := range cfg.Sets {
		t := s.Type()
		if !pgtype.IsArray(t.OID) {
			in.Close()
			return nil, errf("set-returning expression of type %s is not a list", t)
		}
		f, err := pgtype.Field(cfg.Names[i], pgtype.ElemOf(t), true)
		if err != nil {
			in.Close()
			return nil, err
		}
		fields = append(fields, f)
	}
	return &ProjectSet{env: env, in: in, cfg: cfg, schema: arrow.NewSchema(fields, nil)}, nil
}

// Schema implements Operator.
func (p *ProjectSet) Schema() *arrow.Schema { return p.schema }

// Next implements Operator.
func (p *ProjectSet) Next(ctx context.Context) (arrow.Record, error) {
	for {
		rec, err := p.in.Next(ctx)
		if err != nil {
			return nil, err
		}
		out, err := p.expand(ctx, rec)
		rec.Release()
		if err != nil || out != nil {
			return out, err
		}
	}
}

// expand turns one input batch into its output rows; nil when there are
// none.
func (p *ProjectSet) expand(ctx context.Context, rec arrow.Record) (arrow.Record, error) {
	sets := make([]*array.List, len(p.cfg.Sets))
	defer func() {
		for _, s := range sets {
			if s != nil {
				s.Release()
			}
		}
	}()
	for i, e := range p.cfg.Sets {
		a, err := e.Eval(ctx, p.env, rec)
		if err != nil {
			return nil, err
		}
		l, ok := a.(*array.List)
		if !ok {
			a.Release()
			return nil, errf("set-returning expression gave %s", a.DataType())
		}
		sets[i] = l
	}
	var rows []int32
	elems := make([][]int32, len(sets))
	for r := 0; r < int(rec.NumRows()); r++ {
		m := 0
		for _, s := range sets {
			if !s.IsNull(r) {
				b, e := s.ValueOffsets(r)
				m = max(m, int(e-b))
			}
		}
		for j := 0; j < m; j++ {
			rows = append(rows, int32(r))
			for k, s := range sets {
				idx := int32(-1)
				if !s.IsNull(r) {
					if b, e := s.ValueOffsets(r); int64(j) < e-b {
						idx = int32(b) + int32(j)
					}
				}
				elems[k] = append(elems[k], idx)
			}
		}
	}
	if len(rows) == 0 {
		return nil, nil
	}
	cols := make([]arrow.Array, 0, len(p.schema.Fields()))
	defer releaseAll(cols)
	for c := 0; c < int(rec.NumCols()); c++ {
		a, err := gather(ctx, p.env.Mem, rec.Column(c), rows)
		if err != nil {
			return nil, err
		}
		cols = append(cols, a)
	}
	for k, s := range sets {
		a, err := gather(ctx, p.env.Mem, s.ListValues(), elems[k])
		if err != nil {
			return nil, err
		}
		cols = append(cols, a)
	}
	out, err := newRecord(p.schema, cols, len(rows))
	if err != nil {
		return nil, fmt.Errorf("project set: %w", err)
	}
	return out, nil
}

// Close implements Operator.
func (p *ProjectSet) Close() { p.in.Close() }
