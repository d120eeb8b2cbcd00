package distance

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Metric names a distance function over float32 vectors. Every metric is a
// distance: smaller means closer, so one top-k works for all of them.
type Metric int

const (
	// L2 is the squared Euclidean distance Σ (a[i]−b[i])². It orders like
	// pgvector's <-> (which takes the square root) and like Lance's "l2".
	L2 Metric = iota + 1
	// Cosine is 1 − a·b / (|a|·|b|), clamped to [0, 2], like pgvector's <=>
	// and Lance's "cosine". A zero vector on either side gives 1, not NaN.
	Cosine
	// Dot is the negative inner product −a·b, like pgvector's <#> and
	// Lance's "dot": the largest inner product is the smallest distance.
	Dot
)

// ErrUnknownMetric is returned by ParseMetric for a name it does not know.
// Test for it with errors.Is.
var ErrUnknownMetric = errors.New("distance: unknown metric")

// ParseMetric maps a metric name, case-insensitively, to a Metric:
// "l2" or "euclidean"; "cosine"; "dot", "ip" or "inner_product".
func ParseMetric(s string) (Metric, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "l2", "euclidean":
		return L2, nil
	case "cosine":
		return Cosine, nil
	case "dot", "ip", "inner_product":
		return Dot, nil
	}
	return 0, fmt.Errorf("%w %q", ErrUnknownMetric, s)
}

// String returns the Lance spelling of the metric ("l2", "cosine", "dot"),
// which ParseMetric accepts.
func (m Metric) String() string {
	switch m {
	case L2:
		return "l2"
	case Cosine:
		return "cosine"
	case Dot:
		return "dot"
	}
	return fmt.Sprintf("Metric(%d)", int(m))
}

// Valid reports whether m is one of L2, Cosine and Dot.
func (m Metric) Valid() bool { return m >= L2 && m <= Dot }

// Distance returns the distance between a and b under m. It returns NaN when
// len(a) != len(b) or m is not valid, so a bad call can never look like a
// close match. A NaN element in either vector also gives NaN.
func (m Metric) Distance(a, b []float32) float32 {
	if len(a) != len(b) {
		return nan32()
	}
	switch m {
	case L2:
		return impl.l2(a, b)
	case Cosine:
		return cosineFrom(impl.cos(a, b))
	case Dot:
		return -impl.dot(a, b)
	}
	return nan32()
}

// Batch writes the distance under m from q to each vector of vecs into out,
// and returns how many it wrote. vecs is a block of vectors of len(q) values
// each, stored one after another (the values buffer of an Arrow
// FixedSizeList<float32>[len(q)]). Batch computes
// n = min(len(vecs)/len(q), len(out)) distances into out[:n]: a trailing
// partial vector is ignored, and a short out stops early. It returns 0 and
// writes nothing when len(q) == 0 or m is not valid. Batch does not allocate.
func (m Metric) Batch(q, vecs, out []float32) int {
	dim := len(q)
	if dim == 0 || !m.Valid() {
		return 0
	}
	n := min(len(vecs)/dim, len(out))
	if n == 0 {
		return 0
	}
	vecs, out = vecs[:n*dim], out[:n]
	switch m {
	case L2:
		impl.l2Batch(q, vecs, out)
	case Cosine:
		impl.cosBatch(q, vecs, out)
	case Dot:
		impl.dotBatch(q, vecs, out) // the inner products: negate them
		for i, v := range out {
			out[i] = -v
		}
	}
	return n
}

// SquaredL2 returns Σ (a[i]−b[i])², or NaN when len(a) != len(b).
func SquaredL2(a, b []float32) float32 { return L2.Distance(a, b) }

// InnerProduct returns Σ a[i]·b[i] (not negated), or NaN when
// len(a) != len(b).
func InnerProduct(a, b []float32) float32 {
	if len(a) != len(b) {
		return nan32()
	}
	return impl.dot(a, b)
}

// Norm returns the Euclidean length √(Σ a[i]²) of a.
func Norm(a []float32) float32 {
	return float32(math.Sqrt(float64(impl.dot(a, a))))
}

// Normalize scales a in place to unit length and reports whether it could:
// a zero (or NaN) vector is left unchanged and Normalize returns false.
// Normalised vectors let Cosine be served by Dot: Cosine = 1 + Dot.
func Normalize(a []float32) bool {
	n := Norm(a)
	if !(n > 0) || math.IsInf(float64(n), 0) {
		return false
	}
	inv := 1 / n
	for i := range a {
		a[i] *= inv
	}
	return true
}

func nan32() float32 { return float32(math.NaN()) }
