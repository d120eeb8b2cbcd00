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

// AggMode says which part of an aggregation a HashAggregate computes.
type AggMode uint8

const (
	// AggComplete aggregates raw rows into results (the zero value).
	AggComplete AggMode = iota
	// AggPartial aggregates raw rows into partial states: a plan
	// executor's share of a distributed aggregation. The output is the
	// group columns, then one state column per aggregate, of Arrow type
	// Agg.StateType() (field metadata MetaAggState names the call). Without
	// GROUP BY it emits one row even for an empty input, as AggComplete
	// does. DISTINCT calls (not AggCall.Splittable) are refused; FILTER is
	// applied here.
	AggPartial
	// AggFinal merges partial states into results: the query node's part.
	// Its input is the concatenation, in any order, of AggPartial outputs
	// (group columns, then state columns); GroupBy must be *expr.Column
	// references to the input's group columns, in order, and each call's
	// Args must be exactly one *expr.Column referring to its state column
	// (its T is ignored: states have no PostgreSQL type; planners may put
	// Agg.Result there), with no Distinct and no Filter. The output, schema
	// and values, is what AggComplete gives over the raw rows, and
	// without GROUP BY it is exactly one row even for no input rows.
	AggFinal
)

// MetaAggState is the field metadata key of an AggPartial state column;
// its value is the aggregate call (AggCall.String).
const MetaAggState = "lancegate.agg_state"

// HashAggregateConfig configures a HashAggregate.
type HashAggregateConfig struct {
	// GroupBy are the grouping expressions; none means one group over the
	// whole input (an aggregate without GROUP BY).
	GroupBy []expr.Expr
	// Aggs are the aggregate calls.
	Aggs []expr.AggCall
	// Names are the output column names: the group columns, then the
	// aggregates (the state columns in AggPartial).
	Names []string
	// Mode is AggComplete, AggPartial or AggFinal (see there for the
	// conventions of each).
	Mode AggMode
}

// HashAggregate groups its input and computes aggregates per group. For
// each batch it evaluates the group keys, gets a dense group id per row
// from an open-addressing hash table (executor/hashtable), and updates
// every aggregate's struct-of-arrays state for the whole batch. Without
// GROUP BY it skips the table and always emits exactly one row, even for
// an empty input (count(*) is 0, sum is NULL). Groups come out in the
// order of their first row in the input (unless two keys' 64-bit hashes
// collide); SQL promises no order without ORDER BY. Split in two
// (HashAggregateConfig.Mode), the same operator folds rows into partial
// states on plan executors and merges them into results on the query
// node (states: executor/expr/agg_partial.go).
type HashAggregate struct {
	env    *expr.Env
	in     Operator
	cfg    HashAggregateConfig
	schema *arrow.Schema
	table  *hashtable.Table
	accs   []expr.Accumulator

	// states are the Arrow types of the state columns (AggFinal: of
	// the input, AggPartial: of the output); stateCol (AggFinal) their
	// indexes in the input.
	states   []arrow.DataType
	stateCol []int

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
	if cfg.Mode > AggFinal {
		return fail(sqlstate.New(sqlstate.InternalError, "unknown aggregation mode %d", cfg.Mode))
	}
	if cfg.Mode == AggFinal {
		for i, g := range cfg.GroupBy {
			if _, ok := g.(*expr.Column); !ok {
				return fail(sqlstate.New(sqlstate.InternalError, "final aggregation: group key %d is %s, not a column", i, g))
			}
		}
	}
	for i := range cfg.Aggs {
		c := &cfg.Aggs[i]
		types = append(types, c.Agg.Result)
		var acc expr.Accumulator
		switch cfg.Mode {
		case AggComplete:
			var err error
			if acc, err = c.NewAccumulator(); err != nil {
				return fail(err)
			}
		case AggPartial:
			if !c.Splittable() {
				return fail(sqlstate.New(sqlstate.FeatureNotSupported, "partial aggregation of %s", c))
			}
			acc = c.Agg.NewAccumulator()
			h.states = append(h.states, c.Agg.StateType())
		case AggFinal:
			var col *expr.Column
			if len(c.Args) == 1 {
				col, _ = c.Args[0].(*expr.Column)
			}
			if col == nil || c.Distinct || c.Filter != nil {
				return fail(sqlstate.New(sqlstate.InternalError, "final aggregation: %s must have one state column argument, no DISTINCT and no FILTER", c))
			}
			acc = c.Agg.NewAccumulator()
			h.states = append(h.states, c.Agg.StateType())
			h.stateCol = append(h.stateCol, col.Index)
		}
		h.accs = append(h.accs, acc)
	}
	fields, err := fieldsOf(cfg.Names, types)
	if err != nil {
		return fail(err)
	}
	if cfg.Mode == AggPartial {
		for i := range cfg.Aggs {
			f := &fields[len(cfg.GroupBy)+i]
			f.Type, f.Nullable = h.states[i], true
			f.Metadata = arrow.NewMetadata([]string{MetaAggState}, []string{cfg.Aggs[i].String()})
		}
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
		if h.cfg.Mode == AggFinal {
			if err := h.merge(i, n, rec, g); err != nil {
				return err
			}
			continue
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

// merge folds a batch's states of aggregate i into the groups.
func (h *HashAggregate) merge(i, n int, rec arrow.Record, groups []uint32) error {
	j := h.stateCol[i]
	if j < 0 || j >= int(rec.NumCols()) {
		return sqlstate.New(sqlstate.InternalError, "state column %d out of range of a batch of %d columns", j, rec.NumCols())
	}
	st := rec.Column(j)
	if !arrow.TypeEqual(st.DataType(), h.states[i]) {
		return sqlstate.New(sqlstate.InternalError, "state column %d of %s has Arrow type %s; want %s", j, h.cfg.Aggs[i].String(), st.DataType(), h.states[i])
	}
	return h.accs[i].Merge(n, st, groups)
}

// filterGroups returns groups with SkipRow where filter is not TRUE.
func (h *HashAggregate) filterGroups(ctx context.Context, filter expr.Expr, rec arrow.Record, groups []uint32) ([]uint32, error) {
	return filterGroups(ctx, h.env, filter, rec, groups, &h.skip)
}

// filterGroups returns a copy of groups (nil: all group 0) with SkipRow
// where filter is not TRUE over rec, in *scratch's memory.
func filterGroups(ctx context.Context, env *expr.Env, filter expr.Expr, rec arrow.Record, groups []uint32, scratch *[]uint32) ([]uint32, error) {
	n := int(rec.NumRows())
	mask, err := filter.Eval(ctx, env, rec)
	if err != nil {
		return nil, err
	}
	defer mask.Release()
	if cap(*scratch) < n {
		*scratch = make([]uint32, n)
	}
	out := (*scratch)[:n]
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
		var r arrow.Array
		var err error
		if h.cfg.Mode == AggPartial {
			r, err = a.State(h.env.Mem)
		} else {
			r, err = a.Result(h.env.Mem)
		}
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
