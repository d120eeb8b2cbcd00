package ivfpq

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/lancegate/lancegate/storage/index/distance"
)

func trainTestPQ(t testing.TB, n, dim, m int) (*PQ, []float32) {
	t.Helper()
	vecs, _ := genClustered(genParams{n: n, dim: dim, clusters: 30, rank: 8, sc: 1, sigma: 0.3, seed: 21})
	pq, err := TrainPQ(context.Background(), vecs, dim, m, KMeansOptions{Seed: 4, MaxIters: 15})
	if err != nil {
		t.Fatal(err)
	}
	return pq, vecs
}

func TestPQRoundTrip(t *testing.T) {
	const n, dim, m = 3000, 32, 8
	pq, vecs := trainTestPQ(t, n, dim, m)
	if pq.SubDim != 4 || len(pq.Codebook) != m*256*4 {
		t.Fatalf("shape: SubDim %d, codebook %d", pq.SubDim, len(pq.Codebook))
	}
	// Mean squared reconstruction error relative to the data's variance.
	mean := make([]float64, dim)
	for i := range n {
		for d := range dim {
			mean[d] += float64(vecs[i*dim+d]) / n
		}
	}
	var errSum, varSum float64
	code := make([]byte, m)
	dec := make([]float32, dim)
	codes := pq.EncodeBatch(vecs, nil)
	for i := range n {
		v := vecs[i*dim : (i+1)*dim]
		pq.Encode(v, code)
		if !slices.Equal(code, codes[i*m:(i+1)*m]) {
			t.Fatalf("row %d: Encode %v, EncodeBatch %v", i, code, codes[i*m:(i+1)*m])
		}
		pq.Decode(code, dec)
		errSum += float64(distance.SquaredL2(v, dec))
		for d := range dim {
			x := float64(v[d]) - mean[d]
			varSum += x * x
		}
		// Each sub-code is the nearest of its 256 centroids.
		for j := range m {
			sub := v[j*4 : (j+1)*4]
			got := distance.SquaredL2(sub, dec[j*4:(j+1)*4])
			for c := range 256 {
				if d := distance.SquaredL2(sub, pq.Codebook[(j*256+c)*4:(j*256+c+1)*4]); d < got {
					t.Fatalf("row %d sub %d: code %d at %g, centroid %d closer at %g", i, j, code[j], got, c, d)
				}
			}
		}
	}
	rel := errSum / varSum
	t.Logf("PQ%dx8 on %d×%d: relative reconstruction error %.4f", m, n, dim, rel)
	if rel > 0.10 { // measured 0.062
		t.Errorf("relative reconstruction error %.4f > 0.10", rel)
	}
}

func TestPQADCMatchesDecoded(t *testing.T) {
	const n, dim, m = 1000, 32, 8
	pq, vecs := trainTestPQ(t, n, dim, m)
	q := vecs[:dim]
	codes := pq.EncodeBatch(vecs, nil)
	table := make([]float32, m*256)
	adc := make([]float32, n)
	dec := make([]float32, dim)
	for _, metric := range []distance.Metric{distance.L2, distance.Dot} {
		if err := pq.DistanceTable(metric, q, table); err != nil {
			t.Fatal(err)
		}
		distance.PQDistances(table, m, codes, adc)
		for i := range n {
			pq.Decode(codes[i*m:(i+1)*m], dec)
			want := metric.Distance(q, dec)
			if diff := math.Abs(float64(adc[i] - want)); diff > 1e-4*(1+math.Abs(float64(want))) {
				t.Fatalf("%v row %d: ADC %g, decoded %g", metric, i, adc[i], want)
			}
		}
	}
	if err := pq.DistanceTable(distance.Cosine, q, table); !errors.Is(err, distance.ErrUnsupportedMetric) {
		t.Errorf("cosine table: %v", err)
	}
	if err := pq.DistanceTable(distance.L2, q[:3], table); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("short query: %v", err)
	}
}

func TestPQDeterministic(t *testing.T) {
	a, _ := trainTestPQ(t, 1000, 16, 4)
	b, _ := trainTestPQ(t, 1000, 16, 4)
	if !slices.Equal(a.Codebook, b.Codebook) {
		t.Error("same seed, different codebooks")
	}
}

// TestPQDeterministicParallelism checks that the codebooks and codes do
// not depend on how many goroutines train the sub-quantizers and run each
// one's assignment chunks (M = 4 over 1, 2, 3 and 8 workers).
func TestPQDeterministicParallelism(t *testing.T) {
	const dim, m = 32, 4
	vecs, _ := genClustered(genParams{n: 2000, dim: dim, clusters: 30, rank: 8, sc: 1, sigma: 0.3, seed: 23})
	var first *PQ
	var codes []byte
	for _, par := range []int{1, 2, 3, 8} {
		pq, err := TrainPQ(context.Background(), vecs, dim, m, KMeansOptions{Seed: 9, MaxIters: 10, Parallelism: par})
		if err != nil {
			t.Fatal(err)
		}
		c := pq.EncodeBatch(vecs, nil)
		if first == nil {
			first, codes = pq, c
			continue
		}
		if !slices.Equal(pq.Codebook, first.Codebook) {
			t.Errorf("Parallelism %d: codebooks differ from Parallelism 1", par)
		}
		if !slices.Equal(c, codes) {
			t.Errorf("Parallelism %d: codes differ from Parallelism 1", par)
		}
	}
}

func TestTrainPQErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := TrainPQ(ctx, make([]float32, 300*10), 10, 3, KMeansOptions{}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("dim %% m: %v", err)
	}
	if _, err := TrainPQ(ctx, make([]float32, 100*8), 8, 2, KMeansOptions{}); !errors.Is(err, ErrTooFewVectors) {
		t.Errorf("too few: %v", err)
	}
}
