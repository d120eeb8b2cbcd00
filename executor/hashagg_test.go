package executor_test

import (
	"fmt"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
)

func agg(t testing.TB, name string, distinct bool, args ...expr.Expr) expr.AggCall {
	t.Helper()
	types := make([]pgtype.Type, len(args))
	for i, a := range args {
		types[i] = a.Type()
	}
	a, err := expr.ResolveAggregate(name, types)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range args {
		if x.Type().OID != a.Args[i].OID && a.Args[i].OID != 2276 {
			args[i] = &expr.Cast{Arg: x, To: a.Args[i]}
		}
	}
	return expr.AggCall{Agg: a, Args: args, Distinct: distinct}
}

// refGroup is the reference aggregation state of one group.
type refGroup struct {
	key       []any
	count     int64
	countK1   int64
	sumK1     int64
	seenK1    bool
	sumID     big.Int
	minK3     any
	maxK3     any
	sumK2     float64
	nK2       int64
	distinct  map[int64]bool
	filtered  int64
	allK1Pos  any
	firstSeen int
}

// TestHashAggregateAgainstReference groups random data by various keys
// (with NULL keys) and compares every aggregate with a Go map reference.
func TestHashAggregateAgainstReference(t *testing.T) {
	rt := newRandomTable(4, 25000)
	for _, groupCols := range [][]int{{1}, {3}, {1, 3}, {2}, {}} {
		t.Run(fmt.Sprint(groupCols), func(t *testing.T) {
			env := newEnv(t)
			var groupBy []expr.Expr
			for _, c := range groupCols {
				groupBy = append(groupBy, col(c, randomTypes[c]))
			}
			k1, k2, k3, id := col(1, i4), col(2, f8), col(3, txt), col(0, i8)
			filtered := agg(t, "count", false)
			filtered.Filter = fn(t, ">", k1, constant(i4, 0))
			aggs := []expr.AggCall{
				agg(t, "count", false),
				agg(t, "count", false, k1),
				agg(t, "sum", false, k1),
				agg(t, "sum", false, id),
				agg(t, "min", false, k3),
				agg(t, "max", false, k3),
				agg(t, "avg", false, k2),
				agg(t, "count", true, k1),
				filtered,
				agg(t, "bool_and", false, fn(t, ">", k1, constant(i4, 0))),
			}
			h, err := executor.NewHashAggregate(env, rt.source(env), executor.HashAggregateConfig{GroupBy: groupBy, Aggs: aggs})
			if err != nil {
				t.Fatal(err)
			}
			got := drain(t, h)

			// Reference.
			groups := map[string]*refGroup{}
			var order []string
			for i, row := range rt.rows {
				var key []any
				for _, c := range groupCols {
					key = append(key, row[c])
				}
				ks := groupKey(key)
				g, ok := groups[ks]
				if !ok {
					g = &refGroup{key: key, distinct: map[int64]bool{}, firstSeen: i}
					groups[ks] = g
					order = append(order, ks)
				}
				g.count++
				g.sumID.Add(&g.sumID, big.NewInt(row[0].(int64)))
				if v := row[1]; v != nil {
					x := v.(int64)
					g.countK1++
					g.sumK1 += x
					g.seenK1 = true
					g.distinct[x] = true
					if x > 0 {
						g.filtered++
					}
					if g.allK1Pos == nil {
						g.allK1Pos = x > 0
					} else {
						g.allK1Pos = g.allK1Pos.(bool) && x > 0
					}
				}
				if v := row[3]; v != nil {
					s := v.(string)
					if g.minK3 == nil || s < g.minK3.(string) {
						g.minK3 = s
					}
					if g.maxK3 == nil || s > g.maxK3.(string) {
						g.maxK3 = s
					}
				}
				if v := row[2]; v != nil {
					g.sumK2 += v.(float64)
					g.nK2++
				}
			}
			if len(groupCols) == 0 && len(order) == 0 {
				order = []string{""}
				groups[""] = &refGroup{distinct: map[int64]bool{}}
			}
			if len(got) != len(order) {
				t.Fatalf("%d groups; want %d", len(got), len(order))
			}
			for gi, ks := range order {
				g := groups[ks]
				row := got[gi]
				nk := len(groupCols)
				if groupKey(row[:nk]) != ks {
					t.Fatalf("group %d key %v; want %v (groups come out in order of appearance)", gi, row[:nk], g.key)
				}
				var sumK1, avgK2 any
				if g.seenK1 {
					sumK1 = g.sumK1
				}
				if g.nK2 > 0 {
					avgK2 = g.sumK2 / float64(g.nK2)
				}
				want := []any{g.count, g.countK1, sumK1, g.sumID.String(), g.minK3, g.maxK3, avgK2,
					int64(len(g.distinct)), g.filtered, g.allK1Pos}
				if g.count == 0 {
					want[3] = nil
				}
				for j, w := range want {
					gv := row[nk+j]
					if f, ok := w.(float64); ok {
						if gf, ok := gv.(float64); ok && (gf == f || math.IsNaN(f) && math.IsNaN(gf) || math.Abs(gf-f) < 1e-9*math.Abs(f)) {
							continue
						}
					}
					if !reflect.DeepEqual(gv, w) {
						t.Fatalf("group %v aggregate %s = %#v; want %#v", g.key, aggs[j].String(), gv, w)
					}
				}
			}
		})
	}
}

func groupKey(key []any) string {
	var b strings.Builder
	for _, k := range key {
		switch v := k.(type) {
		case float64:
			if v == 0 {
				v = 0
			}
			if math.IsNaN(v) {
				b.WriteString("NaN|")
				continue
			}
			fmt.Fprintf(&b, "%v|", v)
		default:
			fmt.Fprintf(&b, "%#v|", v)
		}
	}
	return b.String()
}

func TestAggregateWithoutGroupBy(t *testing.T) {
	env := newEnv(t)
	empty := source(env, []string{"x", "y"}, []pgtype.Type{i4, f8})
	h, err := executor.NewHashAggregate(env, empty, executor.HashAggregateConfig{
		Aggs:  []expr.AggCall{agg(t, "count", false), agg(t, "sum", false, col(0, i4)), agg(t, "max", false, col(1, f8)), agg(t, "avg", false, col(0, i4))},
		Names: []string{"count", "sum", "max", "avg"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := drain(t, h); !reflect.DeepEqual(got, [][]any{{int64(0), nil, nil, nil}}) {
		t.Errorf("aggregates of no rows = %v; want one row (0, NULL, NULL, NULL)", got)
	}
	// With GROUP BY, no rows means no groups.
	empty2 := source(env, []string{"x"}, []pgtype.Type{i4})
	h2, err := executor.NewHashAggregate(env, empty2, executor.HashAggregateConfig{
		GroupBy: []expr.Expr{col(0, i4)}, Aggs: []expr.AggCall{agg(t, "count", false)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := drain(t, h2); len(got) != 0 {
		t.Errorf("grouped aggregates of no rows = %v; want none", got)
	}
}

func TestAggregateTypes(t *testing.T) {
	env := newEnv(t)
	src := source(env, []string{"a", "b", "p", "v"}, []pgtype.Type{i4, i8, pgtype.NumericOf(10, 2), pgtype.VectorOf(2)},
		[][]any{{1, 2}, {int64(math.MaxInt64), int64(math.MaxInt64)}, {"1.25", "2.50"}, {[]float32{1, 2}, []float32{3, 4}}},
		[][]any{{nil}, {nil}, {nil}, {nil}},
	)
	h, err := executor.NewHashAggregate(env, src, executor.HashAggregateConfig{Aggs: []expr.AggCall{
		agg(t, "avg", false, col(0, i4)),
		agg(t, "sum", false, col(1, i8)),
		agg(t, "sum", false, col(2, pgtype.NumericOf(10, 2))),
		agg(t, "avg", false, col(2, pgtype.NumericOf(10, 2))),
		agg(t, "max", false, col(2, pgtype.NumericOf(10, 2))),
		agg(t, "avg", false, col(3, pgtype.VectorOf(2))),
		agg(t, "sum", true, col(0, i4)),
	}})
	if err != nil {
		t.Fatal(err)
	}
	got := drain(t, h)
	want := [][]any{{"1.5", "18446744073709551614", "3.75", "1.875", "2.5", []float32{2, 3}, int64(3)}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("aggregates = %#v; want %#v", got, want)
	}
	if s := h.Schema(); s.Field(0).Type.ID() != s.Field(1).Type.ID() {
		t.Errorf("avg(int4) and sum(int8) should both be numeric: %s", s)
	}
}

func TestDistinct(t *testing.T) {
	env := newEnv(t)
	src := source(env, []string{"a", "b"}, []pgtype.Type{i4, txt},
		[][]any{{1, 1, nil, 2}, {"x", "x", nil, "y"}},
		[][]any{{nil, 1, 2, 3}, {nil, "z", "y", nil}},
	)
	d, err := executor.NewDistinct(env, src, executor.DistinctConfig{})
	if err != nil {
		t.Fatal(err)
	}
	got := drain(t, d)
	want := [][]any{{int64(1), "x"}, {nil, nil}, {int64(2), "y"}, {int64(1), "z"}, {int64(3), nil}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DISTINCT = %v; want %v", got, want)
	}
	// Random data: as many rows as the reference's distinct keys, in
	// order of first appearance.
	rt := newRandomTable(5, 20000)
	d2, err := executor.NewDistinct(env, rt.source(env), executor.DistinctConfig{Columns: []int{1, 3}})
	if err != nil {
		t.Fatal(err)
	}
	rows := drain(t, d2)
	var wantIDs []int64
	seen := map[string]bool{}
	for _, r := range rt.rows {
		k := groupKey([]any{r[1], r[3]})
		if !seen[k] {
			seen[k] = true
			wantIDs = append(wantIDs, r[0].(int64))
		}
	}
	if !slices.Equal(ids(rows), wantIDs) {
		t.Errorf("DISTINCT ON columns: %d rows; want %d", len(rows), len(wantIDs))
	}
}
