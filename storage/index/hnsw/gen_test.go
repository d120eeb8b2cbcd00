package hnsw

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/lancegate/lancegate/storage/index/distance"
	"github.com/lancegate/lancegate/storage/index/ivfpq"
)

// genParams describe a clustered data set after performance.md §3.3: C
// Gaussian centres with spread sc, Zipf(0.8) cluster popularity, a rank-r
// subspace per cluster with column scales ∝ 1/√k, plus isotropic noise
// sigma.
type genParams struct {
	n, nq, dim, clusters, rank int
	sc, sigma                  float64
	seed                       uint64
}

// genClustered returns n base and nq held-out query vectors from the same
// distribution, deterministic in p.seed.
func genClustered(p genParams) (base, queries []float32) {
	rng := rand.New(rand.NewPCG(p.seed, 42))
	centres := make([]float64, p.clusters*p.dim)
	for i := range centres {
		centres[i] = rng.NormFloat64() * p.sc
	}
	var h float64
	for k := range p.rank {
		h += 1 / float64(k+1)
	}
	w := make([]float64, p.clusters*p.rank*p.dim) // [cluster][k][dim]
	for c := range p.clusters {
		for k := range p.rank {
			s := math.Sqrt(1 / float64(k+1) / h)
			for d := range p.dim {
				w[(c*p.rank+k)*p.dim+d] = rng.NormFloat64() * s
			}
		}
	}
	cum := make([]float64, p.clusters)
	var tot float64
	for c := range p.clusters {
		tot += math.Pow(float64(c+1), -0.8)
		cum[c] = tot
	}
	gen := func(n int) []float32 {
		out := make([]float32, n*p.dim)
		x := make([]float64, p.dim)
		for i := range n {
			c, _ := slices.BinarySearch(cum, rng.Float64()*tot)
			c = min(c, p.clusters-1)
			copy(x, centres[c*p.dim:(c+1)*p.dim])
			for k := range p.rank {
				z := rng.NormFloat64()
				col := w[(c*p.rank+k)*p.dim : (c*p.rank+k+1)*p.dim]
				for d := range x {
					x[d] += z * col[d]
				}
			}
			for d := range x {
				out[i*p.dim+d] = float32(x[d] + rng.NormFloat64()*p.sigma)
			}
		}
		return out
	}
	return gen(p.n), gen(p.nq)
}

// dataSet is a generated data set with its exact top-k per query.
type dataSet struct {
	dim           int
	metric        distance.Metric
	base, queries []float32
	truth         [][]Candidate
}

// newDataSet generates p; for Cosine and Dot the vectors are normalised,
// as embeddings served by those metrics are (§3.3 step 4).
func newDataSet(p genParams, metric distance.Metric, k int) *dataSet {
	base, queries := genClustered(p)
	if metric != distance.L2 {
		for i := 0; i < len(base); i += p.dim {
			distance.Normalize(base[i : i+p.dim])
		}
		for i := 0; i < len(queries); i += p.dim {
			distance.Normalize(queries[i : i+p.dim])
		}
	}
	s := &dataSet{dim: p.dim, metric: metric, base: base, queries: queries}
	for i := range p.nq {
		s.truth = append(s.truth, s.exact(s.query(i), k, nil))
	}
	return s
}

func (s *dataSet) n() int                              { return len(s.base) / s.dim }
func (s *dataSet) query(i int) []float32               { return s.queries[i*s.dim : (i+1)*s.dim] }
func (s *dataSet) vec(id uint64) []float32             { return s.base[int(id)*s.dim : (int(id)+1)*s.dim] }
func (s *dataSet) dist(q []float32, id uint64) float32 { return s.metric.Distance(q, s.vec(id)) }

func (s *dataSet) rowIDs() []uint64 {
	ids := make([]uint64, s.n())
	for i := range ids {
		ids[i] = uint64(i)
	}
	return ids
}

// exact is brute-force search with the batched kernel over the rows allow
// accepts (nil: all); it is also the benchmark's baseline.
func (s *dataSet) exact(q []float32, k int, allow func(uint64) bool) []Candidate {
	d := make([]float32, s.n())
	s.metric.Batch(q, s.base, d)
	top := topK{k: k}
	for i, v := range d {
		if allow == nil || allow(uint64(i)) {
			top.push(Candidate{RowID: uint64(i), Distance: v})
		}
	}
	return top.sorted()
}

// recallAt returns |got ∩ truth| / len(truth); a result whose exact
// distance ties the k-th true distance counts as a hit.
func (s *dataSet) recallAt(q []float32, truth, got []Candidate) float64 {
	if len(truth) == 0 {
		return 1
	}
	in := make(map[uint64]bool, len(truth))
	for _, c := range truth {
		in[c.RowID] = true
	}
	bar := truth[len(truth)-1].Distance
	hits := 0
	for _, c := range got[:min(len(got), len(truth))] {
		if in[c.RowID] || s.dist(q, c.RowID) <= bar {
			hits++
		}
	}
	return float64(hits) / float64(len(truth))
}

// recall is the mean recall@k of ix over the data set's queries, and the
// mean number of SQ8 distances per query.
func (s *dataSet) recall(t testing.TB, ix *Index, opts SearchOptions) (recall, dists float64) {
	for i := range s.truth {
		q := s.query(i)
		got, st, err := ix.Search(q, opts)
		if err != nil {
			t.Fatal(err)
		}
		recall += s.recallAt(q, s.truth[i], got)
		dists += float64(st.Distances)
	}
	return recall / float64(len(s.truth)), dists / float64(len(s.truth))
}

func kmeansIters(n int) ivfpq.KMeansOptions { return ivfpq.KMeansOptions{MaxIters: n, Tolerance: -1} }
