package distance

import (
	"math"
	"math/rand/v2"
	"testing"
)

// bytesToVecs splits data into two vectors of len(data)/2 values each. Each
// byte becomes a signed value in [−8, 8) in steps of 1/16, so sums never
// overflow and any difference from the reference is a kernel bug, not an
// artefact of summation order at the edge of float32.
func bytesToVecs(data []byte) (a, b []float32) {
	n := len(data) / 2
	a, b = make([]float32, n), make([]float32, n)
	for i := range n {
		a[i] = float32(int8(data[i])) / 16
		b[i] = float32(int8(data[n+i])) / 16
	}
	return a, b
}

// FuzzKernels checks every float kernel set, pair and batched, against the
// reference on arbitrary vectors. The seed corpus is testdata/fuzz/FuzzKernels.
func FuzzKernels(f *testing.F) {
	f.Add([]byte{1, 2})
	f.Fuzz(func(t *testing.T, data []byte) {
		a, b := bytesToVecs(data)
		for _, k := range variants() {
			checkPair(t, k, a, b, worstTol(len(a)))
			if len(a) == 0 {
				continue
			}
			// Batched: the query against [b, a, b].
			vecs := append(append(append([]float32(nil), b...), a...), b...)
			out := make([]float32, 3)
			k.l2Batch(a, vecs, out)
			for i, v := range [][]float32{b, a, b} {
				checkClose(t, k.name+".l2Batch", out[i], refL2(a, v), float64(refL2(a, v)), worstTol(len(a)))
			}
			k.dotBatch(a, vecs, out)
			for i, v := range [][]float32{b, a, b} {
				checkClose(t, k.name+".dotBatch", out[i], refDot(a, v), absDot(a, v), worstTol(len(a)))
			}
		}
	})
}

// FuzzPQDistances checks ADC against the reference for arbitrary m and codes
// over a fixed random table. The seed corpus is testdata/fuzz/FuzzPQDistances.
func FuzzPQDistances(f *testing.F) {
	f.Add(uint8(16), []byte{0, 255, 7})
	r := rand.New(rand.NewPCG(9, 10))
	table := randTable(r, 256)
	f.Fuzz(func(t *testing.T, m uint8, codes []byte) {
		got := make([]float32, 8)
		n := PQDistances(table, int(m), codes, got)
		if m == 0 {
			if n != 0 {
				t.Fatalf("PQDistances(m=0) = %d; want 0", n)
			}
			return
		}
		if want := min(len(codes)/int(m), len(got)); n != want {
			t.Fatalf("PQDistances(m=%d, %d codes) = %d; want %d", m, len(codes), n, want)
		}
		want := make([]float32, n)
		refPQ(table, int(m), codes, want)
		for i := range want {
			checkClose(t, "PQDistances", got[i], want[i], float64(want[i]), worstTol(int(m)))
		}
	})
}

// FuzzSQ8Kernels checks every SQ8 kernel set, pair, batched and gathered,
// against the reference on arbitrary codes: dim is 1 + dim%300, the rows
// are the complete dim-byte rows of codes (at most 8), and useed seeds the
// query terms, which range over signs and magnitudes, with zero-range
// dimensions. The seed corpus is testdata/fuzz/FuzzSQ8Kernels.
func FuzzSQ8Kernels(f *testing.F) {
	f.Add(uint16(7), uint64(1), []byte{0, 255, 1, 254, 7, 8, 9, 10})
	f.Fuzz(func(t *testing.T, dim uint16, useed uint64, codes []byte) {
		d := 1 + int(dim)%300
		n := min(len(codes)/d, 8)
		if n == 0 {
			return
		}
		r := rand.New(rand.NewPCG(useed, 27))
		c := randSQ8Case(r, d, 0)
		c.codes, c.n = codes[:n*d], n
		scale := float32(1) // the query's magnitude: 2^-20 … 2^20
		if useed%3 != 0 {
			scale = float32(math.Ldexp(1, int(useed%41)-20))
		}
		for i := range c.u {
			c.u[i] *= scale
			if r.IntN(8) == 0 { // a zero-range dimension
				c.u[i], c.w[i] = 0, 0
			}
		}
		checkSQ8(t, c, worstTol(d))
	})
}
