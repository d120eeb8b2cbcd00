package executor

import (
	"context"
	"errors"
	"io"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/hashtable"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// RecursiveTerm builds one evaluation of WITH RECURSIVE's recursive term
// over work, the rows the previous evaluation produced (the "working
// table"). It takes ownership of work.
type RecursiveTerm func(work []arrow.Record) (Operator, error)

// RecursiveUnionConfig configures a RecursiveUnion.
type RecursiveUnionConfig struct {
	// Term builds the recursive term over a working table.
	Term RecursiveTerm
	// Distinct is UNION (rows already produced are dropped, NULLs equal
	// each other) rather than UNION ALL.
	Distinct bool
}

// RecursiveUnion evaluates WITH RECURSIVE name AS (init UNION [ALL] term)
// as PostgreSQL does: it yields init's rows, then evaluates term over the
// rows just yielded, yields its rows, and so on until an evaluation yields
// none. It streams: each batch goes out as soon as it is made, so a LIMIT
// above stops an endless recursion. Batches carry init's schema.
type RecursiveUnion struct {
	env    *expr.Env
	schema *arrow.Schema
	cur    Operator // init, then the term being evaluated
	term   RecursiveTerm
	work   []arrow.Record // this evaluation's output: the next working table

	seen  *hashtable.Table // Distinct: every row yielded so far
	fresh freshRows
}

var _ Operator = (*RecursiveUnion)(nil)

// NewRecursiveUnion returns a RecursiveUnion starting with init, taking
// ownership of it.
func NewRecursiveUnion(env *expr.Env, init Operator, cfg RecursiveUnionConfig) (*RecursiveUnion, error) {
	r := &RecursiveUnion{env: env, schema: init.Schema(), cur: init, term: cfg.Term}
	if cfg.Distinct {
		types := make([]arrow.DataType, r.schema.NumFields())
		for i := range types {
			types[i] = r.schema.Field(i).Type
		}
		t, err := hashtable.New(types)
		if err != nil {
			init.Close()
			return nil, sqlstate.Wrap(err, sqlstate.FeatureNotSupported, "")
		}
		r.seen = t
	}
	return r, nil
}

// Schema implements Operator.
func (r *RecursiveUnion) Schema() *arrow.Schema { return r.schema }

// Next implements Operator.
func (r *RecursiveUnion) Next(ctx context.Context) (arrow.Record, error) {
	for r.cur != nil {
		if err := checkCtx(ctx); err != nil {
			return nil, err
		}
		rec, err := r.cur.Next(ctx)
		if errors.Is(err, io.EOF) {
			r.cur.Close()
			r.cur = nil
			if len(r.work) == 0 {
				break
			}
			work := r.work
			r.work = nil
			if r.cur, err = r.term(work); err != nil {
				return nil, err
			}
			if err := r.check(r.cur.Schema()); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		out, err := r.keep(ctx, rec)
		rec.Release()
		if err != nil {
			return nil, err
		}
		if out == nil {
			continue
		}
		out.Retain()
		r.work = append(r.work, out)
		return out, nil
	}
	return nil, io.EOF
}

// check makes sure the term's columns are init's.
func (r *RecursiveUnion) check(s *arrow.Schema) error {
	if s.NumFields() != r.schema.NumFields() {
		return errf("recursive term has %d columns, non-recursive term %d", s.NumFields(), r.schema.NumFields())
	}
	for i := range s.Fields() {
		if !arrow.TypeEqual(s.Field(i).Type, r.schema.Field(i).Type) {
			return errf("recursive term column %d: %s, non-recursive term %s", i+1, s.Field(i).Type, r.schema.Field(i).Type)
		}
	}
	return nil
}

// keep returns the rows of rec to yield, in r's schema (nil: none): all
// of them for UNION ALL, those not yielded before for UNION.
func (r *RecursiveUnion) keep(ctx context.Context, rec arrow.Record) (arrow.Record, error) {
	n := int(rec.NumRows())
	if n == 0 {
		return nil, nil
	}
	if r.seen == nil {
		return array.NewRecord(r.schema, rec.Columns(), rec.NumRows()), nil
	}
	sel, err := r.fresh.rows(r.seen, rec.Columns(), n)
	if err != nil {
		return nil, err
	}
	switch len(sel) {
	case 0:
		return nil, nil
	case n:
		return array.NewRecord(r.schema, rec.Columns(), rec.NumRows()), nil
	}
	return gatherRecord(ctx, r.env.Mem, r.schema, rec, nil, sel)
}

// Close implements Operator.
func (r *RecursiveUnion) Close() {
	if r.cur != nil {
		r.cur.Close()
		r.cur = nil
	}
	for _, rec := range r.work {
		rec.Release()
	}
	r.work = nil
}
