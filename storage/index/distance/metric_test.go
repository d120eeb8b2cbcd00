package distance_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lancegate/lancegate/storage/index/distance"
)

func TestParseMetric(t *testing.T) {
	for _, c := range []struct {
		in   string
		want distance.Metric
	}{
		{"l2", distance.L2}, {"L2", distance.L2}, {"euclidean", distance.L2},
		{"cosine", distance.Cosine}, {" Cosine ", distance.Cosine},
		{"dot", distance.Dot}, {"ip", distance.Dot}, {"inner_product", distance.Dot},
	} {
		got, err := distance.ParseMetric(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseMetric(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
		if back, err := distance.ParseMetric(got.String()); err != nil || back != got {
			t.Errorf("ParseMetric(%q.String()) = %v, %v; want %v", c.in, back, err, got)
		}
	}
	for _, in := range []string{"", "hamming", "l1"} {
		if _, err := distance.ParseMetric(in); !errors.Is(err, distance.ErrUnknownMetric) {
			t.Errorf("ParseMetric(%q) error = %v; want ErrUnknownMetric", in, err)
		}
	}
}

func TestDistanceValues(t *testing.T) {
	a, b := []float32{1, 2, 3}, []float32{4, 6, 3}
	for _, c := range []struct {
		m    distance.Metric
		a, b []float32
		want float32
	}{
		{distance.L2, a, b, 25},
		{distance.Dot, a, b, -25},
		{distance.Cosine, []float32{1, 0}, []float32{0, 2}, 1},
		{distance.Cosine, []float32{1, 1}, []float32{2, 2}, 0},
		{distance.Cosine, []float32{1, 0}, []float32{-3, 0}, 2},
		{distance.Cosine, []float32{0, 0}, []float32{1, 2}, 1},
		{distance.L2, nil, nil, 0},
		{distance.Dot, nil, nil, 0},
	} {
		if got := c.m.Distance(c.a, c.b); got != c.want {
			t.Errorf("%v.Distance(%v, %v) = %v; want %v", c.m, c.a, c.b, got, c.want)
		}
	}
	if got := distance.L2.Distance(a, b[:2]); !math.IsNaN(float64(got)) {
		t.Errorf("L2.Distance(len 3, len 2) = %v; want NaN", got)
	}
	if got := distance.Metric(0).Distance(a, b); !math.IsNaN(float64(got)) {
		t.Errorf("Metric(0).Distance = %v; want NaN", got)
	}
	if got := distance.InnerProduct(a, b); got != 25 {
		t.Errorf("InnerProduct = %v; want 25", got)
	}
	if got := distance.SquaredL2(a, b); got != 25 {
		t.Errorf("SquaredL2 = %v; want 25", got)
	}
	if got := distance.Norm([]float32{3, 4}); got != 5 {
		t.Errorf("Norm([3 4]) = %v; want 5", got)
	}
	v := []float32{3, 4}
	if !distance.Normalize(v) || v[0] != 0.6 || v[1] != 0.8 {
		t.Errorf("Normalize([3 4]) = %v; want [0.6 0.8]", v)
	}
	if distance.Normalize([]float32{0, 0}) {
		t.Error("Normalize(zero) = true; want false")
	}
}

func TestBatchCounts(t *testing.T) {
	q := []float32{1, 2}
	vecs := []float32{1, 2, 3, 4, 5, 6, 7} // three vectors and a partial one
	for _, c := range []struct {
		name string
		m    distance.Metric
		q    []float32
		out  int
		want int
	}{
		{"partial vector ignored", distance.L2, q, 10, 3},
		{"short out", distance.L2, q, 2, 2},
		{"empty query", distance.L2, nil, 10, 0},
		{"invalid metric", distance.Metric(9), q, 10, 0},
		{"no out", distance.Dot, q, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := make([]float32, c.out)
			if got := c.m.Batch(c.q, vecs, out); got != c.want {
				t.Fatalf("Batch = %d; want %d", got, c.want)
			}
			for i := 0; i < c.want; i++ {
				if want := c.m.Distance(c.q, vecs[i*len(c.q):(i+1)*len(c.q)]); out[i] != want {
					t.Errorf("out[%d] = %v; want %v", i, out[i], want)
				}
			}
		})
	}
}

// TestBatchMatchesDistance: Batch writes exactly what Distance returns,
// row by row, for every metric (the sign of Dot included).
func TestBatchMatchesDistance(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for _, m := range []distance.Metric{distance.L2, distance.Cosine, distance.Dot} {
		for _, dim := range []int{1, 3, 16, 128} {
			const n = 9
			q := make([]float32, dim)
			vecs := make([]float32, n*dim)
			for i := range q {
				q[i] = r.Float32()*2 - 1
			}
			for i := range vecs {
				vecs[i] = r.Float32()*2 - 1
			}
			out := make([]float32, n)
			if got := m.Batch(q, vecs, out); got != n {
				t.Fatalf("%v dim %d: Batch wrote %d", m, dim, got)
			}
			for i := range n {
				want := m.Distance(q, vecs[i*dim:(i+1)*dim])
				if d := out[i] - want; d > 1e-4 || d < -1e-4 {
					t.Errorf("%v dim %d row %d: Batch %v, Distance %v", m, dim, i, out[i], want)
				}
			}
		}
	}
}
