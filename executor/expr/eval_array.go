package expr

import (
	"context"
	"strconv"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// Array expressions: ARRAY[…], ARRAY(SELECT …), a[i], a[i:j] and
// x op ANY/ALL (array). The binder gives ArrayExpr elements of one type
// (its unify), Subscript and Slice int4 bounds, and ArrayQuantified a
// Test over a two-column batch (the tested value, an element) whose
// operator was resolved for the value's and the element's types.

// ArrayExpr is ARRAY[e1, e2, …]: one array per row; every element has
// the element type of T.
type ArrayExpr struct {
	Elems []Expr
	T     pgtype.Type
}

// Subscript is a[i]: the element at subscript i (1-based; 0-based for
// int2vector and oidvector), NULL when out of range.
type Subscript struct {
	Arr, Index Expr
}

// Slice is a[lo:hi]: the elements between the subscripts, clamped to
// the array; a NULL (or omitted) bound is the array's own.
type Slice struct {
	Arr, Lo, Hi Expr
}

// ArrayQuantified is x op ANY (array) (ALL when All): Test compares
// column 0 (x) with column 1 (an element). ANY is true when Test is true
// for some element, NULL when it is NULL for some and true for none,
// false otherwise (and false for an empty array); ALL the dual. A NULL
// array gives NULL.
type ArrayQuantified struct {
	Arg, Arr Expr
	Test     Expr
	All      bool
}

// ArraySubquery is ARRAY(SELECT …): the subquery's column as an array
// (empty, not NULL, without rows). ID and Outer are as in Subquery.
type ArraySubquery struct {
	ID    int
	Outer []Expr
	T     pgtype.Type
}

var (
	_ node = (*ArrayExpr)(nil)
	_ node = (*Subscript)(nil)
	_ node = (*Slice)(nil)
	_ node = (*ArrayQuantified)(nil)
	_ node = (*ArraySubquery)(nil)
)

// Type implements Expr.
func (e *ArrayExpr) Type() pgtype.Type { return e.T }

// Eval implements Expr.
func (e *ArrayExpr) Eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	return evalTop(ctx, env, e, batch)
}

// String implements Expr.
func (e *ArrayExpr) String() string {
	parts := make([]string, len(e.Elems))
	for i, x := range e.Elems {
		parts[i] = x.String()
	}
	return "ARRAY[" + strings.Join(parts, ", ") + "]"
}

func (e *ArrayExpr) eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	lt, err := listType(e.T)
	if err != nil {
		return nil, err
	}
	vals := make([]arrow.Array, len(e.Elems))
	defer releaseAll(vals)
	n := 1
	for i, x := range e.Elems {
		v, err := evalNode(ctx, env, x, batch)
		if err != nil {
			return nil, err
		}
		vals[i] = v
		if v.Len() != 1 {
			n = v.Len()
		}
	}
	if len(vals) == 0 {
		empty := nullArray(env.Mem, lt.Elem(), 0)
		defer empty.Release()
		return makeList(env.Mem, lt, empty, []int32{0, 0}, []bool{true}), nil
	}
	all, starts, err := concatValues(env.Mem, pgtype.ElemOf(e.T), lt.Elem(), vals...)
	if err != nil {
		return nil, err
	}
	defer all.Release()
	m := newListMaker(n)
	for r := 0; r < n; r++ {
		for j, v := range vals {
			m.addOne(starts[j] + row(v, r))
		}
		m.end(false)
	}
	return m.build(ctx, env.Mem, lt, all)
}

// Type implements Expr.
func (s *Subscript) Type() pgtype.Type { return pgtype.ElemOf(s.Arr.Type()) }

// Eval implements Expr.
func (s *Subscript) Eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	return evalTop(ctx, env, s, batch)
}

// String implements Expr.
func (s *Subscript) String() string { return s.Arr.String() + "[" + s.Index.String() + "]" }

func (s *Subscript) eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	args, n, err := evalArgs(ctx, env, batch, s.Arr, s.Index)
	if err != nil {
		return nil, err
	}
	defer releaseAll(args)
	dt, err := s.Type().Arrow()
	if err != nil {
		return nil, err
	}
	a := listOf(args[0])
	if a == nil || nullAt(args[1], 0) && args[1].Len() == 1 {
		return nullArray(env.Mem, dt, n), nil
	}
	lb := int64(lowerBound(s.Arr.Type()))
	idx := make([]int32, n)
	for r := 0; r < n; r++ {
		idx[r] = -1
		if nullAt(a, r) || nullAt(args[1], r) {
			continue
		}
		b, e := span(a, r)
		p := int64(args[1].(*array.Int32).Value(row(args[1], r))) - lb
		if p >= 0 && p < int64(e-b) {
			idx[r] = int32(b + int(p))
		}
	}
	out, err := takeNullable(ctx, env.Mem, a.ListValues(), idx)
	if err != nil {
		return nil, err
	}
	defer out.Release()
	return conformElems(env.Mem, out, dt)
}

// evalArgs evaluates expressions (nil ones are NULL int4s) and returns
// the row count of the call: 1 when all are constants.
func evalArgs(ctx context.Context, env *Env, batch arrow.Record, es ...Expr) ([]arrow.Array, int, error) {
	out := make([]arrow.Array, len(es))
	n := 1
	for i, e := range es {
		if e == nil {
			e = &Const{T: pgtype.Int4}
		}
		v, err := evalNode(ctx, env, e, batch)
		if err != nil {
			releaseAll(out)
			return nil, 0, err
		}
		out[i] = v
		if v.Len() != 1 {
			n = v.Len()
		}
	}
	return out, n, nil
}

// Type implements Expr.
func (s *Slice) Type() pgtype.Type {
	t := s.Arr.Type()
	if pgtype.IsVectorArray(t.OID) {
		// A slice of int2vector or oidvector is an ordinary array.
		et := pgtype.ElemOf(t)
		if at, ok := pgtype.ArrayOf(et); ok {
			return at
		}
	}
	return t
}

// Eval implements Expr.
func (s *Slice) Eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	return evalTop(ctx, env, s, batch)
}

// String implements Expr.
func (s *Slice) String() string {
	str := func(e Expr) string {
		if e == nil {
			return ""
		}
		return e.String()
	}
	return s.Arr.String() + "[" + str(s.Lo) + ":" + str(s.Hi) + "]"
}

func (s *Slice) eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	args, n, err := evalArgs(ctx, env, batch, s.Arr, s.Lo, s.Hi)
	if err != nil {
		return nil, err
	}
	defer releaseAll(args)
	lt, err := listType(s.Type())
	if err != nil {
		return nil, err
	}
	a := listOf(args[0])
	if a == nil {
		return nullArray(env.Mem, lt, n), nil
	}
	lb := int64(lowerBound(s.Arr.Type()))
	bound := func(x arrow.Array, r int, def int64) int64 {
		if nullAt(x, r) {
			return def
		}
		return int64(x.(*array.Int32).Value(row(x, r)))
	}
	m := newListMaker(n)
	for r := 0; r < n; r++ {
		if nullAt(a, r) {
			m.end(true)
			continue
		}
		b, e := span(a, r)
		lo := max(bound(args[1], r, lb), lb) - lb
		hi := min(bound(args[2], r, lb+int64(e-b)-1), lb+int64(e-b)-1) - lb
		if lo <= hi {
			m.add(b+int(lo), b+int(hi)+1)
		}
		m.end(false)
	}
	return m.build(ctx, env.Mem, lt, a.ListValues())
}

// Type implements Expr.
func (q *ArrayQuantified) Type() pgtype.Type { return pgtype.Bool }

// Eval implements Expr.
func (q *ArrayQuantified) Eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	return evalTop(ctx, env, q, batch)
}

// String implements Expr.
func (q *ArrayQuantified) String() string {
	kind := "ANY"
	if q.All {
		kind = "ALL"
	}
	test := q.Test.String()
	if c, ok := q.Test.(*Call); ok && isOperatorName(c.Func.Name) {
		test = c.Func.Name
	}
	return "(" + q.Arg.String() + " " + test + " " + kind + " (" + q.Arr.String() + "))"
}

func (q *ArrayQuantified) eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	args, n, err := evalArgs(ctx, env, batch, q.Arg, q.Arr)
	if err != nil {
		return nil, err
	}
	defer releaseAll(args)
	x, a := args[0], listOf(args[1])
	if a == nil {
		return constBool(env.Mem, n, false, true), nil
	}
	if a.Len() == 1 && n > 1 {
		return q.evalConstArray(ctx, env, x, a, n)
	}
	// Flatten: one test row per (row, element).
	var left, elems []int32
	for r := 0; r < n; r++ {
		if nullAt(a, r) {
			continue
		}
		b, e := span(a, r)
		for i := b; i < e; i++ {
			left = append(left, int32(row(x, r)))
			elems = append(elems, int32(i))
		}
	}
	var res arrow.Array
	if len(elems) > 0 {
		xs, err := takeNullable(ctx, env.Mem, x, left)
		if err != nil {
			return nil, err
		}
		defer xs.Release()
		es, err := takeNullable(ctx, env.Mem, a.ListValues(), elems)
		if err != nil {
			return nil, err
		}
		defer es.Release()
		schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: xs.DataType(), Nullable: true}, {Name: "e", Type: es.DataType(), Nullable: true}}, nil)
		rec := array.NewRecord(schema, []arrow.Array{xs, es}, int64(len(elems)))
		defer rec.Release()
		res, err = evalNode(ctx, env, q.Test, rec)
		if err != nil {
			return nil, err
		}
		defer res.Release()
	}
	var bools *array.Boolean
	if res != nil {
		var ok bool
		if bools, ok = res.(*array.Boolean); !ok && res.DataType().ID() != arrow.NULL {
			return nil, sqlstate.New(sqlstate.InternalError, "ANY/ALL test of type %s", res.DataType())
		}
	}
	at := 0
	return boolResult(env.Mem, n, func(r int) (bool, bool) {
		if nullAt(a, r) {
			return false, true
		}
		b, e := span(a, r)
		sawNull, decided := false, false
		for i := 0; i < e-b; i++ {
			k := at + i
			if res.Len() == 1 {
				k = 0
			}
			switch {
			case bools == nil || bools.IsNull(k):
				sawNull = true
			case bools.Value(k) != q.All:
				decided = true
			}
		}
		at += e - b
		switch {
		case decided:
			return !q.All, false
		case sawNull:
			return false, true
		}
		return q.All, false
	}), nil
}

// Type implements Expr.
func (s *ArraySubquery) Type() pgtype.Type { return s.T }

// Eval implements Expr.
func (s *ArraySubquery) Eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	return evalTop(ctx, env, s, batch)
}

// String implements Expr.
func (s *ArraySubquery) String() string { return "ARRAY(SubPlan " + strconv.Itoa(s.ID+1) + ")" }

func (s *ArraySubquery) eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	if env.Subplans == nil {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "subqueries cannot run here")
	}
	lt, err := listType(s.T)
	if err != nil {
		return nil, err
	}
	n := 1
	if len(s.Outer) > 0 {
		n = int(batch.NumRows())
	}
	var cols []arrow.Array
	defer func() { releaseAll(cols) }()
	m := newListMaker(n)
	at := 0
	runOnce := func(inner *Env) error {
		col, err := env.Subplans.RunSubplan(ctx, inner, s.ID)
		if err != nil {
			return err
		}
		cols = append(cols, col)
		m.add(at, at+col.Len())
		at += col.Len()
		m.end(false)
		return nil
	}
	if len(s.Outer) == 0 {
		err = runOnce(env)
	} else {
		err = eachOuterRow(ctx, env, batch, s.Outer, runOnce)
	}
	if err != nil {
		return nil, err
	}
	if len(cols) == 0 {
		return nullArray(env.Mem, lt, 0), nil
	}
	all, _, err := concatValues(env.Mem, pgtype.ElemOf(s.T), lt.Elem(), cols...)
	if err != nil {
		return nil, err
	}
	defer all.Release()
	return m.build(ctx, env.Mem, lt, all)
}

// evalConstArray is x op ANY/ALL (array) for one array and n values of x
// ("id = ANY($1)" over a batch): Test runs once per element over the
// batch, so memory stays proportional to the batch.
func (q *ArrayQuantified) evalConstArray(ctx context.Context, env *Env, x arrow.Array, a *array.List, n int) (arrow.Array, error) {
	if a.IsNull(0) {
		return constBool(env.Mem, n, false, true), nil
	}
	b, e := a.ValueOffsets(0)
	decided := make([]bool, n)
	sawNull := make([]bool, n)
	xs, err := broadcast(env.Mem, x, n)
	if err != nil {
		return nil, err
	}
	defer xs.Release()
	for j := int(b); j < int(e); j++ {
		one := array.NewSlice(a.ListValues(), int64(j), int64(j+1))
		es, err := broadcast(env.Mem, one, n)
		one.Release()
		if err != nil {
			return nil, err
		}
		schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: xs.DataType(), Nullable: true}, {Name: "e", Type: es.DataType(), Nullable: true}}, nil)
		rec := array.NewRecord(schema, []arrow.Array{xs, es}, int64(n))
		es.Release()
		res, err := evalNode(ctx, env, q.Test, rec)
		rec.Release()
		if err != nil {
			return nil, err
		}
		bools, _ := res.(*array.Boolean)
		for r := 0; r < n; r++ {
			k := row(res, r)
			switch {
			case bools == nil || bools.IsNull(k):
				sawNull[r] = true
			case bools.Value(k) != q.All:
				decided[r] = true
			}
		}
		res.Release()
	}
	return boolResult(env.Mem, n, func(r int) (bool, bool) {
		switch {
		case decided[r]:
			return !q.All, false
		case sawNull[r]:
			return false, true
		}
		return q.All, false
	}), nil
}
