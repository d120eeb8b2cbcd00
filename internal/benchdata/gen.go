// Package benchdata generates the synthetic vector data sets of the
// benchmarks (performance.md §3.3), computes their exact ground truth
// (§3.4), measures recall@k with ties at the boundary counted as hits, and
// reads and writes them in the TEXMEX layout (.fvecs, .ivecs).
//
// Everything is deterministic in Params.Seed: the same parameters give the
// same bytes on every machine and for any number of cores (rows are
// generated in fixed-size chunks, each from its own PCG stream).
package benchdata

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"github.com/lancegate/lancegate/storage/index/distance"
)

// Params describe a clustered data set after performance.md §3.3: Clusters
// Gaussian centres drawn from N(0, SC² I), Zipf(ZipfExp) cluster
// popularity, a rank-Rank subspace per cluster whose column scales decay as
// 1/√k (unit total variance per dimension), plus isotropic noise Sigma.
// Queries are held out: drawn from the same mixture by separate streams.
type Params struct {
	N       int     // base vectors
	Queries int     // held-out query vectors
	Dim     int     // dimension
	Cluster int     // number of cluster centres (C)
	Rank    int     // rank of each cluster's subspace (r)
	SC      float64 // spread of the centres: the difficulty knob (0.40 = the "hard" set)
	Sigma   float64 // isotropic noise
	ZipfExp float64 // exponent of the cluster popularity
	// Normalize L2-normalises every vector (base and queries), for the
	// cosine and inner-product workloads (§3.3 step 4).
	Normalize bool
	Seed      uint64
}

// Default returns the "hard" default set of performance.md §3.3 (1,000
// Zipf clusters, rank 32, s_c 0.40) for n × dim with nq queries. The
// number of clusters is capped at n/20 so small sets keep ≥ 20 points per
// cluster on average.
func Default(n, dim, nq int, seed uint64) Params {
	return Params{
		N: n, Queries: nq, Dim: dim,
		Cluster: max(1, min(1000, n/20)), Rank: min(32, dim),
		SC: 0.40, Sigma: 0.3, ZipfExp: 0.8, Seed: seed,
	}
}

// Validate reports parameters Generate cannot use.
func (p Params) Validate() error {
	switch {
	case p.N <= 0 || p.Queries < 0 || p.Dim <= 0:
		return fmt.Errorf("benchdata: bad sizes n=%d queries=%d dim=%d", p.N, p.Queries, p.Dim)
	case p.Cluster <= 0 || p.Rank < 0:
		return fmt.Errorf("benchdata: bad clusters=%d rank=%d", p.Cluster, p.Rank)
	case p.SC < 0 || p.Sigma < 0 || math.IsNaN(p.SC) || math.IsNaN(p.Sigma):
		return errors.New("benchdata: negative spread")
	}
	return nil
}

// Key names the data set: every parameter that changes its bytes.
func (p Params) Key() string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	k := fmt.Sprintf("n%d_d%d_q%d_c%d_r%d_sc%s_sg%s_z%s_s%d", p.N, p.Dim, p.Queries, p.Cluster, p.Rank, f(p.SC), f(p.Sigma), f(p.ZipfExp), p.Seed)
	if p.Normalize {
		k += "_norm"
	}
	return k
}

// chunkRows is the unit of generation: each chunk has its own PCG stream,
// so the output does not depend on how chunks are spread over goroutines.
const chunkRows = 4096

// Stream ids of the PCG generators (the second PCG seed word).
const (
	streamModel   = 0x6d6f64656c // "model": centres, subspaces
	streamBase    = 1 << 40      // + chunk index
	streamQueries = 2 << 40      // + chunk index
)

type model struct {
	p       Params
	centres []float64 // [cluster][dim]
	w       []float64 // [cluster][k][dim]
	cum     []float64 // cumulative Zipf weights
}

func newModel(p Params) *model {
	rng := rand.New(rand.NewPCG(p.Seed, streamModel))
	m := &model{p: p, centres: make([]float64, p.Cluster*p.Dim), w: make([]float64, p.Cluster*p.Rank*p.Dim), cum: make([]float64, p.Cluster)}
	for i := range m.centres {
		m.centres[i] = rng.NormFloat64() * p.SC
	}
	var h float64
	for k := range p.Rank {
		h += 1 / float64(k+1)
	}
	for c := range p.Cluster {
		for k := range p.Rank {
			s := math.Sqrt(1 / float64(k+1) / h)
			col := m.w[(c*p.Rank+k)*p.Dim : (c*p.Rank+k+1)*p.Dim]
			for d := range col {
				col[d] = rng.NormFloat64() * s
			}
		}
	}
	var tot float64
	for c := range p.Cluster {
		tot += math.Pow(float64(c+1), -p.ZipfExp)
		m.cum[c] = tot
	}
	return m
}

// fill writes len(out)/dim vectors drawn from rng into out.
func (m *model) fill(rng *rand.Rand, out []float32) {
	p := m.p
	x := make([]float64, p.Dim)
	tot := m.cum[len(m.cum)-1]
	for i := range len(out) / p.Dim {
		c, _ := slices.BinarySearch(m.cum, rng.Float64()*tot)
		c = min(c, p.Cluster-1)
		copy(x, m.centres[c*p.Dim:(c+1)*p.Dim])
		for k := range p.Rank {
			z := rng.NormFloat64()
			col := m.w[(c*p.Rank+k)*p.Dim : (c*p.Rank+k+1)*p.Dim]
			for d, v := range col {
				x[d] += z * v
			}
		}
		v := out[i*p.Dim : (i+1)*p.Dim]
		for d := range x {
			v[d] = float32(x[d] + rng.NormFloat64()*p.Sigma)
		}
		if p.Normalize {
			distance.Normalize(v)
		}
	}
}

// gen fills n vectors chunk by chunk, chunks in parallel.
func (m *model) gen(n int, stream uint64) []float32 {
	dim := m.p.Dim
	out := make([]float32, n*dim)
	chunks := (n + chunkRows - 1) / chunkRows
	var next sync.Mutex
	ci := 0
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(1, chunks)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				next.Lock()
				c := ci
				ci++
				next.Unlock()
				if c >= chunks {
					return
				}
				lo, hi := c*chunkRows, min(n, (c+1)*chunkRows)
				rng := rand.New(rand.NewPCG(m.p.Seed, stream+uint64(c)))
				m.fill(rng, out[lo*dim:hi*dim])
			}
		}()
	}
	wg.Wait()
	return out
}

// Generate returns p.N base vectors and p.Queries held-out query vectors,
// row-major, deterministic in p.
func Generate(p Params) (base, queries []float32, err error) {
	if err := p.Validate(); err != nil {
		return nil, nil, err
	}
	m := newModel(p)
	return m.gen(p.N, streamBase), m.gen(p.Queries, streamQueries), nil
}

// RelativeContrast is the mean over (at most maxQueries) queries of the
// mean L2 distance to the base divided by the nearest-neighbour distance
// (non-squared), performance.md §3.1 rule 4. Lower is harder.
func RelativeContrast(base, queries []float32, dim, maxQueries int) float64 {
	nq := min(len(queries)/dim, maxQueries)
	if nq == 0 || len(base) == 0 {
		return math.NaN()
	}
	sums := make([]float64, nq)
	parallelFor(nq, func(i int, d []float32) []float32 {
		if d == nil {
			d = make([]float32, len(base)/dim)
		}
		distance.L2.Batch(queries[i*dim:(i+1)*dim], base, d)
		var mean float64
		minD := math.Inf(1)
		for _, v := range d {
			s := math.Sqrt(float64(v))
			mean += s
			minD = min(minD, s)
		}
		sums[i] = mean / float64(len(d)) / minD
		return d
	})
	var s float64
	for _, v := range sums {
		s += v
	}
	return s / float64(nq)
}

// parallelFor runs f(i) for i in [0, n) on GOMAXPROCS goroutines; each
// goroutine threads a scratch buffer through its calls.
func parallelFor(n int, f func(i int, scratch []float32) []float32) {
	var mu sync.Mutex
	next := 0
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(1, n)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var scratch []float32
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				scratch = f(i, scratch)
			}
		}()
	}
	wg.Wait()
}
