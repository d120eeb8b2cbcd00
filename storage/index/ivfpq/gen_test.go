package ivfpq

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/lancegate/lancegate/storage/index/distance"
)

// genParams describe a clustered data set after performance.md §3.3: C
// Gaussian centres with spread sc, Zipf(0.8) cluster popularity, a rank-r
// subspace per cluster with column scales ∝ 1/√k (unit total variance per
// dimension), plus isotropic noise sigma.
type genParams struct {
	n, nq, dim, clusters, rank int
	sc, sigma                  float64
	seed                       uint64
}

// genClustered returns n base and nq query vectors (held out, same
// distribution), deterministic in p.seed.
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
	w := make([]float64, p.clusters*p.dim*p.rank) // [cluster][k][dim]
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

// exactTopK is brute-force ground truth with the batched kernel.
func exactTopK(metric distance.Metric, base, q []float32, k int) []Candidate {
	d := make([]float32, len(base)/len(q))
	metric.Batch(q, base, d)
	top := newTopK(k)
	for i, v := range d {
		top.push(Candidate{RowID: uint64(i), Distance: v})
	}
	return top.sorted()
}

// recallAt returns |got ∩ truth| / len(truth), counting a result whose exact
// distance ties the k-th true distance as a hit.
func recallAt(truth, got []Candidate, exact func(id uint64) float32) float64 {
	in := make(map[uint64]bool, len(truth))
	for _, c := range truth {
		in[c.RowID] = true
	}
	bar := truth[len(truth)-1].Distance
	hits := 0
	for _, c := range got[:min(len(got), len(truth))] {
		if in[c.RowID] || exact(c.RowID) <= bar {
			hits++
		}
	}
	return float64(hits) / float64(len(truth))
}

// relativeContrast is the mean over queries of mean distance / nearest
// distance (L2, non-squared), performance.md §3.1 rule 4.
func relativeContrast(base, queries []float32, dim int) float64 {
	d := make([]float32, len(base)/dim)
	var sum float64
	nq := len(queries) / dim
	for i := range nq {
		distance.L2.Batch(queries[i*dim:(i+1)*dim], base, d)
		var mean float64
		minD := math.Inf(1)
		for _, v := range d {
			s := math.Sqrt(float64(v))
			mean += s
			minD = min(minD, s)
		}
		sum += mean / float64(len(d)) / minD
	}
	return sum / float64(nq)
}
