package ivfpq

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/lancegate/lancegate/storage/index/distance"
)

// blobs returns n points around k well-separated centres (spread 0.1 around
// centres 10 apart along axes) and the centres.
func blobs(n, k, dim int, seed uint64) (vecs, centres []float32) {
	rng := rand.New(rand.NewPCG(seed, 7))
	centres = make([]float32, k*dim)
	for c := range k {
		for d := range dim {
			centres[c*dim+d] = float32(rng.NormFloat64() * 10)
		}
	}
	vecs = make([]float32, n*dim)
	for i := range n {
		c := i % k
		for d := range dim {
			vecs[i*dim+d] = centres[c*dim+d] + float32(rng.NormFloat64()*0.1)
		}
	}
	return vecs, centres
}

func TestKMeansRecoversBlobs(t *testing.T) {
	const n, k, dim = 4000, 8, 16
	vecs, centres := blobs(n, k, dim, 1)
	for _, init := range []Init{InitKMeansPlusPlus, InitRandom} {
		got, err := KMeans(context.Background(), vecs, dim, k, KMeansOptions{Seed: 3, Init: init})
		if err != nil {
			t.Fatal(err)
		}
		// Every true centre has a centroid within 0.05 (noise/√(n/k) ≈ 0.005).
		for c := range k {
			tc := centres[c*dim : (c+1)*dim]
			best := float32(math.Inf(1))
			for j := range k {
				best = min(best, distance.SquaredL2(tc, got[j*dim:(j+1)*dim]))
			}
			if best > 0.05*0.05 {
				if init == InitRandom {
					// Random seeding may merge two blobs (Lloyd's local
					// minimum); k-means++ must not.
					continue
				}
				t.Errorf("init %d: centre %d: nearest centroid at squared distance %g", init, c, best)
			}
		}
	}
}

func TestKMeansDeterministic(t *testing.T) {
	const dim = 8
	vecs, _ := genClustered(genParams{n: 3000, dim: dim, clusters: 20, rank: 4, sc: 1, sigma: 0.3, seed: 5})
	for _, m := range []distance.Metric{distance.L2, distance.Cosine, distance.Dot} {
		opts := KMeansOptions{Metric: m, Seed: 11, SampleRate: 50}
		a, err := KMeans(context.Background(), vecs, dim, 30, opts)
		if err != nil {
			t.Fatal(err)
		}
		opts.Parallelism = 1
		b, err := KMeans(context.Background(), vecs, dim, 30, opts)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a, b) {
			t.Errorf("%v: same seed, different parallelism: centroids differ", m)
		}
		opts.Seed = 12
		c, _ := KMeans(context.Background(), vecs, dim, 30, opts)
		if slices.Equal(a, c) {
			t.Errorf("%v: different seeds gave identical centroids", m)
		}
	}
}

func TestKMeansMetrics(t *testing.T) {
	const dim, k = 16, 10
	vecs, _ := genClustered(genParams{n: 2000, dim: dim, clusters: 10, rank: 4, sc: 2, sigma: 0.3, seed: 9})
	dot, err := KMeans(context.Background(), vecs, dim, k, KMeansOptions{Metric: distance.Dot, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for c := range k {
		if nrm := distance.Norm(dot[c*dim : (c+1)*dim]); math.Abs(float64(nrm)-1) > 1e-5 {
			t.Errorf("dot centroid %d has norm %g, want 1", c, nrm)
		}
	}
	cos, err := KMeans(context.Background(), vecs, dim, k, KMeansOptions{Metric: distance.Cosine, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for c := range k {
		if nrm := distance.Norm(cos[c*dim : (c+1)*dim]); nrm > 1+1e-5 {
			t.Errorf("cosine centroid %d has norm %g > 1 (means of unit vectors)", c, nrm)
		}
	}
}

func TestKMeansNoEmptyClusters(t *testing.T) {
	// 3 tight blobs, many duplicates, k=12: seeds collide, clusters empty out
	// and must be split from the largest.
	const dim, k = 4, 12
	vecs := make([]float32, 0, 600*dim)
	for i := range 600 {
		base := float32(i%3) * 100
		vecs = append(vecs, base, base, base, base+float32(i%7)*0.01)
	}
	for _, init := range []Init{InitRandom, InitKMeansPlusPlus} {
		cent, err := KMeans(context.Background(), vecs, dim, k, KMeansOptions{Init: init, Seed: 2, MaxIters: 20})
		if err != nil {
			t.Fatal(err)
		}
		assign := make([]int32, len(vecs)/dim)
		assignAll(vecs, dim, cent, distance.L2, assign, nil, 1)
		counts := make([]int, k)
		for _, a := range assign {
			counts[a]++
		}
		empty := 0
		for _, c := range counts {
			if c == 0 {
				empty++
			}
		}
		// 21 distinct points; after repair nearly every cluster holds some.
		if empty > 2 {
			t.Errorf("init %d: %d empty clusters of %d: %v", init, empty, k, counts)
		}
	}
}

func TestKMeansErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := KMeans(ctx, make([]float32, 10), 3, 2, KMeansOptions{}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("ragged: %v", err)
	}
	if _, err := KMeans(ctx, make([]float32, 9), 3, 4, KMeansOptions{}); !errors.Is(err, ErrTooFewVectors) {
		t.Errorf("too few: %v", err)
	}
	bad := []float32{1, 2, float32(math.NaN()), 4}
	if _, err := KMeans(ctx, bad, 2, 1, KMeansOptions{}); !errors.Is(err, ErrNonFinite) {
		t.Errorf("NaN: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	vecs, _ := blobs(100, 2, 2, 1)
	if _, err := KMeans(cctx, vecs, 2, 2, KMeansOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestKMeansSampleCap(t *testing.T) {
	vecs, _ := blobs(5000, 4, 4, 3)
	// SampleRate 10 → 40 rows train; still finds the 4 blobs.
	cent, err := KMeans(context.Background(), vecs, 4, 4, KMeansOptions{SampleRate: 10, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(cent) != 16 {
		t.Fatalf("got %d values", len(cent))
	}
}

func TestTopK(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, k := range []int{1, 5, 64} {
		all := make([]Candidate, 500)
		top := newTopK(k)
		for i := range all {
			all[i] = Candidate{RowID: uint64(i), Distance: float32(rng.IntN(100))}
			top.push(all[i])
		}
		got := top.sorted()
		slices.SortFunc(all, func(a, b Candidate) int {
			if less(a, b) {
				return -1
			}
			return 1
		})
		if !slices.Equal(got, all[:k]) {
			t.Errorf("k=%d: heap %v, sort %v", k, got, all[:k])
		}
	}
}

func TestBestTwo(t *testing.T) {
	for _, c := range []struct {
		in           []float32
		best, second int
	}{
		{[]float32{3}, 0, -1},
		{[]float32{3, 1}, 1, 0},
		{[]float32{1, 3}, 0, 1},
		{[]float32{5, 4, 3, 2, 1}, 4, 3},
		{[]float32{1, 5, 4, 3, 2}, 0, 4},
		{[]float32{2, 2, 2}, 0, 1},
		{[]float32{9, 1, 7, 0.5, 8}, 3, 1},
	} {
		b, s := bestTwo(c.in)
		if b != c.best || s != c.second {
			t.Errorf("bestTwo(%v) = %d, %d; want %d, %d", c.in, b, s, c.best, c.second)
		}
	}
}

// TestKMeansOverflow runs k-means on finite rows whose squared distances
// overflow to +Inf, so the blocked nearest kernel finds no finite distance
// and every row takes the exhaustive fallback: it must still assign every
// row and stay deterministic.
func TestKMeansOverflow(t *testing.T) {
	const dim, n, k = 4, 200, 5
	vecs, _ := genClustered(genParams{n: n, dim: dim, clusters: 5, rank: 2, sc: 1, sigma: 0.3, seed: 8})
	for i := range vecs {
		vecs[i] *= 1e30
	}
	opts := KMeansOptions{Seed: 1, MaxIters: 5, Init: InitRandom}
	a, err := KMeans(context.Background(), vecs, dim, k, opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.Parallelism = 1
	b, err := KMeans(context.Background(), vecs, dim, k, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != k*dim || !slices.EqualFunc(a, b, func(x, y float32) bool { return x == y || (x != x && y != y) }) {
		t.Errorf("overflowing rows: centroids differ across parallelism or have the wrong size")
	}
}
