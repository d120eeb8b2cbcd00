package executor_test

import (
	"reflect"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/exectest"
	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
)

// stepTerm is a recursive term mapping each working-table row n (one
// bigint column) to the values next(n), as a Go function.
func stepTerm(env *expr.Env, next func(int64) []int64) executor.RecursiveTerm {
	schema := exectest.Schema([]string{"m"}, []pgtype.Type{i8})
	return func(work []arrow.Record) (executor.Operator, error) {
		var out []any
		for _, r := range exectest.Rows(work) {
			for _, v := range next(r[0].(int64)) {
				out = append(out, v)
			}
		}
		exectest.Release(work)
		rec := exectest.Batch(env.Mem, schema, out)
		return executor.NewRecords(schema, []arrow.Record{rec}), nil
	}
}

func TestRecursiveUnion(t *testing.T) {
	ints := func(vs ...int64) [][]any {
		out := make([][]any, len(vs))
		for i, v := range vs {
			out[i] = []any{v}
		}
		return out
	}
	t.Run("union all counts", func(t *testing.T) {
		env := newEnv(t)
		init := source(env, []string{"n"}, []pgtype.Type{i8}, [][]any{{int64(1)}})
		op, err := executor.NewRecursiveUnion(env, init, executor.RecursiveUnionConfig{Term: stepTerm(env, func(n int64) []int64 {
			if n < 5 {
				return []int64{n + 1}
			}
			return nil
		})})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := drain(t, op), ints(1, 2, 3, 4, 5); !reflect.DeepEqual(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
		if name := op.Schema().Field(0).Name; name != "n" {
			t.Fatalf("column %q, want the non-recursive term's n", name)
		}
	})
	t.Run("union stops at a cycle", func(t *testing.T) {
		// 1 → 2, 3; 2 → 1; 3 → 3, 4: UNION ALL would never end.
		edges := map[int64][]int64{1: {2, 3}, 2: {1}, 3: {3, 4}}
		env := newEnv(t)
		init := source(env, []string{"n"}, []pgtype.Type{i8}, [][]any{{int64(1), int64(1)}})
		op, err := executor.NewRecursiveUnion(env, init, executor.RecursiveUnionConfig{Distinct: true, Term: stepTerm(env, func(n int64) []int64 { return edges[n] })})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := drain(t, op), ints(1, 2, 3, 4); !reflect.DeepEqual(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
	})
	t.Run("limit ends an endless recursion", func(t *testing.T) {
		env := newEnv(t)
		init := source(env, []string{"n"}, []pgtype.Type{i8}, [][]any{{int64(1)}})
		op, err := executor.NewRecursiveUnion(env, init, executor.RecursiveUnionConfig{Term: stepTerm(env, func(n int64) []int64 { return []int64{n + 1} })})
		if err != nil {
			t.Fatal(err)
		}
		rows := drain(t, executor.NewLimit(op, executor.LimitConfig{Limit: 100}))
		if len(rows) != 100 || rows[99][0] != int64(100) {
			t.Fatalf("%d rows, last %v", len(rows), rows[len(rows)-1])
		}
	})
}
