package executor_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/exectest"
	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
)

// joinInputs are left (lid int4, k int4, tag text) and right (rid int4,
// k int4, w int4) with duplicate and NULL keys, in several batches.
func joinInputs(env *expr.Env, seed uint64, nl, nr int) (left, right *exectest.Source, lrows, rrows [][]any) {
	r := rand.New(rand.NewPCG(seed, 9))
	mk := func(n int, third func(i int) any) ([][]any, [][][]any) {
		var rows [][]any
		for i := 0; i < n; i++ {
			var k any
			if r.IntN(8) > 0 {
				k = int64(r.IntN(n/3 + 1))
			}
			rows = append(rows, []any{int64(i), k, third(i)})
		}
		var batches [][][]any
		for s := 0; s < n; s += 700 {
			cols := make([][]any, 3)
			for _, row := range rows[s:min(n, s+700)] {
				for c := range cols {
					cols[c] = append(cols[c], row[c])
				}
			}
			batches = append(batches, cols)
		}
		return rows, batches
	}
	lrows, lb := mk(nl, func(i int) any { return fmt.Sprint("t", i%5) })
	rrows, rb := mk(nr, func(i int) any { return int64(r.IntN(100)) })
	left = source(env, []string{"lid", "k", "tag"}, []pgtype.Type{i4, i4, txt}, lb...)
	right = source(env, []string{"rid", "k", "w"}, []pgtype.Type{i4, i4, i4}, rb...)
	return left, right, lrows, rrows
}

// refJoin joins rows: equal non-null k, and w < 50 when residual; left
// joins keep unmatched left rows with NULLs. Rows are (lid, rid).
func refJoin(lrows, rrows [][]any, left, residual bool) [][2]any {
	var out [][2]any
	for _, l := range lrows {
		matched := false
		for _, r := range rrows {
			if l[1] == nil || r[1] == nil || l[1] != r[1] {
				continue
			}
			if residual && r[2].(int64) >= 50 {
				continue
			}
			out = append(out, [2]any{l[0], r[0]})
			matched = true
		}
		if left && !matched {
			out = append(out, [2]any{l[0], nil})
		}
	}
	return out
}

func pairsOf(rows [][]any) [][2]any {
	out := make([][2]any, len(rows))
	for i, r := range rows {
		out[i] = [2]any{r[0], r[3]}
	}
	return out
}

func sortPairs(p [][2]any) {
	slices.SortFunc(p, func(a, b [2]any) int {
		if c := cmpNullable(a[0], b[0]); c != 0 {
			return c
		}
		return cmpNullable(a[1], b[1])
	})
}

func cmpNullable(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return int(a.(int64) - b.(int64))
}

func TestJoinsAgainstReference(t *testing.T) {
	for _, c := range []struct {
		typ      executor.JoinType
		residual bool
	}{{executor.JoinInner, false}, {executor.JoinLeft, false}, {executor.JoinInner, true}, {executor.JoinLeft, true}} {
		t.Run(fmt.Sprintf("type%d/residual=%v", c.typ, c.residual), func(t *testing.T) {
			for _, kind := range []string{"hash", "nested loop"} {
				env := newEnv(t)
				left, right, lrows, rrows := joinInputs(env, 7, 1200, 900)
				var residual expr.Expr
				if c.residual {
					residual = fn(t, "<", col(5, i4), constant(i4, 50))
				}
				var op executor.Operator
				var err error
				if kind == "hash" {
					op, err = executor.NewHashJoin(env, left, right, executor.HashJoinConfig{
						Type: c.typ, LeftKeys: []expr.Expr{col(1, i4)}, RightKeys: []expr.Expr{col(1, i4)}, Residual: residual,
					})
				} else {
					pred := fn(t, "=", col(1, i4), col(4, i4))
					if residual != nil {
						pred = &expr.BoolOp{Args: []expr.Expr{pred, residual}}
					}
					op, err = executor.NewNestedLoopJoin(env, left, right, executor.NestedLoopJoinConfig{Type: c.typ, Pred: pred})
				}
				if err != nil {
					t.Fatal(err)
				}
				got := pairsOf(drain(t, op))
				want := refJoin(lrows, rrows, c.typ == executor.JoinLeft, c.residual)
				sortPairs(got)
				sortPairs(want)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s join: %d pairs; want %d", kind, len(got), len(want))
				}
			}
		})
	}
}

func TestJoinSmall(t *testing.T) {
	env := newEnv(t)
	left := source(env, []string{"a", "x"}, []pgtype.Type{i4, txt}, [][]any{{1, 2, nil, 3}, {"a", "b", "n", "c"}})
	right := source(env, []string{"b", "y"}, []pgtype.Type{i4, txt}, [][]any{{2, 2, nil, 4}, {"p", "q", "r", "s"}})
	j, err := executor.NewHashJoin(env, left, right, executor.HashJoinConfig{
		Type: executor.JoinLeft, LeftKeys: []expr.Expr{col(0, i4)}, RightKeys: []expr.Expr{col(0, i4)},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := drain(t, j)
	want := [][]any{
		{int64(2), "b", int64(2), "p"}, {int64(2), "b", int64(2), "q"},
		{int64(1), "a", nil, nil}, {nil, "n", nil, nil}, {int64(3), "c", nil, nil},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("LEFT JOIN = %v; want %v", got, want)
	}
	// Cross join of 4 × 4 rows, and an empty build side.
	l2 := source(env, []string{"a", "x"}, []pgtype.Type{i4, txt}, [][]any{{1, 2, nil, 3}, {"a", "b", "n", "c"}})
	r2 := source(env, []string{"b", "y"}, []pgtype.Type{i4, txt}, [][]any{{2, 2, nil, 4}, {"p", "q", "r", "s"}})
	cj, err := executor.NewNestedLoopJoin(env, l2, r2, executor.NestedLoopJoinConfig{Type: executor.JoinCross})
	if err != nil {
		t.Fatal(err)
	}
	if got := drain(t, cj); len(got) != 16 {
		t.Errorf("cross join: %d rows; want 16", len(got))
	}
	l3 := source(env, []string{"a"}, []pgtype.Type{i4}, [][]any{{1, 2}})
	r3 := source(env, []string{"b"}, []pgtype.Type{i4})
	lj, err := executor.NewNestedLoopJoin(env, l3, r3, executor.NestedLoopJoinConfig{Type: executor.JoinLeft, Pred: constant(bln, true)})
	if err != nil {
		t.Fatal(err)
	}
	if got := drain(t, lj); !reflect.DeepEqual(got, [][]any{{int64(1), nil}, {int64(2), nil}}) {
		t.Errorf("left join with an empty right side = %v", got)
	}
}

// TestJoinManyMatches makes one left row match more than a batch of
// right rows, so pairs are emitted over several Next calls.
func TestJoinManyMatches(t *testing.T) {
	env := newEnv(t)
	const n = 20000
	keys := make([]any, n)
	for i := range keys {
		keys[i] = 1
	}
	left := source(env, []string{"k"}, []pgtype.Type{i4}, [][]any{{1, 2}})
	right := source(env, []string{"k"}, []pgtype.Type{i4}, [][]any{keys})
	j, err := executor.NewHashJoin(env, left, right, executor.HashJoinConfig{
		Type: executor.JoinLeft, LeftKeys: []expr.Expr{col(0, i4)}, RightKeys: []expr.Expr{col(0, i4)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := drain(t, j); len(got) != n+1 {
		t.Errorf("%d rows; want %d", len(got), n+1)
	}
}
