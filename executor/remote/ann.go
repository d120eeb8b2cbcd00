package remote

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/scan"
	"github.com/lancegate/lancegate/storage/index/lanceindex"
	"github.com/lancegate/lancegate/storage/lance"
)

// Vector searches on executors. The query node picks the partitions a
// search probes (Searcher.Probes, per index segment) and places each
// (segment, partition) by rendezvous hashing, so every executor holds the
// partitions it owns decoded in memory and their rows in its block cache.
// An executor searches its partitions for the Want nearest live rows
// (deleted rows masked), reads those rows, and runs the fragment's
// projection and top-k over them: it returns its k best by exact distance.
// The query node's top-k over all executors' lists (and the rows of
// fragments no segment covers) then sees a superset of the candidates a
// single process would have re-ranked, so recall is never lower.

// indexCache finds a fragment's index segments, by UUID, in the
// snapshot's index entries and loads them through one
// lanceindex.SegmentCache (shared with the query path's policy: loaded
// once, IVF_PQ tables precomputed, unloadable segments remembered).
type indexCache struct{ segs *lanceindex.SegmentCache }

func newIndexCache(entries int) *indexCache {
	return &indexCache{segs: lanceindex.NewSegmentCache(entries)}
}

// segment returns the loaded segment of ds with the given UUID.
func (c *indexCache) segment(ctx context.Context, ds *lance.Dataset, uuid string) (lanceindex.Searcher, error) {
	infos, err := ds.Indexes()
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(infos, func(in lance.IndexInfo) bool { return in.UUID == uuid })
	if i < 0 {
		return nil, fmt.Errorf("index segment %s is not in version %d", uuid, ds.Version())
	}
	return c.segs.Segment(ctx, ds, infos[i])
}

// annSource searches the fragment's partitions and returns the candidate
// rows (the fragment's columns) as an operator.
func (r *run) annSource(ctx context.Context) (executor.Operator, error) {
	ann := r.frag.ANN
	live, err := r.ds.LiveRows(ctx)
	if err != nil {
		return nil, err
	}
	var order []string
	parts := map[string][]int{}
	for _, p := range r.frag.Pieces {
		if _, ok := parts[p.Index]; !ok {
			order = append(order, p.Index)
		}
		parts[p.Index] = append(parts[p.Index], p.Partition)
	}
	var hits []lanceindex.Hit
	for _, uuid := range order {
		seg, err := r.indexes.segment(ctx, r.ds, uuid)
		if err != nil {
			return nil, err
		}
		h, _, err := seg.SearchSegment(ann.Query, lanceindex.SegmentSearch{K: ann.Want, Ef: max(ann.Ef, ann.Want), Allow: live.Contains, Partitions: parts[uuid]})
		if err != nil {
			return nil, err
		}
		hits = append(hits, h...)
	}
	hits = lanceindex.BestHits(hits, ann.Want)
	addrs := make([]uint64, len(hits))
	for i, h := range hits {
		addrs[i] = h.RowAddr
	}
	rec, err := r.ds.Take(ctx, addrs, lance.TakeOptions{Columns: r.cols, Mem: r.mem})
	if err != nil {
		return nil, fmt.Errorf("read candidates: %w", err)
	}
	return scan.FromSource(&oneRecord{rec: rec}, r.mem)
}

// oneRecord is a scan.Source of one batch.
type oneRecord struct {
	rec arrow.Record
	sc  *arrow.Schema
}

func (o *oneRecord) Schema() *arrow.Schema {
	if o.sc == nil {
		o.sc = o.rec.Schema()
	}
	return o.sc
}

func (o *oneRecord) Next(context.Context) (arrow.Record, error) {
	if o.rec == nil {
		return nil, io.EOF
	}
	o.Schema()
	rec := o.rec
	o.rec = nil
	if rec.NumRows() == 0 {
		rec.Release()
		return nil, io.EOF
	}
	return rec, nil
}

func (o *oneRecord) Close() {
	if o.rec != nil {
		o.rec.Release()
		o.rec = nil
	}
}
