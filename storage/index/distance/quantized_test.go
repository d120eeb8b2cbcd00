package distance

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func randTable(r *rand.Rand, m int) []float32 {
	t := make([]float32, m*PQCodebookSize)
	for i := range t {
		t[i] = r.Float32() * 4
	}
	return t
}

func randCodes(r *rand.Rand, n int) []byte {
	c := make([]byte, n)
	for i := range c {
		c[i] = byte(r.UintN(256))
	}
	return c
}

func TestPQDistancesMatchReference(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, m := range []int{1, 3, 4, 7, 8, 15, 16, 17, 32, 48, 64, 96} {
		const n = 37
		table, codes := randTable(r, m), randCodes(r, n*m)
		got, want := make([]float32, n), make([]float32, n)
		if k := PQDistances(table, m, codes, got); k != n {
			t.Fatalf("PQDistances(m=%d) = %d; want %d", m, k, n)
		}
		refPQ(table, m, codes, want)
		for i := range got {
			// All entries are ≥ 0, so the sum is its own magnitude.
			checkClose(t, "PQDistances", got[i], want[i], float64(want[i]), relTol)
		}
	}
}

func TestPQDistancesBadInput(t *testing.T) {
	table := make([]float32, 16*PQCodebookSize)
	out := make([]float32, 4)
	for _, c := range []struct {
		name  string
		table []float32
		m     int
		codes []byte
		out   []float32
		want  int
	}{
		{"m zero", table, 0, make([]byte, 64), out, 0},
		{"m negative", table, -1, make([]byte, 64), out, 0},
		{"table short", table[:16*PQCodebookSize-1], 16, make([]byte, 64), out, 0},
		{"partial row ignored", table, 16, make([]byte, 40), out, 2},
		{"out short", table, 16, make([]byte, 160), out, 4},
		{"no codes", table, 16, nil, out, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := PQDistances(c.table, c.m, c.codes, c.out); got != c.want {
				t.Errorf("PQDistances = %d; want %d", got, c.want)
			}
		})
	}
}

// sq8Reference decodes the codes and applies the scalar float kernels.
func sq8Reference(s *SQ8, m Metric, q []float32, codes []byte) []float32 {
	dec := s.Decode(nil, codes)
	dim := len(q)
	out := make([]float32, len(codes)/dim)
	for i := range out {
		v := dec[i*dim : (i+1)*dim]
		if m == L2 {
			out[i] = refL2(q, v)
		} else {
			out[i] = -refDot(q, v)
		}
	}
	return out
}

func TestSQ8MatchesDecodedReference(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, dim := range testLengths[1:] {
		const n = 23
		vecs := randVec(r, n*dim)
		if dim > 2 {
			for i := 0; i < n; i++ { // a constant dimension: Scale 0
				vecs[i*dim+2] = 0.5
			}
		}
		s, err := TrainSQ8(vecs, dim)
		if err != nil {
			t.Fatal(err)
		}
		codes := s.Encode(nil, vecs)
		dec := s.Decode(nil, codes)
		for i := range vecs { // round trip within half a step
			if d := math.Abs(float64(vecs[i] - dec[i])); d > float64(s.Scale[i%dim])*0.5001+1e-6 {
				t.Fatalf("dim=%d: decode(encode(%v)) = %v, off by %g > Scale/2", dim, vecs[i], dec[i], d)
			}
		}
		q := randVec(r, dim)
		for _, m := range []Metric{L2, Dot} {
			p, err := s.Query(m, q)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]float32, n)
			if k := p.Distances(codes, got); k != n {
				t.Fatalf("Distances = %d; want %d", k, n)
			}
			want := sq8Reference(s, m, q, codes)
			for i := range got {
				v := dec[i*dim : (i+1)*dim]
				mag := float64(refDot(q, q)+refDot(v, v)) + absDot(q, v)
				checkClose(t, "SQ8 "+m.String(), got[i], want[i], mag, 4*relTol)
			}
		}
	}
}

func TestSQ8Errors(t *testing.T) {
	if _, err := TrainSQ8(nil, 4); err == nil {
		t.Error("TrainSQ8(nil, 4) succeeded; want error")
	}
	if _, err := TrainSQ8(make([]float32, 6), 4); err == nil {
		t.Error("TrainSQ8(6 values, 4) succeeded; want error")
	}
	if _, err := TrainSQ8(make([]float32, 4), 0); err == nil {
		t.Error("TrainSQ8(dim 0) succeeded; want error")
	}
	s, err := TrainSQ8([]float32{0, 1, 2, 3, float32(math.NaN()), float32(math.Inf(1))}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if s.Min[0] != 0 || s.Min[1] != 1 || s.Scale[0] != 2.0/255 || s.Scale[1] != 2.0/255 {
		t.Errorf("TrainSQ8 ignoring non-finite = %v, %v; want [0 1], [2/255 2/255]", s.Min, s.Scale)
	}
	if got := s.Encode(nil, []float32{-5, 99, float32(math.NaN()), 1}); string(got) != string([]byte{0, 255, 0, 0}) {
		t.Errorf("Encode(clamped, NaN) = %v; want [0 255 0 0]", got)
	}
	if _, err := s.Query(Cosine, []float32{1, 2}); !errors.Is(err, ErrUnsupportedMetric) {
		t.Errorf("Query(Cosine) error = %v; want ErrUnsupportedMetric", err)
	}
	if _, err := s.Query(L2, []float32{1}); err == nil {
		t.Error("Query with wrong length succeeded; want error")
	}
}

// sq8Case is one input to the SQ8 kernels: query terms u and w (w ≥ 0, as
// Scale² is) and n code rows of len(u) bytes.
type sq8Case struct {
	u, w  []float32
	codes []byte
	n     int
}

// sq8Mags returns the sums of the terms' magnitudes of row i, the scale of
// the tolerance: Σ|u·c| for dot, and the L2 sum itself (its terms are ≥ 0).
func (c sq8Case) sq8Mags(i int) (dot, l2 float64) {
	dim := len(c.u)
	row := c.codes[i*dim : (i+1)*dim]
	for d, x := range c.u {
		dot += math.Abs(float64(x) * float64(row[d]))
		e := float64(x) - float64(row[d])
		l2 += float64(c.w[d]) * e * e
	}
	return dot, l2
}

// checkSQ8 holds every shape of every kernel set to the reference on c:
// pair within rel of Σ|terms|, and batch and gather (over the rows in
// reverse, each twice) bit for bit equal to the pair results.
func checkSQ8(t *testing.T, c sq8Case, rel float64) {
	t.Helper()
	dim := len(c.u)
	rows := make([]uint32, 0, 2*c.n)
	for i := c.n - 1; i >= 0; i-- {
		rows = append(rows, uint32(i), uint32(i))
	}
	out := make([]float32, c.n)
	gathered := make([]float32, len(rows))
	for _, k := range variants() {
		dots, l2s := make([]float32, c.n), make([]float32, c.n)
		for i := range c.n {
			row := c.codes[i*dim : (i+1)*dim]
			dm, lm := c.sq8Mags(i)
			dots[i], l2s[i] = k.sq8Dot(c.u, row), k.sq8L2(c.u, c.w, row)
			checkClose(t, fmt.Sprintf("%s.sq8Dot[dim=%d][%d]", k.name, dim, i), dots[i], refSQ8Dot(c.u, row), dm, rel)
			checkClose(t, fmt.Sprintf("%s.sq8L2[dim=%d][%d]", k.name, dim, i), l2s[i], refSQ8L2(c.u, c.w, row), lm, rel)
		}
		for _, s := range []struct {
			name string
			want []float32
			run  func()
		}{
			{"sq8DotBatch", dots, func() { k.sq8DotBatch(c.u, c.codes, out) }},
			{"sq8L2Batch", l2s, func() { k.sq8L2Batch(c.u, c.w, c.codes, out) }},
		} {
			s.run()
			for i := range out {
				if out[i] != s.want[i] {
					t.Errorf("%s.%s[dim=%d][%d] = %v; want %v", k.name, s.name, dim, i, out[i], s.want[i])
				}
			}
		}
		for _, s := range []struct {
			name string
			want []float32
			run  func()
		}{
			{"sq8DotGather", dots, func() { k.sq8DotGather(c.u, c.codes, rows, gathered) }},
			{"sq8L2Gather", l2s, func() { k.sq8L2Gather(c.u, c.w, c.codes, rows, gathered) }},
		} {
			s.run()
			for j, r := range rows {
				if gathered[j] != s.want[r] {
					t.Errorf("%s.%s[dim=%d][row %d] = %v; want %v", k.name, s.name, dim, r, gathered[j], s.want[r])
				}
			}
		}
	}
}

func randSQ8Case(r *rand.Rand, dim, n int) sq8Case {
	c := sq8Case{u: randVec(r, dim), w: make([]float32, dim), codes: randCodes(r, n*dim), n: n}
	for d := range c.u {
		c.u[d] = 127.5 + 80*c.u[d] // L2's u = (q−Min)/Scale: mostly within the codes' range
		c.w[d] = r.Float32() * 1e-3
	}
	return c
}

// TestSQ8KernelsMatchReference checks the SQ8 kernels at every test length
// and at random dimensions up to 300, on random codes and on the extremes:
// all-0 and all-255 codes, dimensions with a zero range (u = w = 0), and
// huge and negative query terms.
func TestSQ8KernelsMatchReference(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	dims := append([]int(nil), testLengths[1:]...)
	for range 40 {
		dims = append(dims, 1+r.IntN(300))
	}
	for _, dim := range dims {
		const n = 5
		c := randSQ8Case(r, dim, n)
		checkSQ8(t, c, relTol)
		// Extremes: row 0 all 0, row 1 all 255, row 2 alternating; every
		// third dimension has a zero range; u spans signs and magnitudes.
		for d := range dim {
			c.codes[d], c.codes[dim+d] = 0, 255
			c.codes[2*dim+d] = byte(255 * (d % 2))
			switch d % 3 {
			case 0:
				c.u[d], c.w[d] = 0, 0
			case 1:
				c.u[d] = -c.u[d] * 1e3
			}
		}
		checkSQ8(t, c, relTol)
	}
}

// TestSQ8DistancesAt checks the gathering form through the exported API:
// every row index gives exactly what Distances gives for that row, and the
// scan stops at the first index outside codes.
func TestSQ8DistancesAt(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for _, dim := range []int{1, 7, 33, 128, 300} {
		const n = 17
		vecs := randVec(r, n*dim)
		s, err := TrainSQ8(vecs, dim)
		if err != nil {
			t.Fatal(err)
		}
		codes := s.Encode(nil, vecs)
		for _, m := range []Metric{L2, Dot} {
			p, err := s.Query(m, randVec(r, dim))
			if err != nil {
				t.Fatal(err)
			}
			all := make([]float32, n)
			p.Distances(codes, all)
			for i := range n { // one row at a time takes the pair kernel
				var one [1]float32
				if p.Distances(codes[i*dim:(i+1)*dim], one[:]); one[0] != all[i] {
					t.Errorf("%v dim=%d: Distances(row %d) = %v; batched %v", m, dim, i, one[0], all[i])
				}
			}
			rows := []uint32{16, 0, 3, 3, 9, n, 1}
			out := make([]float32, len(rows))
			if got := p.DistancesAt(codes, rows, out); got != 5 {
				t.Errorf("%v dim=%d: DistancesAt with row %d of %d = %d; want 5", m, dim, n, n, got)
			}
			for j, row := range rows[:5] {
				if out[j] != all[row] {
					t.Errorf("%v dim=%d: DistancesAt[%d] (row %d) = %v; want %v", m, dim, j, row, out[j], all[row])
				}
			}
			if got := p.DistancesAt(codes, rows[:3], out[:2]); got != 2 {
				t.Errorf("DistancesAt(3 rows, 2 outs) = %d; want 2", got)
			}
			if got := p.DistancesAt(codes[:dim-1], rows, out); got != 0 {
				t.Errorf("DistancesAt(partial row) = %d; want 0", got)
			}
		}
	}
}
