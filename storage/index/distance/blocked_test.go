package distance

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// blockedKs are the set sizes the blocked kernels are checked at: below,
// at and around one block and one four-block group, and the PQ and IVF
// sizes.
var blockedKs = []int{1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 39, 40, 41, 255, 256, 257, 316}

// nearestOfDists is the specification of NearestL2 over given distances:
// the first index of the smallest finite one, and the smallest of the
// others (+Inf when none is finite).
func nearestOfDists(out []float32) (best int, d1, d2 float32) {
	inf := float32(math.Inf(1))
	best, d1, d2 = -1, inf, inf
	for i, d := range out {
		if d < d1 {
			best, d1 = i, d
		}
	}
	for i, d := range out {
		if i != best && d < d2 {
			d2 = d
		}
	}
	if best < 0 {
		d2 = inf
	}
	return best, d1, d2
}

// checkBlocked compares one kernel set's Blocked.L2 against the reference
// and its NearestL2 against the arg-min of its own L2, bit for bit.
func checkBlocked(t *testing.T, kern kernels, q, vecs []float32, rel float64) {
	t.Helper()
	dim := len(q)
	k := len(vecs) / dim
	b := NewBlocked(vecs, dim)
	if b.Len() != k || b.Dim() != dim {
		t.Fatalf("NewBlocked: Len %d Dim %d; want %d %d", b.Len(), b.Dim(), k, dim)
	}
	out := make([]float32, k+3)
	ip := make([]float32, k)
	if n := b.sums(kern.dotBlocked, q, ip); n != k {
		t.Fatalf("%s.InnerProducts[dim=%d k=%d] = %d; want %d", kern.name, dim, k, n, k)
	}
	for i := range k {
		v := vecs[i*dim : (i+1)*dim]
		checkClose(t, fmt.Sprintf("%s.DotBlocked[dim=%d k=%d][%d]", kern.name, dim, k, i), ip[i], refDot(q, v), absDot(q, v), rel)
	}
	if n := b.sums(kern.l2Blocked, q, out); n != k {
		t.Fatalf("%s.L2[dim=%d k=%d] = %d; want %d", kern.name, dim, k, n, k)
	}
	for i := range k {
		want := refL2(q, vecs[i*dim:(i+1)*dim])
		checkClose(t, fmt.Sprintf("%s.L2Blocked[dim=%d k=%d][%d]", kern.name, dim, k, i), out[i], want, float64(want), rel)
	}
	if out[k] != 0 {
		t.Errorf("%s.L2[dim=%d k=%d] wrote past Len", kern.name, dim, k)
	}
	// A short out: only its prefix, the same values.
	short := make([]float32, k/2)
	if n := b.sums(kern.l2Blocked, q, short); n != k/2 {
		t.Errorf("%s.L2 short = %d; want %d", kern.name, n, k/2)
	}
	for i := range short {
		if short[i] != out[i] {
			t.Errorf("%s.L2 short[%d] = %v; want %v", kern.name, i, short[i], out[i])
		}
	}
	best, d1, d2 := b.nearestL2(kern, q)
	wb, w1, w2 := nearestOfDists(out[:k])
	if best != wb || !same(d1, w1) || !same(d2, w2) {
		t.Errorf("%s.NearestL2[dim=%d k=%d] = %d, %v, %v; want %d, %v, %v", kern.name, dim, k, best, d1, d2, wb, w1, w2)
	}
}

func same(a, b float32) bool { return a == b || (a != a && b != b) }

func TestBlockedMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, kern := range append([]kernels{referenceKernels}, variants()...) {
		for dim := 1; dim <= 32; dim++ {
			for _, k := range blockedKs {
				q, vecs := randVec(r, dim), randVec(r, k*dim)
				checkBlocked(t, kern, q, vecs, relTol)
				// Offset data, and duplicated vectors (ties go to the
				// lowest index).
				for i := range q {
					q[i] += 10
				}
				for i := range vecs {
					vecs[i] += 10
				}
				if k > 2 {
					copy(vecs[(k-1)*dim:], vecs[:dim])
					copy(vecs[(k/2)*dim:(k/2+1)*dim], vecs[:dim])
				}
				checkBlocked(t, kern, q, vecs, relTol)
			}
		}
		for _, dim := range []int{64, 128} {
			q, vecs := randVec(r, dim), randVec(r, 316*dim)
			checkBlocked(t, kern, q, vecs, relTol)
		}
	}
}

// TestBlockedSpecialValues pins NaN and ±Inf: a NaN or infinite distance is
// never the nearest, and nothing finite gives best −1.
func TestBlockedSpecialValues(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, kern := range variants() {
		for _, k := range []int{1, 2, 9, 33} {
			const dim = 3
			vecs := make([]float32, k*dim)
			for i := range vecs {
				vecs[i] = float32(i % 7)
			}
			q := []float32{nan, 0, 0}
			if best, d1, d2 := NewBlocked(vecs, dim).nearestL2(kern, q); best != -1 || d1 != inf || d2 != inf {
				t.Errorf("%s NaN query k=%d: %d, %v, %v; want -1, +Inf, +Inf", kern.name, k, best, d1, d2)
			}
			q = []float32{inf, 0, 0}
			if best, _, _ := NewBlocked(vecs, dim).nearestL2(kern, q); best != -1 {
				t.Errorf("%s +Inf query k=%d: best %d; want -1", kern.name, k, best)
			}
			// NaN in every vector but the last.
			for i := 0; i < (k-1)*dim; i += dim {
				vecs[i] = nan
			}
			q = []float32{0, 0, 0}
			b := NewBlocked(vecs, dim)
			best, d1, d2 := b.nearestL2(kern, q)
			want := refL2(q, vecs[(k-1)*dim:])
			if best != k-1 || d1 != want || d2 != inf {
				t.Errorf("%s NaN rows k=%d: %d, %v, %v; want %d, %v, +Inf", kern.name, k, best, d1, d2, k-1, want)
			}
		}
	}
	var empty Blocked
	if n := empty.L2(nil, make([]float32, 4)); n != 0 {
		t.Errorf("empty L2 = %d", n)
	}
	if best, _, _ := empty.NearestL2(nil); best != -1 {
		t.Errorf("empty NearestL2 = %d", best)
	}
	b := NewBlocked(make([]float32, 16), 4)
	if n := b.L2(make([]float32, 3), make([]float32, 4)); n != 0 {
		t.Errorf("L2 with a short query = %d; want 0", n)
	}
	if n := b.InnerProducts(make([]float32, 3), make([]float32, 4)); n != 0 {
		t.Errorf("InnerProducts with a short query = %d; want 0", n)
	}
	if best, _, _ := b.NearestL2(make([]float32, 5)); best != -1 {
		t.Errorf("NearestL2 with a long query = %d; want -1", best)
	}
	b.Reset(make([]float32, 10), 0)
	if b.Len() != 0 {
		t.Errorf("Reset(dim 0): Len %d", b.Len())
	}
}

// FuzzBlocked checks every kernel set's Blocked.L2 and NearestL2 on
// arbitrary vectors: dim is 1 + dim%40, the query is the first dim values
// of data (bytes as in bytesToVecs' scale) and the set the complete rows
// that follow. The seed corpus is testdata/fuzz/FuzzBlocked.
func FuzzBlocked(f *testing.F) {
	f.Add(uint8(7), []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Fuzz(func(t *testing.T, dim uint8, data []byte) {
		d := 1 + int(dim)%40
		if len(data) < 2*d {
			return
		}
		v := make([]float32, len(data))
		for i, c := range data {
			v[i] = float32(int8(c)) / 16
		}
		q, vecs := v[:d], v[d:]
		vecs = vecs[:len(vecs)/d*d]
		for _, kern := range variants() {
			checkBlocked(t, kern, q, vecs, worstTol(d))
		}
	})
}
