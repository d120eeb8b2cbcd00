package gateway

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/scan"
	"github.com/lancegate/lancegate/executor/spec"
	"github.com/lancegate/lancegate/planner"
	"github.com/lancegate/lancegate/storage/index/distance"
	"github.com/lancegate/lancegate/storage/index/indexspec"
	"github.com/lancegate/lancegate/storage/index/lanceindex"
	"github.com/lancegate/lancegate/storage/lance"
)

// Vector indexes on the query path. A table snapshot offers the planner
// the vector index of a column (planner.VectorTable); searching it loads
// each index segment once per process (lanceindex.SegmentCache: index
// files are immutable, so a loaded segment never goes stale) and reads candidate
// rows through the engine's page cache.

func metricName(m distance.Metric) planner.VectorMetric {
	switch m {
	case distance.Cosine:
		return planner.MetricCosine
	case distance.Dot:
		return planner.MetricDot
	}
	return planner.MetricL2
}

// VectorIndex implements planner.VectorTable: the segments of the first
// index over the column whose metric matches, declared indexes first. Indexes
// lancegate cannot read (another type, a newer layout) are passed over, so
// the search is exact rather than failing.
func (t *lanceTable) VectorIndex(ctx context.Context, col int, metric planner.VectorMetric) (planner.VectorIndex, error) {
	dcol := t.datasetColumn(col)
	if dcol < 0 {
		return nil, nil
	}
	field := t.ds.Schema().FieldID(dcol)
	infos, err := t.ds.Indexes()
	if err != nil {
		return nil, storageError(err, t.name)
	}
	var names []string
	byName := map[string][]lance.IndexInfo{}
	for _, info := range infos {
		if len(info.Fields) != 1 || info.Fields[0] != field || !strings.HasSuffix(info.TypeURL, "VectorIndexDetails") {
			continue
		}
		if _, ok := byName[info.Name]; !ok {
			names = append(names, info.Name)
		}
		byName[info.Name] = append(byName[info.Name], info)
	}
	// Declared indexes (CREATE INDEX) first, then the others in manifest
	// order: the agent replaces an automatic index by a declared one, but
	// both exist until it has.
	declared := func(name string) bool { _, ok := t.ds.Config()[indexspec.ConfigPrefix+name]; return ok }
	slices.SortStableFunc(names, func(a, b string) int {
		switch da, db := declared(a), declared(b); {
		case da && !db:
			return -1
		case db && !da:
			return 1
		}
		return 0
	})
	cache := t.cat.indexes
	for _, name := range names {
		var segs []lanceindex.Segment
		for _, info := range byName[name] {
			ix, err := cache.Segment(ctx, t.ds, info)
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				t.cat.logger.Warn("vector index not usable; searching exactly", "table", t.name, "index", name, "uuid", info.UUID, "err", err)
				segs = nil
				break
			}
			if metricName(ix.Metric()) != metric {
				segs = nil
				break
			}
			segs = append(segs, lanceindex.Segment{Index: ix, Info: info})
		}
		if len(segs) > 0 {
			return &tableIndex{t: t, name: name, segs: segs}, nil
		}
	}
	return nil, nil
}

// tableIndex is an index of one table snapshot.
type tableIndex struct {
	t    *lanceTable
	name string
	segs []lanceindex.Segment
}

func (x *tableIndex) Info() planner.VectorIndexInfo {
	unindexed := lanceindex.Unindexed(x.t.ds, x.segs)
	info := planner.VectorIndexInfo{
		Name:               x.name,
		Type:               x.segs[0].Index.Type(),
		Metric:             metricName(x.segs[0].Index.Metric()),
		Dim:                x.segs[0].Index.Dim(),
		Segments:           len(x.segs),
		UnindexedFragments: len(unindexed),
		IndexedFragments:   len(x.t.ds.Fragments()) - len(unindexed),
	}
	set := map[uint64]bool{}
	for _, id := range unindexed {
		set[id] = true
	}
	for _, f := range x.t.ds.Fragments() {
		if set[f.ID] {
			info.UnindexedRows += f.Rows()
		}
	}
	return info
}

// Partitions implements planner.PartitionedIndex: per segment, the
// partitions the search probes; and the fragments no segment covers.
func (x *tableIndex) Partitions(ctx context.Context, req planner.VectorSearch) (planner.ANNPlan, error) {
	plan := planner.ANNPlan{Want: lanceindex.CandidateCount(x.segs, req.K, req.RefineFactor)}
	for _, s := range x.segs {
		parts, err := s.Index.Probes(req.Query, req.NProbes)
		if err != nil {
			return plan, storageError(fmt.Errorf("vector search with index %s: %w", x.name, err), x.t.name)
		}
		for _, p := range parts {
			plan.Pieces = append(plan.Pieces, spec.Piece{Index: s.Info.UUID, Partition: p})
		}
	}
	rows := map[uint64]uint64{}
	for _, f := range x.t.ds.Fragments() {
		rows[f.ID] = f.Rows()
	}
	for _, id := range lanceindex.Unindexed(x.t.ds, x.segs) {
		if rows[id] > 0 {
			plan.Unindexed = append(plan.Unindexed, id)
		}
	}
	return plan, nil
}

func (x *tableIndex) Search(ctx context.Context, req planner.VectorSearch, mem memory.Allocator) (executor.Operator, planner.VectorSearchStats, error) {
	var st planner.VectorSearchStats
	cols := make([]int, len(req.Cols))
	for i, c := range req.Cols {
		cols[i] = x.t.datasetColumn(c)
	}
	rows, qst, err := lanceindex.Query(ctx, x.t.ds, x.segs, lanceindex.QueryOptions{
		Query: req.Query, K: req.K, RefineFactor: req.RefineFactor, NProbes: req.NProbes, Ef: req.Ef,
		Allow: req.Allow, Columns: cols, WithRowAddress: req.RowAddr, Mem: mem, Cache: x.t.cat.pages,
	})
	if err != nil {
		return nil, st, storageError(fmt.Errorf("vector search with index %s: %w", x.name, err), x.t.name)
	}
	st.Probed, st.Candidates = qst.Probed, qst.Candidates
	op, err := scan.FromSource(rows, mem)
	if err != nil {
		rows.Close()
		return nil, st, err
	}
	return op, st, nil
}
