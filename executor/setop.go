package executor

import (
	"context"
	"errors"
	"io"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/hashtable"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// SetOpKind is the operation of a HashSetOp.
type SetOpKind int

const (
	// Intersect keeps each distinct row of the left input that the right
	// input has too.
	Intersect SetOpKind = iota
	// IntersectAll keeps a row min(l, r) times, l and r its counts in the
	// left and right inputs.
	IntersectAll
	// Except keeps each distinct row of the left input that the right
	// input lacks.
	Except
	// ExceptAll keeps a row max(l - r, 0) times.
	ExceptAll
)

// String returns the SQL of the operation.
func (k SetOpKind) String() string {
	switch k {
	case Intersect:
		return "INTERSECT"
	case IntersectAll:
		return "INTERSECT ALL"
	case Except:
		return "EXCEPT"
	case ExceptAll:
		return "EXCEPT ALL"
	}
	return "?"
}

// times is how often a row seen l times on the left and r times on the
// right is in the result.
func (k SetOpKind) times(l, r int64) int64 {
	switch k {
	case Intersect:
		if l > 0 && r > 0 {
			return 1
		}
	case IntersectAll:
		return min(l, r)
	case Except:
		if l > 0 && r == 0 {
			return 1
		}
	case ExceptAll:
		return max(l-r, 0)
	}
	return 0
}

// HashSetOp computes INTERSECT [ALL] or EXCEPT [ALL] of two inputs of the
// same column types, as PostgreSQL's HashSetOp: it reads the left input
// into a hash table of its distinct rows with their counts (the table
// keeps the rows' values), then counts the right input's rows that are in
// the table, and then yields each row of the table as often as Kind says,
// in the order the left input first had them. NULLs equal each other, as
// in every set operation. Output columns are named after the left input.
type HashSetOp struct {
	env         *expr.Env
	left, right Operator
	kind        SetOpKind
	table       *hashtable.Table
	l, r        []int64 // per id: rows on the left, on the right
	ids         []uint32

	built bool
	next  int // first id not yet emitted
}

var _ Operator = (*HashSetOp)(nil)

// NewHashSetOp returns a HashSetOp of left and right, taking ownership of
// both.
func NewHashSetOp(env *expr.Env, left, right Operator, kind SetOpKind) (*HashSetOp, error) {
	fail := func(err error) (*HashSetOp, error) {
		left.Close()
		right.Close()
		return nil, err
	}
	ls, rs := left.Schema(), right.Schema()
	if ls.NumFields() != rs.NumFields() {
		return fail(sqlstate.New(sqlstate.SyntaxError, "each %s query must have the same number of columns", kind))
	}
	types := make([]arrow.DataType, ls.NumFields())
	for i := range types {
		types[i] = ls.Field(i).Type
		if !arrow.TypeEqual(types[i], rs.Field(i).Type) {
			return fail(errf("%s column %d: %s and %s", kind, i+1, types[i], rs.Field(i).Type))
		}
	}
	t, err := hashtable.New(types)
	if err != nil {
		return fail(sqlstate.Wrap(err, sqlstate.FeatureNotSupported, ""))
	}
	return &HashSetOp{env: env, left: left, right: right, kind: kind, table: t}, nil
}

// Schema implements Operator.
func (s *HashSetOp) Schema() *arrow.Schema { return s.left.Schema() }

// Next implements Operator.
func (s *HashSetOp) Next(ctx context.Context) (arrow.Record, error) {
	if !s.built {
		if err := s.build(ctx); err != nil {
			return nil, err
		}
		s.built = true
	}
	for s.next < s.table.Len() {
		if err := checkCtx(ctx); err != nil {
			return nil, err
		}
		from := s.next
		to := min(from+BatchSize, s.table.Len())
		s.next = to
		var sel []int32
		for id := from; id < to; id++ {
			for range s.kind.times(s.l[id], s.r[id]) {
				sel = append(sel, int32(id-from))
			}
		}
		if len(sel) == 0 {
			continue
		}
		keys := s.table.Keys(s.env.Mem, from, to)
		rec, err := newRecord(s.Schema(), keys, to-from)
		releaseAll(keys)
		if err != nil {
			return nil, err
		}
		out, err := gatherRecord(ctx, s.env.Mem, s.Schema(), rec, nil, sel)
		rec.Release()
		return out, err
	}
	return nil, io.EOF
}

// build counts the rows of both inputs.
func (s *HashSetOp) build(ctx context.Context) error {
	err := s.drain(ctx, s.left, func(rec arrow.Record, ids []uint32) error {
		if err := s.table.Insert(rec.Columns(), ids); err != nil {
			return sqlstate.Wrap(err, sqlstate.InternalError, "")
		}
		for len(s.l) < s.table.Len() {
			s.l = append(s.l, 0)
		}
		for _, id := range ids {
			s.l[id]++
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.r = make([]int64, s.table.Len())
	return s.drain(ctx, s.right, func(rec arrow.Record, ids []uint32) error {
		if err := s.table.Lookup(rec.Columns(), ids); err != nil {
			return sqlstate.Wrap(err, sqlstate.InternalError, "")
		}
		for _, id := range ids {
			if id != hashtable.Missing {
				s.r[id]++
			}
		}
		return nil
	})
}

// drain passes every batch of in, with an id slice of its length, to f.
func (s *HashSetOp) drain(ctx context.Context, in Operator, f func(arrow.Record, []uint32) error) error {
	for {
		if err := checkCtx(ctx); err != nil {
			return err
		}
		rec, err := in.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		n := int(rec.NumRows())
		if cap(s.ids) < n {
			s.ids = make([]uint32, n)
		}
		err = f(rec, s.ids[:n])
		rec.Release()
		if err != nil {
			return err
		}
	}
}

// Close implements Operator.
func (s *HashSetOp) Close() {
	s.left.Close()
	s.right.Close()
}
