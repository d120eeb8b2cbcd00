package lanceindex

import (
	"context"
	"fmt"

	"github.com/lancegate/lancegate/storage/index/distance"
	"github.com/lancegate/lancegate/storage/index/hnsw"
	"github.com/lancegate/lancegate/storage/index/ivfpq"
	"github.com/lancegate/lancegate/storage/lance"
)

// Searcher is a loaded index segment of any type Query can search: IVFPQ,
// and HNSWSQ.
type Searcher interface {
	// Type is the index type as Lance names it ("IVF_PQ", "IVF_HNSW_SQ").
	Type() string
	Metric() distance.Metric
	Dim() int
	NumPartitions() int
	// Len is the number of rows the segment holds.
	Len() int
	// SearchSegment returns the opts.K nearest allowed rows the segment
	// proposes, closest first, and the partitions it probed.
	SearchSegment(query []float32, opts SegmentSearch) ([]Hit, int, error)
	// Probes returns the nprobes partitions nearest to query, nearest
	// first: what SearchSegment probes before widening. A distributed
	// search sends each executor its share of them (SegmentSearch.Partitions).
	Probes(query []float32, nprobes int) ([]int, error)
}

// SegmentSearch parameterises Searcher.SearchSegment.
type SegmentSearch struct {
	K       int
	NProbes int
	// Ef is the HNSW search list size (ignored by IVF_PQ).
	Ef int
	// Allow is the prefilter; the search widens until K allowed rows are
	// found or every partition was probed.
	Allow func(addr uint64) bool
	// Partitions, when set, are exactly the partitions to search (NProbes
	// and widening do not apply).
	Partitions []int
}

// Type implements Searcher.
func (x *IVFPQ) Type() string { return typeIVFPQ }

// SearchSegment implements Searcher.
func (x *IVFPQ) SearchSegment(query []float32, opts SegmentSearch) ([]Hit, int, error) {
	hits, st, err := x.SearchWith(query, ivfpq.SearchOptions{K: opts.K, NProbes: opts.NProbes, Allow: opts.Allow, Partitions: opts.Partitions})
	return hits, st.Probed, err
}

// Probes implements Searcher.
func (x *IVFPQ) Probes(query []float32, nprobes int) ([]int, error) {
	return x.ix.Probes(query, nprobes)
}

// Open loads an index entry of any type lancegate searches (IVF_PQ,
// IVF_HNSW_SQ), dispatching on index.idx's metadata. Entries of other types
// are errors wrapping lance.ErrUnsupported.
func Open(ctx context.Context, ds *lance.Dataset, info lance.IndexInfo) (Searcher, error) {
	typ, err := IndexType(ctx, ds, info)
	if err != nil {
		return nil, err
	}
	switch typ {
	case typeIVFPQ:
		return OpenIVFPQ(ctx, ds, info)
	case typeIVFHNSWSQ:
		return OpenHNSWSQ(ctx, ds, info)
	}
	return nil, fmt.Errorf("%w: index %s (%s) is %s", lance.ErrUnsupported, info.Name, info.UUID, typ)
}

// Type implements Searcher.
func (x *HNSWSQ) Type() string { return typeIVFHNSWSQ }

// SearchSegment implements Searcher.
func (x *HNSWSQ) SearchSegment(query []float32, opts SegmentSearch) ([]Hit, int, error) {
	hits, st, err := x.SearchWith(query, hnsw.SearchOptions{K: opts.K, NProbes: opts.NProbes, Ef: max(opts.Ef, opts.K), Allow: opts.Allow, Partitions: opts.Partitions})
	return hits, st.PartitionsProbed, err
}

// Probes implements Searcher.
func (x *HNSWSQ) Probes(query []float32, nprobes int) ([]int, error) {
	if len(query) != x.dim {
		return nil, fmt.Errorf("%w: query has %d dimensions, index %d", ErrBadQuery, len(query), x.dim)
	}
	return x.ix.Probes(x.prepareQuery(query), nprobes)
}

// Model returns the loaded index as an hnsw.Index (its parameters, to
// rebuild it alike). It must not be modified.
func (x *HNSWSQ) Model() *hnsw.Index { return x.ix }
