package lanceindex

import (
	"fmt"
	"slices"

	"github.com/lancegate/lancegate/storage/index/distance"
	"github.com/lancegate/lancegate/storage/index/ivfpq"
)

// assemble builds x.ix, the ivfpq.Index that answers Search, from the
// loaded centroids, codebook and partitions. The partitions alias
// x.rowAddrs and x.codes; nothing is copied.
func (x *IVFPQ) assemble() error {
	pq := &ivfpq.PQ{Dim: x.dim, M: x.m, SubDim: x.subDim, Codebook: x.codebook}
	parts := make([]ivfpq.Partition, x.nlist)
	for p := range parts {
		lo, hi := int(x.offsets[p]), int(x.offsets[p])+int(x.lengths[p])
		parts[p] = ivfpq.Partition{
			RowIDs: x.rowAddrs[lo:hi:hi],
			Codes:  x.codes[lo*x.m : hi*x.m : hi*x.m],
		}
	}
	ix, err := ivfpq.FromParts(x.metric, x.dim, x.centroids, pq, parts)
	if err != nil {
		return err
	}
	x.ix = ix
	return nil
}

// Search returns the k rows whose PQ-approximated distance to query is
// smallest among the nprobes partitions nearest to the query, closest
// first (ties by row address). nprobes is clamped to [1, NumPartitions].
// The search itself is ivfpq.(*Index).Search; see lanceDistance for the
// distances, which are pylance's without refine. Deleted rows are not
// masked, unindexed fragments are not searched and nothing is re-ranked
// with exact distances: callers must do that (SearchWith's Allow masks).
func (x *IVFPQ) Search(query []float32, k, nprobes int) ([]Hit, error) {
	hits, _, err := x.SearchWith(query, ivfpq.SearchOptions{K: k, NProbes: nprobes})
	return hits, err
}

// SearchWith is Search with ivfpq's options: a prefilter (Allow, given
// row addresses) that widens the search until K allowed rows are found,
// and statistics.
func (x *IVFPQ) SearchWith(query []float32, opts ivfpq.SearchOptions) ([]Hit, ivfpq.SearchStats, error) {
	if len(query) != x.dim {
		return nil, ivfpq.SearchStats{}, fmt.Errorf("%w: query has %d dimensions, index %d", ErrBadQuery, len(query), x.dim)
	}
	if opts.K < 1 {
		return nil, ivfpq.SearchStats{}, fmt.Errorf("%w: k = %d", ErrBadQuery, opts.K)
	}
	cands, st, err := x.ix.SearchWith(query, opts)
	if err != nil {
		return nil, st, fmt.Errorf("lanceindex: %w", err)
	}
	out := make([]Hit, len(cands))
	for i, c := range cands {
		out[i] = Hit{RowAddr: c.RowID, Distance: lanceDistance(x.metric, c.Distance)}
	}
	// The conversion is monotone, but 1+d can round distinct dot distances
	// to one value: restore the (distance, row address) order.
	slices.SortStableFunc(out, func(a, b Hit) int {
		switch {
		case a.Distance < b.Distance:
			return -1
		case a.Distance > b.Distance:
			return 1
		}
		return 0
	})
	return out, st, nil
}

// lanceDistance converts an ivfpq.(*Index).Search distance d to what
// pylance's nearest() returns without refine_factor. This is the one place
// where the two conventions meet:
//
//	metric  ivfpq (d)                               pylance
//	l2      ‖q − c − ŷ‖², approximate squared L2    d
//	cosine  ½·‖q̂ − c − ŷ‖² on unit q̂ (≈ 1 − cos)    2·d (squared L2 between
//	                                                unit vectors, ≈ 2·(1 − cos))
//	dot     −q·x̂, x̂ the raw-code reconstruction     1 + d = 1 − q·x̂
//
// Both packages encode residuals of the normalised vectors for l2 and
// cosine and raw vectors for dot, as Lance does, so only this scaling and
// offset differ. Doubling is exact in floating point; 1 + d rounds.
func lanceDistance(metric distance.Metric, d float32) float32 {
	switch metric {
	case distance.Cosine:
		return 2 * d
	case distance.Dot:
		return 1 + d
	}
	return d
}
