package executor

import (
	"context"
	"errors"
	"io"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// UnionAll yields the batches of its inputs one input after the other.
// The inputs' columns must have the same Arrow types (the planner casts
// to the common types); names come from the first input.
type UnionAll struct {
	ins []Operator
	cur int
}

var _ Operator = (*UnionAll)(nil)

// NewUnionAll returns a UnionAll of ins, taking ownership of them.
func NewUnionAll(ins []Operator) (*UnionAll, error) {
	fail := func(err error) (*UnionAll, error) {
		for _, in := range ins {
			in.Close()
		}
		return nil, err
	}
	if len(ins) == 0 {
		return fail(errf("UNION ALL of no inputs"))
	}
	first := ins[0].Schema()
	for _, in := range ins[1:] {
		s := in.Schema()
		if s.NumFields() != first.NumFields() {
			return fail(sqlstate.New(sqlstate.SyntaxError, "each UNION query must have the same number of columns"))
		}
		for i := range s.Fields() {
			if !arrow.TypeEqual(s.Field(i).Type, first.Field(i).Type) {
				return fail(errf("UNION ALL column %d: %s and %s", i+1, first.Field(i).Type, s.Field(i).Type))
			}
		}
	}
	return &UnionAll{ins: ins}, nil
}

// Schema implements Operator.
func (u *UnionAll) Schema() *arrow.Schema { return u.ins[0].Schema() }

// Next implements Operator.
func (u *UnionAll) Next(ctx context.Context) (arrow.Record, error) {
	for u.cur < len(u.ins) {
		if err := checkCtx(ctx); err != nil {
			return nil, err
		}
		rec, err := u.ins[u.cur].Next(ctx)
		if errors.Is(err, io.EOF) {
			u.cur++
			continue
		}
		if err != nil {
			return nil, err
		}
		if u.cur == 0 {
			return rec, nil
		}
		// Present later inputs' batches under the first input's schema.
		cols := rec.Columns()
		out, err := newRecord(u.Schema(), cols, int(rec.NumRows()))
		rec.Release()
		return out, err
	}
	return nil, io.EOF
}

// Close implements Operator.
func (u *UnionAll) Close() {
	for _, in := range u.ins {
		in.Close()
	}
}
