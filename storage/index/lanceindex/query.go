package lanceindex

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance"
)

// Segment is one searchable part of a vector index: a loaded index and
// the manifest entry that says which fragments it covers. An index built
// once and extended by delta indexes has several segments with one name
// and disjoint fragment sets.
type Segment struct {
	Index Searcher
	Info  lance.IndexInfo
}

// QueryOptions parameterise Query.
type QueryOptions struct {
	Query []float32
	// K is the number of nearest rows wanted; each segment is asked for
	// K·RefineFactor candidates and the best K·RefineFactor overall are
	// read, for the caller to re-rank by exact distance.
	K, RefineFactor int
	// NProbes is the partitions probed per segment before widening.
	NProbes int
	// Ef is the HNSW search list size of IVF_HNSW_SQ segments.
	Ef int
	// Allow is the prefilter (nil: every row); deleted rows and rows of
	// fragments no longer in the snapshot are masked in any case.
	Allow func(addr uint64) bool
	// Columns, WithRowAddress and Mem shape the output as
	// lance.ScanOptions do.
	Columns        []int
	WithRowAddress bool
	Mem            memory.Allocator
	// Cache serves the pages the candidate reads touch.
	Cache lance.PageCache
}

// QueryStats describe what Query did.
type QueryStats struct {
	// Probed sums the partitions searched over the segments.
	Probed int
	// Candidates counts the rows read from the index's answer.
	Candidates int
	// Unindexed lists the fragments no segment covers, whose rows are
	// returned in full.
	Unindexed []uint64
}

// Unindexed returns the ids of the snapshot's fragments that no segment
// covers, in manifest order.
func Unindexed(ds *lance.Dataset, segs []Segment) []uint64 {
	covered := map[uint64]bool{}
	for _, s := range segs {
		for _, f := range s.Info.Fragments {
			covered[uint64(f)] = true
		}
	}
	var out []uint64
	for _, f := range ds.Fragments() {
		if !covered[f.ID] {
			out = append(out, f.ID)
		}
	}
	return out
}

// BestHits sorts hits of several segments (or executors) by distance,
// keeping the order of equal ones, and returns the first want.
func BestHits(hits []Hit, want int) []Hit {
	slices.SortStableFunc(hits, func(a, b Hit) int {
		switch {
		case a.Distance < b.Distance:
			return -1
		case a.Distance > b.Distance:
			return 1
		}
		return 0
	})
	return hits[:min(len(hits), want)]
}

// CandidateCount is how many candidates a search for k rows with a refine
// factor reads: k·refine, computed without overflow and never more than
// the segments hold (a huge LIMIT or refine factor must not size anything
// by itself), and at least 1.
func CandidateCount(segs []Segment, k, refine int) int {
	indexed := 0
	for _, s := range segs {
		indexed += s.Index.Len()
	}
	want := k
	if rf := max(1, refine); want > indexed/rf {
		want = indexed
	} else {
		want *= rf
	}
	return max(1, min(want, indexed))
}

// Query runs a nearest-neighbour search over one dataset snapshot: the
// segments' candidates among live, allowed rows, then every row of the
// fragments no segment covers. It returns the rows to rank, not a ranking:
// the caller computes exact distances and keeps the best K (the planner's
// TopK does). Rows yields the candidate rows in one batch, then the
// unindexed fragments' rows as a scan does.
func Query(ctx context.Context, ds *lance.Dataset, segs []Segment, opts QueryOptions) (*Rows, QueryStats, error) {
	var st QueryStats
	if opts.Mem == nil {
		opts.Mem = memory.DefaultAllocator
	}
	live, err := ds.LiveRows(ctx)
	if err != nil {
		return nil, st, err
	}
	allow := live.Contains
	if opts.Allow != nil {
		allow = func(a uint64) bool { return opts.Allow(a) && live.Contains(a) }
	}
	want := CandidateCount(segs, opts.K, opts.RefineFactor)
	var hits []Hit
	for _, s := range segs {
		if err := ctx.Err(); err != nil {
			return nil, st, err
		}
		h, probed, err := s.Index.SearchSegment(opts.Query, SegmentSearch{K: want, NProbes: opts.NProbes, Ef: max(opts.Ef, want), Allow: allow})
		if err != nil {
			return nil, st, err
		}
		st.Probed += probed
		hits = append(hits, h...)
	}
	if len(segs) > 1 {
		hits = BestHits(hits, want)
	}
	addrs := make([]uint64, len(hits))
	for i, h := range hits {
		addrs[i] = h.RowAddr
	}
	st.Candidates = len(addrs)
	first, err := ds.Take(ctx, addrs, lance.TakeOptions{Columns: opts.Columns, WithRowAddress: opts.WithRowAddress, Mem: opts.Mem, Cache: opts.Cache})
	if err != nil {
		return nil, st, fmt.Errorf("read candidates: %w", err)
	}
	st.Unindexed = Unindexed(ds, segs)
	r := &Rows{schema: first.Schema(), first: first}
	if len(st.Unindexed) > 0 {
		sc, err := ds.Scan(lance.ScanOptions{Columns: opts.Columns, WithRowAddress: opts.WithRowAddress, Mem: opts.Mem, Fragments: st.Unindexed})
		if err != nil {
			first.Release()
			return nil, st, err
		}
		r.rest = sc
	}
	return r, st, nil
}

// Rows is the row source Query returns. It is not safe for concurrent use.
type Rows struct {
	schema *arrow.Schema
	first  arrow.Record   // the candidates, until Next hands them out
	rest   *lance.Scanner // the unindexed fragments, or nil
}

// Schema returns the schema of the batches.
func (r *Rows) Schema() *arrow.Schema { return r.schema }

// Next returns the next batch, or io.EOF; the caller owns it.
func (r *Rows) Next(ctx context.Context) (arrow.Record, error) {
	if r.first != nil {
		rec := r.first
		r.first = nil
		if rec.NumRows() > 0 {
			return rec, nil
		}
		rec.Release()
	}
	if r.rest == nil {
		return nil, io.EOF
	}
	return r.rest.Next(ctx)
}

// Close releases what Next did not hand out.
func (r *Rows) Close() {
	if r.first != nil {
		r.first.Release()
		r.first = nil
	}
	if r.rest != nil {
		r.rest.Close()
	}
}
