package distance

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// testLengths are the vector lengths every kernel is checked at: empty,
// shorter than one SIMD step, around each step and unroll boundary, and the
// common embedding widths.
var testLengths = []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 63, 64, 65, 127, 128, 129, 384, 768, 960, 1536}

// variants returns the portable kernels and, if different, the kernels this
// build selected (assembly or archsimd).
func variants() []kernels {
	if impl.name == genericKernels.name {
		return []kernels{genericKernels}
	}
	return []kernels{genericKernels, impl}
}

func randVec(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// relTol is the relative agreement performance.md §2.1 asks of float
// kernels on random data: |fast − reference| ≤ relTol · Σ|terms|.
const relTol = 1e-5

// worstTol is the rigorous bound for adversarial data: two summation orders
// of n terms each err by at most ≈ n·2⁻²⁴·Σ|terms|, so they differ by at most
// twice that. One accumulator summing 2000 same-sign terms really does drift
// by 1e-4 relative; the fuzz target uses this bound.
func worstTol(n int) float64 { return max(relTol, 2*float64(n+2)*0x1p-24) }

func absDot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += math.Abs(float64(a[i]) * float64(b[i]))
	}
	return s
}

// checkClose fails unless got is within rel·mag of want (mag being the sum
// of the terms' absolute values), or both are NaN.
func checkClose(t *testing.T, what string, got, want float32, mag, rel float64) {
	t.Helper()
	tol := rel*mag + 1e-30
	if math.IsNaN(float64(want)) != math.IsNaN(float64(got)) || math.Abs(float64(got)-float64(want)) > tol {
		t.Errorf("%s = %v; want %v (tolerance %g)", what, got, want, tol)
	}
}

// checkPair compares one kernel set against the reference on one pair.
func checkPair(t *testing.T, k kernels, a, b []float32, rel float64) {
	t.Helper()
	n := len(a)
	checkClose(t, fmt.Sprintf("%s.dot[n=%d]", k.name, n), k.dot(a, b), refDot(a, b), absDot(a, b), rel)
	checkClose(t, fmt.Sprintf("%s.l2[n=%d]", k.name, n), k.l2(a, b), refL2(a, b), float64(refL2(a, b)), rel)
	d, na, nb := k.cos(a, b)
	rd, rna, rnb := refCos(a, b)
	checkClose(t, fmt.Sprintf("%s.cos.dot[n=%d]", k.name, n), d, rd, absDot(a, b), rel)
	checkClose(t, fmt.Sprintf("%s.cos.na[n=%d]", k.name, n), na, rna, float64(rna), rel)
	checkClose(t, fmt.Sprintf("%s.cos.nb[n=%d]", k.name, n), nb, rnb, float64(rnb), rel)
	// Cosine distance: the three sums are each within 1e-5 relative, which
	// moves the similarity by at most ≈3e-5 (Cauchy–Schwarz bounds |a·b|).
	got, want := cosineFrom(d, na, nb), cosineFrom(rd, rna, rnb)
	if math.Abs(float64(got-want)) > 3*rel {
		t.Errorf("%s cosine[n=%d] = %v; want %v", k.name, n, got, want)
	}
}

func TestKernelsMatchReference(t *testing.T) {
	t.Logf("Impl() = %s", Impl())
	r := rand.New(rand.NewPCG(1, 2))
	for _, k := range variants() {
		for _, n := range testLengths {
			for range 5 {
				a, b := randVec(r, n), randVec(r, n)
				checkPair(t, k, a, b, relTol)
				// Offset data (embeddings have a common mean) makes the
				// L2 differences small relative to the values.
				for i := range a {
					a[i] += 10
					b[i] += 10
				}
				checkPair(t, k, a, b, relTol)
			}
		}
	}
}

// TestBatchMatchesPairs checks that every batched kernel writes exactly what
// its pair kernel returns, for each vector of the block.
func TestBatchMatchesPairs(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, k := range variants() {
		for _, dim := range testLengths[1:] {
			const n = 9
			q, vecs := randVec(r, dim), randVec(r, n*dim)
			out := make([]float32, n)
			for _, c := range []struct {
				name  string
				batch func(q, vecs, out []float32)
				pair  func(a, b []float32) float32
			}{
				{"dot", k.dotBatch, k.dot},
				{"l2", k.l2Batch, k.l2},
				{"cos", k.cosBatch, func(a, b []float32) float32 { return cosineFrom(k.cos(a, b)) }},
			} {
				c.batch(q, vecs, out)
				for i := range out {
					if want := c.pair(q, vecs[i*dim:(i+1)*dim]); out[i] != want {
						t.Errorf("%s.%sBatch[dim=%d][%d] = %v; want %v", k.name, c.name, dim, i, out[i], want)
					}
				}
			}
		}
	}
}

// TestSpecialValues pins the documented behaviour of zeros, NaN and ±Inf
// in every kernel set.
func TestSpecialValues(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	for _, k := range variants() {
		for _, n := range []int{1, 7, 8, 33, 128} {
			zero := make([]float32, n)
			ones := make([]float32, n)
			for i := range ones {
				ones[i] = 1
			}
			if got := cosineFrom(k.cos(zero, ones)); got != 1 {
				t.Errorf("%s cosine(zero, ones)[n=%d] = %v; want 1", k.name, n, got)
			}
			if got := cosineFrom(k.cos(zero, zero)); got != 1 {
				t.Errorf("%s cosine(zero, zero)[n=%d] = %v; want 1", k.name, n, got)
			}
			if got := cosineFrom(k.cos(ones, ones)); got != 0 {
				t.Errorf("%s cosine(ones, ones)[n=%d] = %v; want 0", k.name, n, got)
			}
			for _, pos := range []int{0, n / 2, n - 1} {
				withNaN := append([]float32(nil), ones...)
				withNaN[pos] = nan
				if got := k.dot(withNaN, ones); !math.IsNaN(float64(got)) {
					t.Errorf("%s dot with NaN at %d[n=%d] = %v; want NaN", k.name, pos, n, got)
				}
				if got := k.l2(ones, withNaN); !math.IsNaN(float64(got)) {
					t.Errorf("%s l2 with NaN at %d[n=%d] = %v; want NaN", k.name, pos, n, got)
				}
				if got := cosineFrom(k.cos(withNaN, ones)); !math.IsNaN(float64(got)) {
					t.Errorf("%s cosine with NaN at %d[n=%d] = %v; want NaN", k.name, pos, n, got)
				}
				withInf := append([]float32(nil), ones...)
				withInf[pos] = inf
				if got := k.l2(withInf, ones); !math.IsInf(float64(got), 1) {
					t.Errorf("%s l2 with +Inf at %d[n=%d] = %v; want +Inf", k.name, pos, n, got)
				}
			}
		}
	}
}
