package lanceindex

import (
	"container/heap"
	"fmt"
	"slices"

	"github.com/lancegate/lancegate/storage/index/distance"
)

// Search returns the k rows whose PQ-approximated distance to query is
// smallest among the nprobes partitions nearest to the query, closest
// first (ties by row address). nprobes is clamped to [1, NumPartitions].
//
// Distances follow what pylance returns without refine: for l2 the sum of
// squared sub-distances between the query's residual and the code's
// sub-centroids (an approximate squared L2); for cosine the same on the
// normalised query's residual; for dot the sum over sub-vectors of the
// sub-inner-product terms, offset as Lance does (see docs/vector-index.md
// §3). Deleted rows are not masked, unindexed fragments are not searched
// and nothing is re-ranked with exact distances: callers must do that.
func (x *IVFPQ) Search(query []float32, k, nprobes int) ([]Hit, error) {
	if len(query) != x.dim {
		return nil, fmt.Errorf("%w: query has %d dimensions, index %d", ErrBadQuery, len(query), x.dim)
	}
	if k < 1 {
		return nil, fmt.Errorf("%w: k = %d", ErrBadQuery, k)
	}
	nprobes = min(max(nprobes, 1), x.nlist)
	q := slices.Clone(query)
	if x.metric == distance.Cosine {
		distance.Normalize(q)
	}
	parts := x.probe(q, nprobes)

	table := make([]float32, x.m*distance.PQCodebookSize)
	resid := make([]float32, x.dim)
	var dists []float32
	top := make(hitHeap, 0, k)
	for _, p := range parts {
		n := int(x.lengths[p])
		if n == 0 {
			continue
		}
		if x.metric == distance.Dot {
			copy(resid, q)
		} else {
			c := x.centroids[p*x.dim : (p+1)*x.dim]
			for i := range resid {
				resid[i] = q[i] - c[i]
			}
		}
		x.buildTable(table, resid)
		off := int(x.offsets[p])
		if cap(dists) < n {
			dists = make([]float32, n)
		}
		dists = dists[:n]
		distance.PQDistances(table, x.m, x.codes[off*x.m:(off+n)*x.m], dists)
		for i, d := range dists {
			h := Hit{RowAddr: x.rowAddrs[off+i], Distance: x.finish(d)}
			if len(top) < k {
				heap.Push(&top, h)
			} else if worse(top[0], h) {
				top[0] = h
				heap.Fix(&top, 0)
			}
		}
	}
	out := []Hit(top)
	slices.SortFunc(out, func(a, b Hit) int {
		switch {
		case worse(b, a):
			return -1
		case worse(a, b):
			return 1
		}
		return 0
	})
	return out, nil
}

// probe returns the nprobes partitions whose centroids are nearest to q:
// by L2 for l2 and cosine (q already normalised), by dot for dot, as
// pylance chooses them.
func (x *IVFPQ) probe(q []float32, nprobes int) []int {
	metric := distance.L2
	if x.metric == distance.Dot {
		metric = distance.Dot
	}
	d := make([]float32, x.nlist)
	metric.Batch(q, x.centroids, d)
	idx := make([]int, x.nlist)
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case d[a] < d[b]:
			return -1
		case d[a] > d[b]:
			return 1
		}
		return 0
	})
	return idx[:nprobes]
}

// buildTable fills the m×256 ADC table for the (residual or raw) query r:
// squared L2 sub-distances for l2 and cosine, negated sub-inner-products
// for dot. The codebook is laid out [m][256][subDim].
func (x *IVFPQ) buildTable(table, r []float32) {
	metric := distance.L2
	if x.metric == distance.Dot {
		metric = distance.Dot
	}
	block := distance.PQCodebookSize * x.subDim
	for s := range x.m {
		metric.Batch(r[s*x.subDim:(s+1)*x.subDim], x.codebook[s*block:(s+1)*block], table[s*distance.PQCodebookSize:(s+1)*distance.PQCodebookSize])
	}
}

// finish maps an ADC sum to Lance's distance convention.
func (x *IVFPQ) finish(d float32) float32 {
	if x.metric == distance.Dot {
		return 1 + d // 1 − x·q, with d = −x·q
	}
	return d
}

// worse reports whether a ranks after b: larger distance, then larger row
// address.
func worse(a, b Hit) bool {
	if a.Distance != b.Distance {
		return a.Distance > b.Distance
	}
	return a.RowAddr > b.RowAddr
}

// hitHeap is a max-heap by worse: the root is the current k-th hit.
type hitHeap []Hit

func (h hitHeap) Len() int           { return len(h) }
func (h hitHeap) Less(i, j int) bool { return worse(h[i], h[j]) }
func (h hitHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *hitHeap) Push(v any)        { *h = append(*h, v.(Hit)) }
func (h *hitHeap) Pop() any {
	old := *h
	v := old[len(old)-1]
	*h = old[:len(old)-1]
	return v
}
