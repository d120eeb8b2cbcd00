package distance

import (
	"errors"
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
