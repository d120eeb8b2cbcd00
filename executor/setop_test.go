package executor_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

func TestHashSetOp(t *testing.T) {
	names := []string{"a", "b"}
	types := []pgtype.Type{i4, txt}
	// left: (1,x)×2 (NULL,NULL)×2 (2,y) (3,NULL); right: (1,x) (NULL,NULL)×3 (3,z)
	left := [][][]any{
		{{1, nil, 1}, {"x", nil, "x"}},
		{{2, nil, 3}, {"y", nil, nil}},
	}
	right := [][][]any{{{1, nil, nil, 3, nil}, {"x", nil, nil, "z", nil}}}
	tests := []struct {
		kind executor.SetOpKind
		want [][]any
	}{
		{executor.Intersect, [][]any{{int64(1), "x"}, {nil, nil}}},
		{executor.IntersectAll, [][]any{{int64(1), "x"}, {nil, nil}, {nil, nil}}},
		{executor.Except, [][]any{{int64(2), "y"}, {int64(3), nil}}},
		{executor.ExceptAll, [][]any{{int64(1), "x"}, {int64(2), "y"}, {int64(3), nil}}},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			env := newEnv(t)
			op, err := executor.NewHashSetOp(env, source(env, names, types, left...), source(env, names, types, right...), tt.kind)
			if err != nil {
				t.Fatal(err)
			}
			if got := drain(t, op); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("%s = %v; want %v", tt.kind, got, tt.want)
			}
		})
	}
}

// TestHashSetOpRandom checks every kind against multiset arithmetic on
// random inputs spanning several output batches.
func TestHashSetOpRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	gen := func(rows, batch int) ([][][]any, map[string]int64) {
		counts := map[string]int64{}
		var batches [][][]any
		for done := 0; done < rows; done += batch {
			var a, b []any
			for range min(batch, rows-done) {
				var x, y any = int64(rng.IntN(30000)), fmt.Sprint(rng.IntN(2))
				if rng.IntN(50) == 0 {
					x = nil
				}
				a, b = append(a, x), append(b, y)
				counts[fmt.Sprint(x, "|", y)]++
			}
			batches = append(batches, [][]any{a, b})
		}
		return batches, counts
	}
	left, lc := gen(40000, 3000)
	right, rc := gen(30000, 7000)
	for _, kind := range []executor.SetOpKind{executor.Intersect, executor.IntersectAll, executor.Except, executor.ExceptAll} {
		t.Run(kind.String(), func(t *testing.T) {
			env := newEnv(t)
			op, err := executor.NewHashSetOp(env,
				source(env, []string{"a", "b"}, []pgtype.Type{i8, txt}, left...),
				source(env, []string{"a", "b"}, []pgtype.Type{i8, txt}, right...), kind)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int64{}
			for _, r := range drain(t, op) {
				got[fmt.Sprint(r[0], "|", r[1])]++
			}
			want := map[string]int64{}
			for k, l := range lc {
				r := rc[k]
				var n int64
				switch kind {
				case executor.Intersect:
					n = min(1, l, r)
				case executor.IntersectAll:
					n = min(l, r)
				case executor.Except:
					if r == 0 {
						n = 1
					}
				case executor.ExceptAll:
					n = max(l-r, 0)
				}
				if n > 0 {
					want[k] = n
				}
			}
			if !reflect.DeepEqual(got, want) {
				keys := slices.Sorted(func(yield func(string) bool) {
					for k := range want {
						if got[k] != want[k] && !yield(k) {
							return
						}
					}
				})
				t.Fatalf("%s: %d distinct rows, want %d; first differences %v", kind, len(got), len(want), keys[:min(5, len(keys))])
			}
		})
	}
}

func TestHashSetOpColumnCount(t *testing.T) {
	env := newEnv(t)
	l := source(env, []string{"a"}, []pgtype.Type{i4}, [][]any{{1}})
	r := source(env, []string{"a", "b"}, []pgtype.Type{i4, i4}, [][]any{{1}, {2}})
	_, err := executor.NewHashSetOp(env, l, r, executor.Except)
	if sqlstate.CodeOf(err) != sqlstate.SyntaxError {
		t.Fatalf("err %v (%s), want %s", err, sqlstate.CodeOf(err), sqlstate.SyntaxError)
	}
}
