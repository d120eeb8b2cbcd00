package expr

import (
	"context"
	"strconv"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// Subqueries in expressions: (SELECT …), EXISTS (SELECT …),
// x IN (SELECT …), x op ANY/ALL (SELECT …).
//
// The planner binds the inner query into a plan of its own, identified by
// ID, and runs it through Env.Subplans. A correlated subquery reads
// columns of the outer row through OuterRef: Outer lists the outer
// expressions, evaluated on the outer batch, and for each outer row the
// subquery runs with Env.Outer set to that row's values. An uncorrelated
// one runs once per batch. This is PostgreSQL's SubPlan without hashing:
// meant for the small relations catalog queries join, not for joins over
// large tables, which should be written as joins.

// SubqueryKind says what a Subquery computes from the inner rows.
type SubqueryKind int

// The kinds of subquery.
const (
	// SubqueryScalar is (SELECT x …): NULL for no row, the value for one,
	// 21000 for more.
	SubqueryScalar SubqueryKind = iota
	// SubqueryExists is EXISTS (SELECT …).
	SubqueryExists
	// SubqueryAny is x op ANY (SELECT …) and x IN (SELECT …): true when Test
	// holds for some inner row, NULL when it holds for none and is NULL
	// for some, false otherwise.
	SubqueryAny
	// SubqueryAll is x op ALL (SELECT …).
	SubqueryAll
)

// Subplans runs the plans of subqueries; the planner's execution
// implements it.
type Subplans interface {
	// RunSubplan runs subquery plan id with env (whose Outer holds the
	// outer row's values) and returns its first column, every row (a
	// null-typed array of the row count when it has no column).
	RunSubplan(ctx context.Context, env *Env, id int) (arrow.Array, error)
}

// Subquery is a subquery used as an expression.
type Subquery struct {
	Kind SubqueryKind
	// ID identifies the inner plan for Env.Subplans.
	ID int
	// Outer are the outer expressions the inner plan reads as OuterRef
	// 0…len-1; empty for an uncorrelated subquery.
	Outer []Expr
	// Test is the comparison of SubqueryAny and SubqueryAll, over a batch
	// whose column 0 is the inner column; the tested value is an OuterRef.
	Test Expr
	// T is the result type: the inner column's for SubqueryScalar, bool
	// otherwise.
	T pgtype.Type
}

// OuterRef is the value of outer expression Index of the enclosing
// Subquery, for the current outer row.
type OuterRef struct {
	Index int
	T     pgtype.Type
}

var (
	_ node = (*Subquery)(nil)
	_ node = (*OuterRef)(nil)
)

// Type implements Expr.
func (o *OuterRef) Type() pgtype.Type { return o.T }

// Eval implements Expr.
func (o *OuterRef) Eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	return evalTop(ctx, env, o, batch)
}

func (o *OuterRef) eval(_ context.Context, env *Env, _ arrow.Record) (arrow.Array, error) {
	if o.Index < 0 || o.Index >= len(env.Outer) {
		return nil, sqlstate.New(sqlstate.InternalError, "outer reference %d outside a subquery", o.Index)
	}
	return scalarArray(env.Mem, env.Outer[o.Index], o.T)
}

// String implements Expr.
func (o *OuterRef) String() string { return "outer#" + strconv.Itoa(o.Index) }

// Type implements Expr.
func (s *Subquery) Type() pgtype.Type { return s.T }

// String implements Expr.
func (s *Subquery) String() string {
	switch s.Kind {
	case SubqueryExists:
		return "EXISTS(SubPlan " + strconv.Itoa(s.ID+1) + ")"
	case SubqueryAny:
		return "ANY(SubPlan " + strconv.Itoa(s.ID+1) + ")"
	case SubqueryAll:
		return "ALL(SubPlan " + strconv.Itoa(s.ID+1) + ")"
	}
	return "(SubPlan " + strconv.Itoa(s.ID+1) + ")"
}

// Eval implements Expr.
func (s *Subquery) Eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	return evalTop(ctx, env, s, batch)
}

func (s *Subquery) eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	if env.Subplans == nil {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "subqueries cannot run here")
	}
	n := int(batch.NumRows())
	if len(s.Outer) == 0 {
		v, err := s.run(ctx, env, env)
		if err != nil {
			return nil, err
		}
		return scalarArray(env.Mem, v, s.T)
	}
	vals := make([]arrow.Array, 0, n)
	defer func() { releaseAll(vals) }()
	err := eachOuterRow(ctx, env, batch, s.Outer, func(inner *Env) error {
		v, err := s.run(ctx, env, inner)
		if err != nil {
			return err
		}
		a, err := scalarArray(env.Mem, v, s.T)
		if err != nil {
			return err
		}
		vals = append(vals, a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(vals) == 0 {
		dt, err := s.T.Arrow()
		if err != nil {
			return nil, err
		}
		return array.MakeArrayOfNull(env.Mem, dt, 0), nil
	}
	out, err := array.Concatenate(vals, env.Mem)
	if err != nil {
		return nil, sqlstate.Wrap(err, sqlstate.InternalError, "subquery results: %v", err)
	}
	return out, nil
}

// eachOuterRow evaluates the outer expressions of a correlated subquery on
// batch and calls f once per row with a copy of env whose Outer holds that
// row's values.
func eachOuterRow(ctx context.Context, env *Env, batch arrow.Record, outerExprs []Expr, f func(inner *Env) error) error {
	outer := make([]arrow.Array, len(outerExprs))
	defer releaseAll(outer)
	for i, e := range outerExprs {
		a, err := evalNode(ctx, env, e, batch)
		if err != nil {
			return err
		}
		outer[i] = a
	}
	inner := *env
	inner.Outer = make([]scalar.Scalar, len(outer))
	for r := 0; r < int(batch.NumRows()); r++ {
		if err := sqlstate.Canceled(ctx); err != nil {
			return err
		}
		for i, a := range outer {
			v, err := scalar.GetScalar(a, row(a, r))
			if err != nil {
				return sqlstate.Wrap(err, sqlstate.InternalError, "outer value: %v", err)
			}
			inner.Outer[i] = v
		}
		if err := f(&inner); err != nil {
			return err
		}
	}
	return nil
}

// run runs the inner plan once with env and reduces its rows to one value
// (nil for NULL).
func (s *Subquery) run(ctx context.Context, outer, env *Env) (scalar.Scalar, error) {
	col, err := outer.Subplans.RunSubplan(ctx, env, s.ID)
	if err != nil {
		return nil, err
	}
	defer col.Release()
	switch s.Kind {
	case SubqueryExists:
		return scalar.NewBooleanScalar(col.Len() > 0), nil
	case SubqueryScalar:
		switch col.Len() {
		case 0:
			return nil, nil
		case 1:
			if col.IsNull(0) {
				return nil, nil
			}
			return scalar.GetScalar(col, 0)
		}
		return nil, sqlstate.New(sqlstate.CardinalityViolation, "more than one row returned by a subquery used as an expression")
	}
	// ANY / ALL: evaluate Test over the inner rows.
	if col.Len() == 0 {
		return scalar.NewBooleanScalar(s.Kind == SubqueryAll), nil
	}
	rec := array.NewRecord(arrow.NewSchema([]arrow.Field{{Name: "x", Type: col.DataType(), Nullable: true}}, nil), []arrow.Array{col}, int64(col.Len()))
	defer rec.Release()
	res, err := evalNode(ctx, env, s.Test, rec)
	if err != nil {
		return nil, err
	}
	defer res.Release()
	bools, ok := res.(*array.Boolean)
	if !ok {
		return nil, sqlstate.New(sqlstate.InternalError, "subquery test of type %s", res.DataType())
	}
	sawNull := false
	for i := 0; i < col.Len(); i++ {
		r := i
		if bools.Len() == 1 {
			r = 0
		}
		switch {
		case bools.IsNull(r):
			sawNull = true
		case bools.Value(r) == (s.Kind == SubqueryAny):
			return scalar.NewBooleanScalar(s.Kind == SubqueryAny), nil
		}
	}
	if sawNull {
		return nil, nil
	}
	return scalar.NewBooleanScalar(s.Kind == SubqueryAll), nil
}
