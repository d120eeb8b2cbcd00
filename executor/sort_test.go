package executor_test

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/exectest"
	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
)

// randomTable is (id int8, k1 int4, k2 float8, k3 text) in random batch
// sizes: k1 has many ties, every key has NULLs, k2 has NaN and −0.
type randomTable struct {
	rows    [][]any
	batches [][][]any
}

var randomTypes = []pgtype.Type{i8, i4, f8, txt}

func newRandomTable(seed uint64, n int) *randomTable {
	r := rand.New(rand.NewPCG(seed, 1))
	t := &randomTable{}
	for i := 0; i < n; i++ {
		row := []any{int64(i), nil, nil, nil}
		if r.IntN(10) > 0 {
			row[1] = int64(r.IntN(50) - 25)
		}
		switch x := r.IntN(20); {
		case x == 0:
		case x == 1:
			row[2] = math.NaN()
		case x == 2:
			row[2] = math.Copysign(0, -1)
		case x == 3:
			row[2] = math.Inf(-1)
		default:
			row[2] = float64(r.IntN(200)) / 8
		}
		if r.IntN(10) > 0 {
			b := make([]byte, r.IntN(4))
			for j := range b {
				b[j] = "aAb\x00zé"[r.IntN(6)]
			}
			row[3] = string(b)
		}
		t.rows = append(t.rows, row)
	}
	for start := 0; start < n; {
		size := min(n-start, 1+r.IntN(3000))
		cols := make([][]any, 4)
		for _, row := range t.rows[start : start+size] {
			for c := range cols {
				cols[c] = append(cols[c], row[c])
			}
		}
		t.batches = append(t.batches, cols)
		start += size
	}
	return t
}

func (rt *randomTable) source(env *expr.Env) *exectest.Source {
	return source(env, []string{"id", "k1", "k2", "k3"}, randomTypes, rt.batches...)
}

// keySpec is a sort key on a column of randomTable.
type keySpec struct {
	col   int
	desc  bool
	nulls executor.NullsOrder
}

func (k keySpec) String() string {
	s := fmt.Sprintf("k%d", k.col)
	if k.desc {
		s += " DESC"
	}
	switch k.nulls {
	case executor.NullsFirst:
		s += " NULLS FIRST"
	case executor.NullsLast:
		s += " NULLS LAST"
	}
	return s
}

func (k keySpec) nullsFirst() bool {
	if k.nulls == executor.NullsDefault {
		return k.desc
	}
	return k.nulls == executor.NullsFirst
}

// cmpValue is PostgreSQL's order of two non-null values.
func cmpValue(a, b any) int {
	switch x := a.(type) {
	case int64:
		return cmp.Compare(x, b.(int64))
	case float64:
		y := b.(float64)
		switch {
		case math.IsNaN(x) && math.IsNaN(y):
			return 0
		case math.IsNaN(x):
			return 1
		case math.IsNaN(y):
			return -1
		}
		return cmp.Compare(x, y)
	case string:
		return bytes.Compare([]byte(x), []byte(b.(string)))
	}
	panic("cmpValue")
}

// referenceOrder returns the ids of rows in stable ORDER BY order.
func referenceOrder(rows [][]any, keys []keySpec) []int64 {
	sorted := slices.Clone(rows)
	slices.SortStableFunc(sorted, func(a, b []any) int {
		for _, k := range keys {
			x, y := a[k.col], b[k.col]
			var c int
			switch {
			case x == nil && y == nil:
				c = 0
			case x == nil:
				c = 1
				if k.nullsFirst() {
					c = -1
				}
			case y == nil:
				c = -1
				if k.nullsFirst() {
					c = 1
				}
			default:
				c = cmpValue(x, y)
				if k.desc {
					c = -c
				}
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
	ids := make([]int64, len(sorted))
	for i, r := range sorted {
		ids[i] = r[0].(int64)
	}
	return ids
}

func sortKeys(keys []keySpec) []executor.SortKey {
	out := make([]executor.SortKey, len(keys))
	for i, k := range keys {
		out[i] = executor.SortKey{Expr: col(k.col, randomTypes[k.col]), Desc: k.desc, Nulls: k.nulls}
	}
	return out
}

func ids(rows [][]any) []int64 {
	out := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = r[0].(int64)
	}
	return out
}

var keySets = [][]keySpec{
	{{col: 1}},
	{{col: 1, desc: true}},
	{{col: 1, nulls: executor.NullsFirst}},
	{{col: 2}},
	{{col: 2, desc: true, nulls: executor.NullsLast}},
	{{col: 3}},
	{{col: 3, desc: true}},
	{{col: 1, desc: true}, {col: 3, nulls: executor.NullsFirst}},
	{{col: 2}, {col: 1, desc: true}},
}

func TestSortAgainstReference(t *testing.T) {
	rt := newRandomTable(1, 20000)
	for _, keys := range keySets {
		t.Run(fmt.Sprint(keys), func(t *testing.T) {
			env := newEnv(t)
			s, err := executor.NewSort(env, rt.source(env), executor.SortConfig{Keys: sortKeys(keys)})
			if err != nil {
				t.Fatal(err)
			}
			got := ids(drain(t, s))
			want := referenceOrder(rt.rows, keys)
			if !slices.Equal(got, want) {
				t.Fatalf("Sort ids differ from the stable reference (first 20: %v vs %v)", got[:20], want[:20])
			}
		})
	}
}

func TestTopKEqualsSortLimit(t *testing.T) {
	rt := newRandomTable(2, 30000)
	for _, keys := range keySets {
		for _, lim := range []struct{ k, off int64 }{{0, 0}, {1, 0}, {10, 0}, {10, 7}, {100, 3}, {5000, 0}, {40000, 0}} {
			t.Run(fmt.Sprintf("%v/limit%d/offset%d", keys, lim.k, lim.off), func(t *testing.T) {
				env := newEnv(t)
				tk, err := executor.NewTopK(env, rt.source(env), executor.TopKConfig{Keys: sortKeys(keys), Limit: lim.k, Offset: lim.off})
				if err != nil {
					t.Fatal(err)
				}
				got := ids(drain(t, tk))
				want := referenceOrder(rt.rows, keys)
				lo := min(int(lim.off), len(want))
				hi := min(lo+int(lim.k), len(want))
				if !slices.Equal(got, want[lo:hi]) {
					t.Fatalf("TopK = %v…; want %v…", got[:min(10, len(got))], want[lo:min(lo+10, hi)])
				}
			})
		}
	}
}

// TestTopKDistance is the exact vector search shape: ORDER BY embedding
// <-> q LIMIT 10 over a fixed-size vector column, against Sort + Limit.
func TestTopKDistance(t *testing.T) {
	const dim, n = 16, 20000
	r := rand.New(rand.NewPCG(3, 3))
	vt := pgtype.VectorOf(dim)
	var batches [][][]any
	for start := 0; start < n; start += 4096 {
		var idc, vc []any
		for i := start; i < min(n, start+4096); i++ {
			idc = append(idc, int64(i))
			if i%97 == 0 {
				vc = append(vc, nil)
				continue
			}
			v := make([]float32, dim)
			for j := range v {
				v[j] = float32(r.IntN(5)) // small integers: many ties
			}
			vc = append(vc, v)
		}
		batches = append(batches, [][]any{idc, vc})
	}
	q := make([]float32, dim)
	for j := range q {
		q[j] = 2
	}
	for _, op := range []string{"<->", "<=>", "<#>", "<+>"} {
		t.Run(op, func(t *testing.T) {
			env := newEnv(t)
			key := []executor.SortKey{{Expr: fn(t, op, col(1, vt), constant(pgtype.Vector, q))}}
			mk := func() *exectest.Source {
				return source(env, []string{"id", "embedding"}, []pgtype.Type{i8, vt}, batches...)
			}
			tk, err := executor.NewTopK(env, mk(), executor.TopKConfig{Keys: key, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			s, err := executor.NewSort(env, mk(), executor.SortConfig{Keys: key})
			if err != nil {
				t.Fatal(err)
			}
			got, want := ids(drain(t, tk)), ids(drain(t, s))[:10]
			if !slices.Equal(got, want) {
				t.Fatalf("TopK %v; Sort+Limit %v", got, want)
			}
		})
	}
}
