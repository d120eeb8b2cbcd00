package executor

import (
	"context"
	"errors"
	"io"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/hashtable"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// HashAggregateConfig configures a HashAggregate.
type HashAggregateConfig struct {
	// GroupBy are the grouping expressions; none means one group over the
	// whole input (an aggregate without GROUP BY).
	GroupBy []expr.Expr
	// Aggs are the aggregate calls.
	Aggs []expr.AggCall
	// Names are the output column names: the group columns, then the
	// aggregates.
	Names []string
}

// HashAggregate groups its input and computes aggregates per group. For
// each batch it evaluates the group keys, gets a dense group id per row
// from an open-addressing hash table (executor/hashtable), and updates
// every aggregate's struct-of-arrays state for the whole batch. Without
// GROUP BY it skips the table and always emits exactly one row, even for
// an empty input (count(*) is 0, sum is NULL). Groups come out in the
// order of their first row in the input (unless two keys' 64-bit hashes
// collide); SQL promises no order without ORDER BY.
type HashAggregate struct {
	env    *expr.Env
	in     Operator
	cfg    HashAggregateConfig
	schema *arrow.Schema
	table  *hashtable.Table
	accs   []expr.Accumulator

	out  arrow.Record
	pos  int64
	done bool
	ids  []uint32
	skip []uint32
}

var _ Operator = (*HashAggregate)(nil)

// NewHashAggregate returns a HashAggregate over in, taking ownership of
// in.
func NewHashAggregate(env *expr.Env, in Operator, cfg HashAggregateConfig) (*HashAggregate, error) {
	fail := func(err error) (*HashAggregate, error) {
		in.Close()
		return nil, err
	}
	types := make([]pgtype.Type, 0, len(cfg.GroupBy)+len(cfg.Aggs))
	keyTypes := make([]arrow.DataType, len(cfg.GroupBy))
	for i, g := range cfg.GroupBy {
		types = append(types, g.Type())
		dt, err := g.Type().Arrow()
		if err != nil {
			return fail(sqlstate.New(sqlstate.FeatureNotSupported, "cannot group by type %s", g.Type()))
		}
		keyTypes[i] = dt
	}
	h := &HashAggregate{env: env, in: in, cfg: cfg}
	for i := range cfg.Aggs {
		c := &cfg.Aggs[i]
		types = append(types, c.Agg.Result)
		acc, err := c.NewAccumulator()
		if err != nil {
			return fail(err)
		}
		h.accs = append(h.accs, acc)
	}
	fields, err := fieldsOf(cfg.Names, types)
	if err != nil {
		return fail(err)
	}
	h.schema = arrow.NewSchema(fields, nil)
	if len(cfg.GroupBy) > 0 {
		t, err := hashtable.New(keyTypes)
		if err != nil {
			return fail(sqlstate.Wrap(err, sqlstate.FeatureNotSupported, ""))
		}
		h.table = t
	} else {
		for _, a := range h.accs {
			a.Grow(1)
		}
	}
	return h, nil
}

// Schema implements Operator.
func (h *HashAggregate) Schema() *arrow.Schema { return h.schema }

// Next implements Operator.
func (h *HashAggregate) Next(ctx context.Context) (arrow.Record, error) {
	if !h.done {
		if err := h.consume(ctx); err != nil {
			return nil, err
		}
		h.done = true
	}
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	if h.out == nil || h.pos >= h.out.NumRows() {
		return nil, io.EOF
	}
	end := min(h.out.NumRows(), h.pos+BatchSize)
	rec := h.out.NewSlice(h.pos, end)
	h.pos = end
	return rec, nil
}

func (h *HashAggregate) consume(ctx context.Context) error {
	for {
		if err := checkCtx(ctx); err != nil {
			return err
		}
		rec, err := h.in.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		err = h.update(ctx, rec)
		rec.Release()
		if err != nil {
			return err
		}
	}
	return h.finish()
}

// update folds one batch into the groups.
func (h *HashAggregate) update(ctx context.Context, rec arrow.Record) error {
	n := int(rec.NumRows())
	var groups []uint32
	if h.table != nil {
		keys, err := evalAll(ctx, h.env, h.cfg.GroupBy, rec)
		if err != nil {
			return err
		}
		if cap(h.ids) < n {
			h.ids = make([]uint32, n)
		}
		groups = h.ids[:n]
		err = h.table.Insert(keys, groups)
		releaseAll(keys)
		if err != nil {
			return sqlstate.Wrap(err, sqlstate.InternalError, "")
		}
		for _, a := range h.accs {
			a.Grow(h.table.Len())
		}
	}
	for i := range h.cfg.Aggs {
		c := &h.cfg.Aggs[i]
		g := groups
		if c.Filter != nil {
			var err error
			if g, err = h.filterGroups(ctx, c.Filter, rec, groups); err != nil {
				return err
			}
		}
		args, err := evalAll(ctx, h.env, c.Args, rec)
		if err != nil {
			return err
		}
		err = h.accs[i].Update(n, args, g)
		releaseAll(args)
		if err != nil {
			return err
		}
	}
	return nil
}

// filterGroups returns groups with SkipRow where filter is not TRUE.
func (h *HashAggregate) filterGroups(ctx context.Context, filter expr.Expr, rec arrow.Record, groups []uint32) ([]uint32, error) {
	n := int(rec.NumRows())
	mask, err := filter.Eval(ctx, h.env, rec)
	if err != nil {
		return nil, err
	}
	defer mask.Release()
	if cap(h.skip) < n {
		h.skip = make([]uint32, n)
	}
	out := h.skip[:n]
	for i := range out {
		out[i] = expr.SkipRow
	}
	for _, i := range selection(mask, nil) {
		if groups == nil {
			out[i] = 0
		} else {
			out[i] = groups[i]
		}
	}
	return out, nil
}

// finish builds the output batch of all groups.
func (h *HashAggregate) finish() error {
	ngroups := 1
	var cols []arrow.Array
	if h.table != nil {
		ngroups = h.table.Len()
		cols = h.table.Keys(h.env.Mem, 0, ngroups)
	}
	defer func() { releaseAll(cols) }()
	for _, a := range h.accs {
		a.Grow(ngroups)
		r, err := a.Result(h.env.Mem)
		if err != nil {
			return err
		}
		cols = append(cols, r)
	}
	if ngroups == 0 {
		return nil
	}
	if len(cols) == 0 {
		h.out = array.NewRecord(h.schema, nil, int64(ngroups))
		return nil
	}
	out, err := newRecord(h.schema, cols, ngroups)
	if err != nil {
		return err
	}
	h.out = out
	return nil
}

// Close implements Operator.
func (h *HashAggregate) Close() {
	if h.out != nil {
		h.out.Release()
		h.out = nil
	}
	h.in.Close()
}
