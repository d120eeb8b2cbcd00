package executor

import (
	"context"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/hashtable"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// DistinctConfig configures a Distinct.
type DistinctConfig struct {
	// Columns are the input columns whose values must be distinct (the
	// output keeps all columns); nil means all columns (SELECT DISTINCT).
	Columns []int
}

// Distinct passes on the first row of each distinct tuple of key columns
// and drops the repeats (NULLs equal each other here). It streams: a
// batch's new rows go out as soon as the batch is read, so DISTINCT …
// LIMIT stops early. It uses the same hash table as HashAggregate: a row
// whose id is new is a first occurrence.
type Distinct struct {
	env   *expr.Env
	in    Operator
	cols  []int
	table *hashtable.Table
	fresh freshRows
}

var _ Operator = (*Distinct)(nil)

// NewDistinct returns a Distinct over in, taking ownership of in.
func NewDistinct(env *expr.Env, in Operator, cfg DistinctConfig) (*Distinct, error) {
	schema := in.Schema()
	cols := cfg.Columns
	if cols == nil {
		cols = allColumns(schema.NumFields())
	}
	types := make([]arrow.DataType, len(cols))
	for i, c := range cols {
		if c < 0 || c >= schema.NumFields() {
			in.Close()
			return nil, errf("distinct on column %d of %d", c, schema.NumFields())
		}
		types[i] = schema.Field(c).Type
	}
	t, err := hashtable.New(types)
	if err != nil {
		in.Close()
		return nil, sqlstate.Wrap(err, sqlstate.FeatureNotSupported, "")
	}
	return &Distinct{env: env, in: in, cols: cols, table: t}, nil
}

// Schema implements Operator.
func (d *Distinct) Schema() *arrow.Schema { return d.in.Schema() }

// Next implements Operator.
func (d *Distinct) Next(ctx context.Context) (arrow.Record, error) {
	for {
		if err := checkCtx(ctx); err != nil {
			return nil, err
		}
		rec, err := d.in.Next(ctx)
		if err != nil {
			return nil, err
		}
		out, err := d.firsts(ctx, rec)
		rec.Release()
		if err != nil || out != nil {
			return out, err
		}
	}
}

// firsts returns the rows of rec whose key was not seen before, or nil.
func (d *Distinct) firsts(ctx context.Context, rec arrow.Record) (arrow.Record, error) {
	n := int(rec.NumRows())
	keys := make([]arrow.Array, len(d.cols))
	for i, c := range d.cols {
		keys[i] = rec.Column(c)
	}
	sel, err := d.fresh.rows(d.table, keys, n)
	if err != nil {
		return nil, err
	}
	switch len(sel) {
	case 0:
		return nil, nil
	case n:
		rec.Retain()
		return rec, nil
	}
	return gatherRecord(ctx, d.env.Mem, d.Schema(), rec, nil, sel)
}

// freshRows finds the rows of a batch whose key a hash table has not
// seen before (the first of them in the batch when it repeats), adding
// the keys; its slices are reused from batch to batch.
type freshRows struct {
	ids   []uint32
	sel   []int32
	first []bool
}

// rows inserts the n rows' keys into t and returns the positions of the
// new ones. The result is valid until the next call.
func (f *freshRows) rows(t *hashtable.Table, keys []arrow.Array, n int) ([]int32, error) {
	if cap(f.ids) < n {
		f.ids = make([]uint32, n)
	}
	ids := f.ids[:n]
	before := uint32(t.Len())
	if err := t.Insert(keys, ids); err != nil {
		return nil, sqlstate.Wrap(err, sqlstate.InternalError, "")
	}
	// A row is kept when it is the first in the batch with a new id.
	f.sel, f.first = f.sel[:0], f.first[:0]
	for i, id := range ids {
		if id < before {
			continue
		}
		k := int(id - before)
		for len(f.first) <= k {
			f.first = append(f.first, false)
		}
		if !f.first[k] {
			f.first[k] = true
			f.sel = append(f.sel, int32(i))
		}
	}
	return f.sel, nil
}

// Close implements Operator.
func (d *Distinct) Close() { d.in.Close() }
