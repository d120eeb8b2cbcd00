package benchdata

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"testing"

	"github.com/lancegate/lancegate/storage/index/distance"
)

func small(seed uint64) Params {
	p := Default(3000, 32, 40, seed)
	p.Cluster = 50
	p.Rank = 8
	return p
}

func fvecsBytes(t *testing.T, vecs []float32, dim int) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "v.fvecs")
	if err := WriteFvecs(path, vecs, dim); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGenerateDeterministic(t *testing.T) {
	p := small(7)
	b1, q1, err := Generate(p)
	if err != nil {
		t.Fatal(err)
	}
	// The same bytes with one goroutine as with many.
	prev := runtime.GOMAXPROCS(1)
	b2, q2, err := Generate(p)
	runtime.GOMAXPROCS(prev)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fvecsBytes(t, b1, p.Dim), fvecsBytes(t, b2, p.Dim)) || !bytes.Equal(fvecsBytes(t, q1, p.Dim), fvecsBytes(t, q2, p.Dim)) {
		t.Fatal("same seed, different bytes")
	}
	if len(b1) != p.N*p.Dim || len(q1) != p.Queries*p.Dim {
		t.Fatalf("sizes %d %d", len(b1), len(q1))
	}
	b3, _, _ := Generate(small(8))
	if slices.Equal(b1, b3) {
		t.Fatal("another seed gave the same base")
	}
	// Queries are held out: not copies of base rows.
	if slices.Equal(q1[:p.Dim], b1[:p.Dim]) {
		t.Fatal("query 0 equals base row 0")
	}
	// Normalised sets have unit vectors.
	p.Normalize = true
	b4, _, _ := Generate(p)
	for i := range 10 {
		if n := distance.Norm(b4[i*p.Dim : (i+1)*p.Dim]); math.Abs(float64(n)-1) > 1e-5 {
			t.Fatalf("row %d norm %v", i, n)
		}
	}
}

func TestClusteredIsNotIID(t *testing.T) {
	// The knob makes sense only if neighbours are closer than random
	// points: RC well above iid Gaussian's ≈ 1.1.
	p := Default(5000, 32, 20, 1)
	p.Cluster = 100
	p.Rank = 8
	b, q, _ := Generate(p)
	if rc := RelativeContrast(b, q, p.Dim, 20); !(rc > 1.3) {
		t.Fatalf("relative contrast %v", rc)
	}
}

// naive is a float64 scalar reference of the three metrics.
func naive(m distance.Metric, a, b []float32) float64 {
	var dot, na, nb, l2 float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		dot += x * y
		na += x * x
		nb += y * y
		l2 += (x - y) * (x - y)
	}
	switch m {
	case distance.L2:
		return l2
	case distance.Cosine:
		if na == 0 || nb == 0 {
			return 1
		}
		return 1 - dot/math.Sqrt(na*nb)
	}
	return -dot
}

func TestGroundTruthMatchesNaive(t *testing.T) {
	p := small(3)
	p.N = truthBaseBlock + 777 // more than one block, a partial one
	p.Queries = truthQueryGroup + 5
	base, queries, _ := Generate(p)
	const k = 10
	for _, m := range []distance.Metric{distance.L2, distance.Cosine, distance.Dot} {
		tr, err := GroundTruth(m, base, queries, p.Dim, k)
		if err != nil {
			t.Fatal(err)
		}
		if tr.Queries() != p.Queries {
			t.Fatalf("%v: %d queries", m, tr.Queries())
		}
		for q := range p.Queries {
			qv := queries[q*p.Dim : (q+1)*p.Dim]
			type cand struct {
				id int
				d  float64
			}
			all := make([]cand, p.N)
			for i := range all {
				all[i] = cand{i, naive(m, qv, base[i*p.Dim:(i+1)*p.Dim])}
			}
			sort.Slice(all, func(i, j int) bool { return all[i].d < all[j].d || all[i].d == all[j].d && all[i].id < all[j].id })
			ids, ds := tr.Row(q)
			tol := 1e-4 * (1 + math.Abs(all[k-1].d))
			for i := range k {
				if math.Abs(float64(ds[i])-all[i].d) > tol {
					t.Fatalf("%v q%d rank %d: distance %v, naive %v", m, q, i, ds[i], all[i].d)
				}
				if i > 0 && ds[i] < ds[i-1] {
					t.Fatalf("%v q%d: not sorted", m, q)
				}
				// The id must be the naive one unless rounding makes it a tie.
				if int(ids[i]) != all[i].id {
					got := naive(m, qv, base[int(ids[i])*p.Dim:(int(ids[i])+1)*p.Dim])
					if math.Abs(got-all[i].d) > tol {
						t.Fatalf("%v q%d rank %d: id %d (%v), naive %d (%v)", m, q, i, ids[i], got, all[i].id, all[i].d)
					}
				}
			}
		}
	}
}

func TestRecallTies(t *testing.T) {
	truth := []int32{1, 2, 3, 4}
	kth := float32(4)
	exact := func(id int64) float32 {
		switch id {
		case 1, 2, 3, 4, 40:
			return float32(min(id, 4))
		case 99:
			return float32(math.NaN())
		}
		return float32(id)
	}
	cases := []struct {
		got  []int64
		want float64
	}{
		{[]int64{1, 2, 3, 4}, 1},
		{[]int64{4, 3, 2, 1}, 1},         // order does not matter
		{[]int64{1, 2, 3, 40}, 1},        // 40 ties the 4th distance: a hit
		{[]int64{1, 2, 3, 5}, 0.75},      // 5 is farther
		{[]int64{1, 1, 1, 1}, 0.25},      // duplicates count once
		{[]int64{1, 2}, 0.5},             // short answers
		{[]int64{1, 2, 3, 99}, 0.75},     // unknown id
		{[]int64{1, 2, 3, 5, 4}, 0.75},   // only the first k count
		{[]int64{}, 0},                   // nothing
		{[]int64{40, 40, 2, 3, 1}, 0.75}, // duplicate tie counts once
	}
	for _, c := range cases {
		if got := Recall(truth, kth, c.got, exact); got != c.want {
			t.Errorf("Recall(%v) = %v, want %v", c.got, got, c.want)
		}
	}
}

func TestPrepareCachesAndRecall(t *testing.T) {
	dir := t.TempDir()
	p := small(11)
	var logs []string
	logf := func(f string, a ...any) { logs = append(logs, f) }
	s1, err := Prepare(dir, p, distance.L2, 10, logf)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := Prepare(dir, p, distance.L2, 10, logf)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s1.Base, s2.Base) || !slices.Equal(s1.Queries, s2.Queries) || !slices.Equal(s1.Truth.IDs, s2.Truth.IDs) || !slices.Equal(s1.Truth.Dists, s2.Truth.Dists) {
		t.Fatal("cached set differs")
	}
	if s2.Meta.RelativeContrast != s1.Meta.RelativeContrast || !(s1.Meta.RelativeContrast > 1) {
		t.Fatalf("RC %v %v", s1.Meta.RelativeContrast, s2.Meta.RelativeContrast)
	}
	for q := range p.Queries {
		ids, _ := s2.Truth.Row(q)
		got := make([]int64, len(ids))
		for i, id := range ids {
			got[i] = int64(id)
		}
		if r := s2.Recall(q, got); r != 1 {
			t.Fatalf("q%d: recall of the truth %v", q, r)
		}
		slices.Reverse(got)
		got[0] = int64(p.N) // out of range
		if r := s2.Recall(q, got); r != 0.9 {
			t.Fatalf("q%d: recall %v, want 0.9", q, r)
		}
	}
	// Another metric is another set.
	s3, err := Prepare(dir, p, distance.Dot, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s3.Dir == s1.Dir || !slices.Equal(s3.Base, s1.Base) {
		t.Fatal("metric must key the truth, not the data")
	}
}

func TestVecsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	f := []float32{1, -2.5, float32(math.Inf(1)), 0, 3, 4}
	if err := WriteFvecs(filepath.Join(dir, "a.fvecs"), f, 3); err != nil {
		t.Fatal(err)
	}
	got, dim, err := ReadFvecs(filepath.Join(dir, "a.fvecs"))
	if err != nil || dim != 3 || !slices.Equal(got, f) {
		t.Fatalf("%v %d %v", got, dim, err)
	}
	iv := []int32{1, 2, -3, 4}
	if err := WriteIvecs(filepath.Join(dir, "a.ivecs"), iv, 2); err != nil {
		t.Fatal(err)
	}
	gi, dim, err := ReadIvecs(filepath.Join(dir, "a.ivecs"))
	if err != nil || dim != 2 || !slices.Equal(gi, iv) {
		t.Fatalf("%v %d %v", gi, dim, err)
	}
	if err := WriteFvecs(filepath.Join(dir, "b.fvecs"), f, 4); err == nil {
		t.Fatal("6 values are not rows of 4")
	}
	b, _ := os.ReadFile(filepath.Join(dir, "a.fvecs"))
	os.WriteFile(filepath.Join(dir, "c.fvecs"), b[:len(b)-4], 0o644)
	if _, _, err := ReadFvecs(filepath.Join(dir, "c.fvecs")); err == nil {
		t.Fatal("truncated file accepted")
	}
}

// go test ./internal/benchdata -run '^$' -bench . (100k × 128; the 1M
// figures are about 10× these).
func BenchmarkGenerate(b *testing.B) {
	p := Default(100_000, 128, 0, 1)
	for b.Loop() {
		Generate(p)
	}
	b.ReportMetric(float64(p.N)*float64(b.N)/b.Elapsed().Seconds(), "vectors/s")
}

func BenchmarkGroundTruth(b *testing.B) {
	p := Default(100_000, 128, 256, 1)
	base, queries, _ := Generate(p)
	for b.Loop() {
		GroundTruth(distance.L2, base, queries, p.Dim, 10)
	}
	b.ReportMetric(float64(p.Queries)*float64(b.N)/b.Elapsed().Seconds(), "queries/s")
}
