package executor_test

import (
	"context"
	"errors"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/exectest"
	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

func scalarAt(a arrow.Array) (scalar.Scalar, error) { return scalar.GetScalar(a, 0) }

// threeBatches is (id int4, name text) over three batches, with NULLs.
func threeBatches(env *expr.Env) *exectest.Source {
	return source(env, []string{"id", "name"}, []pgtype.Type{i4, txt},
		[][]any{{1, 2, 3}, {"a", "b", nil}},
		[][]any{{nil, 5, 6}, {"d", "e", "f"}},
		[][]any{{7, 8, 9, 10}, {"g", nil, "i", "j"}},
	)
}

func TestFilter(t *testing.T) {
	cases := []struct {
		name string
		pred func(t *testing.T) expr.Expr
		cols []int
		want [][]any
	}{
		{"some rows", func(t *testing.T) expr.Expr { return fn(t, ">", col(0, i4), constant(i4, 5)) }, nil,
			[][]any{{int64(6), "f"}, {int64(7), "g"}, {int64(8), nil}, {int64(9), "i"}, {int64(10), "j"}}},
		{"projected", func(t *testing.T) expr.Expr { return fn(t, "<", col(0, i4), constant(i4, 3)) }, []int{1},
			[][]any{{"a"}, {"b"}}},
		{"none", func(t *testing.T) expr.Expr { return fn(t, ">", col(0, i4), constant(i4, 100)) }, nil, nil},
		{"all but NULL", func(t *testing.T) expr.Expr { return &expr.IsNull{Arg: col(1, txt), Not: true} }, []int{0},
			[][]any{{int64(1)}, {int64(2)}, {nil}, {int64(5)}, {int64(6)}, {int64(7)}, {int64(9)}, {int64(10)}}},
		{"no columns", func(t *testing.T) expr.Expr { return fn(t, ">=", col(0, i4), constant(i4, 9)) }, []int{},
			[][]any{{}, {}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := newEnv(t)
			f, err := executor.NewFilter(env, threeBatches(env), executor.FilterConfig{Pred: c.pred(t), Columns: c.cols})
			if err != nil {
				t.Fatal(err)
			}
			if got := drain(t, f); !equalRows(got, c.want) {
				t.Errorf("rows = %v; want %v", got, c.want)
			}
		})
	}
}

func TestFilterErrors(t *testing.T) {
	env := newEnv(t)
	src := threeBatches(env)
	if _, err := executor.NewFilter(env, src, executor.FilterConfig{Pred: col(0, i4)}); sqlstate.CodeOf(err) != sqlstate.DatatypeMismatch {
		t.Errorf("integer predicate: %v; want 42804", err)
	}
	if !src.Closed {
		t.Error("input not closed after a constructor error")
	}
	// A division by zero surfaces from Next.
	env2 := newEnv(t)
	f, err := executor.NewFilter(env2, threeBatches(env2), executor.FilterConfig{
		Pred: fn(t, ">", fn(t, "/", constant(i4, 1), fn(t, "-", col(0, i4), constant(i4, 5))), constant(i4, 0)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx := context.Background()
	var code sqlstate.Code
	for {
		r, err := f.Next(ctx)
		if err != nil {
			code = sqlstate.CodeOf(err)
			break
		}
		r.Release()
	}
	if code != sqlstate.DivisionByZero {
		t.Errorf("1/(id-5) > 0: %s; want 22012", code)
	}
}

func TestProject(t *testing.T) {
	env := newEnv(t)
	p, err := executor.NewProject(env, threeBatches(env), executor.ProjectConfig{
		Exprs: []expr.Expr{
			fn(t, "*", col(0, i4), constant(i4, 10)),
			fn(t, "upper", col(1, txt)),
			&expr.Cast{Arg: col(0, i4), To: pgtype.NumericOf(10, 2)},
		},
		Names: []string{"x10", "", "price"},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := p.Schema()
	if s.Field(1).Name != "?column?" {
		t.Errorf("unnamed column = %q", s.Field(1).Name)
	}
	if got, _ := pgtype.FromField(s.Field(2)); got != pgtype.NumericOf(10, 2) {
		t.Errorf("field 2 type %s; want numeric(10,2)", got)
	}
	rows := drain(t, p)
	if len(rows) != 10 || rows[0][0] != int64(10) || rows[0][1] != "A" || rows[0][2] != "1" || rows[3][0] != nil {
		t.Errorf("rows = %v", rows)
	}
}

func TestLimit(t *testing.T) {
	cases := []struct {
		limit, offset int64
		want          []any
	}{
		{2, 0, []any{1, 2}},
		{4, 2, []any{3, nil, 5, 6}},
		{100, 8, []any{9, 10}},
		{-1, 7, []any{8, 9, 10}},
		{0, 0, nil},
		{3, 20, nil},
	}
	for _, c := range cases {
		env := newEnv(t)
		l := executor.NewLimit(threeBatches(env), executor.LimitConfig{Limit: c.limit, Offset: c.offset})
		var got []any
		for _, r := range drain(t, l) {
			got = append(got, r[0])
		}
		var want []any
		for _, w := range c.want {
			if w == nil {
				want = append(want, nil)
			} else {
				want = append(want, int64(w.(int)))
			}
		}
		if !equalRows([][]any{got}, [][]any{want}) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("LIMIT %d OFFSET %d = %v; want %v", c.limit, c.offset, got, want)
		}
	}
}

func TestValuesAndUnion(t *testing.T) {
	env := newEnv(t)
	v, err := executor.NewValues(env, executor.ValuesConfig{
		Rows: [][]expr.Expr{
			{constant(i4, 1), constant(txt, "one")},
			{fn(t, "+", constant(i4, 1), constant(i4, 1)), constant(txt, nil)},
		},
		Names: []string{"n", "s"},
		Types: []pgtype.Type{i4, txt},
	})
	if err != nil {
		t.Fatal(err)
	}
	u, err := executor.NewUnionAll([]executor.Operator{v, threeBatches(env)})
	if err != nil {
		t.Fatal(err)
	}
	rows := drain(t, u)
	if len(rows) != 12 || rows[0][1] != "one" || rows[1][0] != int64(2) || rows[1][1] != nil || rows[2][0] != int64(1) {
		t.Errorf("rows = %v", rows)
	}
	// FROM-less SELECT: one row, no columns.
	one, err := executor.NewValues(env, executor.ValuesConfig{Rows: [][]expr.Expr{{}}})
	if err != nil {
		t.Fatal(err)
	}
	if rows := drain(t, one); len(rows) != 1 {
		t.Errorf("one row of no columns: %v", rows)
	}
	// Errors come from Next.
	bad, err := executor.NewValues(env, executor.ValuesConfig{
		Rows: [][]expr.Expr{{fn(t, "/", constant(i4, 1), constant(i4, 0))}}, Types: []pgtype.Type{i4},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	if _, err := bad.Next(context.Background()); sqlstate.CodeOf(err) != sqlstate.DivisionByZero {
		t.Errorf("VALUES (1/0): %v", err)
	}
}

func TestCancellation(t *testing.T) {
	env := newEnv(t)
	f, err := executor.NewFilter(env, threeBatches(env), executor.FilterConfig{Pred: constant(bln, true)})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.Next(ctx); sqlstate.CodeOf(err) != sqlstate.QueryCanceled || !errors.Is(err, context.Canceled) {
		t.Errorf("Next after cancel: %v; want 57014", err)
	}
}
