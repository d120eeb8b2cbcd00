package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/lancegate/lancegate/storage/index/distance"
	"github.com/lancegate/lancegate/storage/index/hnsw"
	"github.com/lancegate/lancegate/storage/index/indexspec"
	"github.com/lancegate/lancegate/storage/index/ivfpq"
	"github.com/lancegate/lancegate/storage/index/lanceindex"
	"github.com/lancegate/lancegate/storage/lance"
)

// IVFPQIndexer builds the vector indexes a table should have:
//
//   - every index declared with CREATE INDEX (indexspec.Declared in the
//     dataset config) whose name has no entry in the manifest yet, with
//     the declared column, metric and parameters, whatever the policy;
//   - with the automatic policy enabled (IndexPolicy.Enabled), an IVF_PQ
//     index on each vector column (fixed_size_list<float32>) that has none,
//     once the table has IndexPolicy.MinRows rows.
//
// Indexes are written in Lance's layout (lanceindex.WriteIVFPQ), so
// pylance lists and uses them too. An index covers the fragments it was
// built over; rows appended later stay unindexed (and are searched
// exactly) until delta indexes exist.
//
// The build reads the column's vectors into memory: about rows × dim × 4
// bytes, plus the codes.
type IVFPQIndexer struct{}

var _ Indexer = IVFPQIndexer{}

// vectorColumn is a column an index can cover.
type vectorColumn struct {
	index   int // in the dataset schema
	name    string
	fieldID int32
	dim     int
}

// vectorColumns lists the vector columns of ds, and which of them some
// index covers (by field id).
func vectorColumns(ds *lance.Dataset) ([]vectorColumn, map[int32]bool, error) {
	infos, err := ds.Indexes()
	if err != nil {
		return nil, nil, err
	}
	covered := map[int32]bool{}
	for _, info := range infos {
		for _, f := range info.Fields {
			covered[f] = true
		}
	}
	var out []vectorColumn
	for i, f := range ds.Schema().Arrow().Fields() {
		fsl, ok := f.Type.(*arrow.FixedSizeListType)
		if !ok || fsl.Elem().ID() != arrow.FLOAT32 || ds.Schema().Unsupported(i) != "" {
			continue
		}
		out = append(out, vectorColumn{index: i, name: f.Name, fieldID: ds.Schema().FieldID(i), dim: int(fsl.Len())})
	}
	return out, covered, nil
}

// indexWork is one index to build, or an existing one to maintain.
type indexWork struct {
	col  vectorColumn
	name string
	// typ is indexspec.IVFPQ (opts) or indexspec.IVFHNSWSQ (hnswOpts).
	typ      string
	opts     ivfpq.BuildOptions
	hnswOpts hnsw.BuildOptions
	// segs, when set, are the existing index's entries: the work is to
	// cover the unindexed fragments (a delta, a merge or a retrain).
	segs      []lance.IndexInfo
	unindexed []uint64 // fragments no segment covers
	// write shapes the commit of a new index: a declared index replaces
	// the undeclared (automatic or pylance-made) ones on its column; an
	// automatic one is exclusive, so it loses a race with CREATE INDEX.
	write lanceindex.WriteOptions
	// declared is the config key of the index's declaration ("" for an
	// undeclared index): every commit of its work requires it, so that a
	// DROP INDEX meanwhile is not undone.
	declared string
}

// allFragments lists ds's fragment ids: the coverage of an index built
// over all of ds's rows, fragments whose vectors are all NULL included.
func allFragments(ds *lance.Dataset) []uint32 {
	var out []uint32
	for _, f := range ds.Fragments() {
		out = append(out, uint32(f.ID))
	}
	return out
}

// covering returns the fragments the segments cover plus extra.
func covering(segs []lance.IndexInfo, extra []uint64) []uint32 {
	var out []uint32
	for _, s := range segs {
		out = append(out, s.Fragments...)
	}
	for _, f := range extra {
		out = append(out, uint32(f))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// pending lists the indexes ds should have and does not: declared ones
// first, then the policy's.
func pending(ds *lance.Dataset, p IndexPolicy) ([]indexWork, []string, error) {
	cols, covered, err := vectorColumns(ds)
	if err != nil {
		return nil, nil, err
	}
	infos, err := ds.Indexes()
	if err != nil {
		return nil, nil, err
	}
	built := map[string]bool{}
	for _, info := range infos {
		built[info.Name] = true
	}
	var work []indexWork
	var why []string
	declared, _ := indexspec.Declared(ds.Config())
	declaredOn := map[string]bool{}
	isDeclared := map[string]bool{}
	for _, s := range declared {
		isDeclared[s.Name] = true
	}
	pendingOn := map[int32]bool{} // fields with a declared index to build
	for _, s := range declared {
		declaredOn[s.Column] = true
		if built[s.Name] || ds.CountRows() == 0 {
			continue
		}
		i := slices.IndexFunc(cols, func(c vectorColumn) bool { return c.name == s.Column })
		if i < 0 {
			continue // the column was dropped; DROP INDEX removes the declaration
		}
		m, err := distance.ParseMetric(s.Metric)
		if err != nil {
			continue
		}
		var replaces []string
		for _, info := range infos {
			if !isDeclared[info.Name] && slices.Contains(info.Fields, cols[i].fieldID) {
				replaces = append(replaces, info.UUID)
			}
		}
		pendingOn[cols[i].fieldID] = true
		work = append(work, indexWork{col: cols[i], name: s.Name, typ: s.Type, declared: s.Key(),
			opts:     ivfpq.BuildOptions{Metric: m, NumPartitions: s.NumPartitions, NumSubVectors: s.NumSubVectors},
			hnswOpts: hnsw.BuildOptions{Metric: m, NumPartitions: s.NumPartitions, M: s.M, EfConstruction: s.EfConstruction, SingleRange: true},
			write:    lanceindex.WriteOptions{Replaces: replaces, RequireConfig: s.Key(), Fragments: allFragments(ds)},
		})
		why = append(why, fmt.Sprintf("index %s on %s was created and is not built yet", s.Name, s.Column))
	}
	maint, mwhy := maintenance(ds, cols, infos, p, pendingOn, isDeclared)
	work, why = append(work, maint...), append(why, mwhy...)
	if p.Enabled && ds.CountRows() >= p.MinRows {
		for _, c := range cols {
			if covered[c.fieldID] || declaredOn[c.name] || built[c.name+"_idx"] || isDeclared[c.name+"_idx"] {
				continue
			}
			work = append(work, indexWork{col: c, name: c.name + "_idx", typ: indexspec.IVFPQ,
				opts:  ivfpq.BuildOptions{Metric: p.Metric, NumPartitions: p.NumPartitions, NumSubVectors: p.NumSubVectors},
				write: lanceindex.WriteOptions{Exclusive: true, Fragments: allFragments(ds)},
			})
			why = append(why, fmt.Sprintf("vector column %s has no index and the table has %d rows (threshold %d)", c.name, ds.CountRows(), p.MinRows))
		}
	}
	return work, why, nil
}

// maintenance lists the built indexes that need a segment: at least
// DeltaMinRows rows in fragments none of their segments covers, or more
// than MaxSegments segments.
func maintenance(ds *lance.Dataset, cols []vectorColumn, infos []lance.IndexInfo, p IndexPolicy, pendingOn map[int32]bool, isDeclared map[string]bool) ([]indexWork, []string) {
	var names []string
	byName := map[string][]lance.IndexInfo{}
	for _, info := range infos {
		if !strings.HasSuffix(info.TypeURL, "VectorIndexDetails") || len(info.Fields) != 1 {
			continue
		}
		if _, ok := byName[info.Name]; !ok {
			names = append(names, info.Name)
		}
		byName[info.Name] = append(byName[info.Name], info)
	}
	var work []indexWork
	var why []string
	for _, name := range names {
		segs := byName[name]
		i := slices.IndexFunc(cols, func(c vectorColumn) bool { return c.fieldID == segs[0].Fields[0] })
		if i < 0 || pendingOn[segs[0].Fields[0]] {
			continue // a declared index about to be built replaces this one
		}
		covered := map[uint64]bool{}
		for _, s := range segs {
			for _, f := range s.Fragments {
				covered[uint64(f)] = true
			}
		}
		var unindexed []uint64
		var rows uint64
		for _, f := range ds.Fragments() {
			if !covered[f.ID] && f.Rows() > 0 {
				unindexed = append(unindexed, f.ID)
				rows += f.Rows()
			}
		}
		switch {
		case p.DeltaMinRows > 0 && rows >= p.DeltaMinRows:
			why = append(why, fmt.Sprintf("index %s: %d rows in %d fragments are not indexed (threshold %d)", name, rows, len(unindexed), p.DeltaMinRows))
		case p.MaxSegments > 0 && len(segs) > p.MaxSegments:
			why = append(why, fmt.Sprintf("index %s has %d segments (at most %d)", name, len(segs), p.MaxSegments))
		default:
			continue
		}
		w := indexWork{col: cols[i], name: name, segs: segs, unindexed: unindexed}
		if isDeclared[name] {
			w.declared = indexspec.ConfigPrefix + name
		}
		work = append(work, w)
	}
	return work, why
}

// NeedsIndex implements Indexer.
func (IVFPQIndexer) NeedsIndex(_ context.Context, ds *lance.Dataset, p IndexPolicy) (string, bool, error) {
	work, why, err := pending(ds, p)
	if err != nil || len(work) == 0 {
		return "", false, err
	}
	return strings.Join(why, "; "), true, nil
}

// BuildIndex implements Indexer: each pending index, committed on its own.
func (IVFPQIndexer) BuildIndex(ctx context.Context, ds *lance.Dataset, p IndexPolicy) (*lance.Dataset, map[string]int64, error) {
	work, _, err := pending(ds, p)
	if err != nil {
		return nil, nil, err
	}
	stats := map[string]int64{}
	for _, w := range work {
		if w.segs != nil {
			if ds, err = maintain(ctx, ds, w, p, stats); err != nil {
				return nil, nil, fmt.Errorf("index %s on %s: %w", w.name, w.col.name, err)
			}
			continue
		}
		vecs, addrs, err := readVectors(ctx, ds, w.col, nil)
		if err != nil {
			return nil, nil, err
		}
		if len(addrs) == 0 {
			continue // nothing to index yet; the next write wakes the agent again
		}
		if w.typ == indexspec.IVFHNSWSQ {
			hx, err := hnsw.Build(ctx, vecs, addrs, w.col.dim, w.hnswOpts)
			if err != nil {
				return nil, nil, fmt.Errorf("index %s on %s: %w", w.name, w.col.name, err)
			}
			if ds, err = lanceindex.WriteHNSWSQWith(ctx, ds, w.col.name, hx, w.name, w.write); err != nil {
				return nil, nil, fmt.Errorf("index %s on %s: %w", w.name, w.col.name, err)
			}
			stats["indexes_built"]++
			stats["rows_indexed"] += int64(len(addrs))
			stats["partitions"] += int64(len(hx.Partitions))
			continue
		}
		ix, err := ivfpq.Build(ctx, vecs, addrs, w.col.dim, w.opts)
		if err != nil {
			return nil, nil, fmt.Errorf("index %s on %s: %w", w.name, w.col.name, err)
		}
		if ds, err = lanceindex.WriteIVFPQWith(ctx, ds, w.col.name, ix, w.name, w.write); err != nil {
			return nil, nil, fmt.Errorf("index %s on %s: %w", w.name, w.col.name, err)
		}
		stats["indexes_built"]++
		stats["rows_indexed"] += int64(len(addrs))
		stats["partitions"] += int64(len(ix.Partitions))
		stats["sub_vectors"] = int64(ix.PQ.M)
	}
	return ds, stats, nil
}

// maintain brings an index's segments up to date, as one commit:
//
//   - a delta: the rows of the unindexed fragments encoded with the index's
//     model (its centroids and codebook), a new segment of the same name;
//   - a merge, when the delta would make more than MaxSegments segments:
//     every segment and the delta as one segment, same model;
//   - a retrain, when the new rows' mean IVF loss exceeds RetrainDrift ×
//     the indexed rows' (the data has drifted from the model): a new index
//     over all rows, with as many partitions and sub-vectors as before.
//
// Merges and retrains replace the old segments in the same commit.
func maintain(ctx context.Context, ds *lance.Dataset, w indexWork, p IndexPolicy, stats map[string]int64) (*lance.Dataset, error) {
	uuids := make([]string, 0, len(w.segs))
	for _, info := range w.segs {
		uuids = append(uuids, info.UUID)
	}
	typ, err := lanceindex.IndexType(ctx, ds, w.segs[0])
	if errors.Is(err, lance.ErrUnsupported) {
		stats["indexes_skipped"]++ // an index file lancegate cannot read (yet)
		return ds, nil
	}
	if err != nil {
		return nil, err
	}
	if typ == indexspec.IVFHNSWSQ {
		return rebuildHNSW(ctx, ds, w, uuids, stats)
	}
	models := make([]*lanceindex.IVFPQ, 0, len(w.segs))
	for _, info := range w.segs {
		m, err := lanceindex.OpenIVFPQ(ctx, ds, info)
		if errors.Is(err, lance.ErrUnsupported) {
			stats["indexes_skipped"]++ // another index type: not maintained here yet
			return ds, nil
		}
		if err != nil {
			return nil, err
		}
		models = append(models, m)
	}
	base := models[0]
	var delta *ivfpq.Index
	if len(w.unindexed) > 0 {
		vecs, addrs, err := readVectors(ctx, ds, w.col, w.unindexed)
		if err != nil {
			return nil, err
		}
		if len(addrs) > 0 {
			if delta, err = base.Model().Delta(ctx, vecs, addrs, 0); err != nil {
				return nil, err
			}
		}
	}
	indexedRows, indexedLoss := 0, 0.0
	for _, m := range models {
		indexedRows += m.Len()
		indexedLoss += m.Loss()
	}
	if delta != nil && indexedLoss > 0 && indexedRows > 0 {
		before := indexedLoss / float64(indexedRows)
		after := delta.Loss / float64(delta.Rows())
		if after > p.RetrainDrift*before {
			stats["retrained"]++
			stats["drift_permille"] = int64(1000 * after / before)
			vecs, addrs, err := readVectors(ctx, ds, w.col, nil)
			if err != nil {
				return nil, err
			}
			ix, err := ivfpq.Build(ctx, vecs, addrs, w.col.dim, ivfpq.BuildOptions{
				Metric: base.Metric(), NumPartitions: base.NumPartitions(), NumSubVectors: base.NumSubVectors(),
			})
			if err != nil {
				return nil, err
			}
			stats["rows_indexed"] += int64(len(addrs))
			return lanceindex.WriteIVFPQWith(ctx, ds, w.col.name, ix, w.name, lanceindex.WriteOptions{Replaces: uuids, RequireConfig: w.declared, Fragments: allFragments(ds)})
		}
	}
	if delta != nil && (p.MaxSegments <= 0 || len(w.segs)+1 <= p.MaxSegments) {
		stats["deltas"]++
		stats["rows_indexed"] += int64(delta.Rows())
		frags := make([]uint32, len(w.unindexed))
		for i, f := range w.unindexed {
			frags[i] = uint32(f)
		}
		return lanceindex.WriteIVFPQWith(ctx, ds, w.col.name, delta, w.name, lanceindex.WriteOptions{Requires: uuids, RequireConfig: w.declared, Fragments: frags})
	}
	// No delta (the unindexed fragments hold only NULL vectors) or too
	// many segments: merge, recording the unindexed fragments as covered
	// so that they stop asking for work.
	// Merge every segment (and the delta) into one, same model.
	parts := make([]ivfpq.Partition, base.NumPartitions())
	loss := 0.0
	all := models[:len(models):len(models)]
	var extra []*ivfpq.Index
	if delta != nil {
		extra = append(extra, delta)
		loss += delta.Loss
	}
	for _, m := range all {
		extra = append(extra, m.Model())
		loss += m.Loss()
	}
	for _, m := range extra {
		if len(m.Partitions) != len(parts) {
			return nil, fmt.Errorf("segments disagree: %d and %d partitions", len(m.Partitions), len(parts))
		}
		for i, part := range m.Partitions {
			parts[i].RowIDs = append(parts[i].RowIDs, part.RowIDs...)
			parts[i].Codes = append(parts[i].Codes, part.Codes...)
		}
	}
	model := base.Model()
	merged, err := ivfpq.FromParts(model.Metric, model.Dim, model.Centroids, model.PQ, parts)
	if err != nil {
		return nil, err
	}
	merged.Loss = loss
	stats["merged_segments"] += int64(len(w.segs))
	if delta != nil {
		stats["rows_indexed"] += int64(delta.Rows())
	}
	return lanceindex.WriteIVFPQWith(ctx, ds, w.col.name, merged, w.name, lanceindex.WriteOptions{Replaces: uuids, RequireConfig: w.declared, Fragments: covering(w.segs, w.unindexed)})
}

// rebuildHNSW maintains an IVF_HNSW_SQ index by rebuilding it over all
// rows with its own parameters, replacing its segments: graphs are not
// extended in place (a delta would need its own graphs, and Lance's remap
// rebuilds them too).
func rebuildHNSW(ctx context.Context, ds *lance.Dataset, w indexWork, uuids []string, stats map[string]int64) (*lance.Dataset, error) {
	old, err := lanceindex.OpenHNSWSQ(ctx, ds, w.segs[0])
	if err != nil {
		return nil, err
	}
	m := old.Model()
	vecs, addrs, err := readVectors(ctx, ds, w.col, nil)
	if err != nil {
		return nil, err
	}
	hx, err := hnsw.Build(ctx, vecs, addrs, w.col.dim, hnsw.BuildOptions{
		Metric: old.Metric(), NumPartitions: min(old.NumPartitions(), len(addrs)), M: m.M, EfConstruction: m.EfConstruction, SingleRange: true,
	})
	if err != nil {
		return nil, err
	}
	stats["rebuilt"]++
	stats["rows_indexed"] += int64(len(addrs))
	return lanceindex.WriteHNSWSQWith(ctx, ds, w.col.name, hx, w.name, lanceindex.WriteOptions{Replaces: uuids, RequireConfig: w.declared, Fragments: allFragments(ds)})
}

// readVectors reads a vector column's non-null values and their row
// addresses, from the given fragments (nil: all).
func readVectors(ctx context.Context, ds *lance.Dataset, col vectorColumn, frags []uint64) ([]float32, []uint64, error) {
	sc, err := ds.Scan(lance.ScanOptions{Columns: []int{col.index}, WithRowAddress: true, Fragments: frags})
	if err != nil {
		return nil, nil, err
	}
	defer sc.Close()
	var vecs []float32
	var addrs []uint64
	for {
		rec, err := sc.Next(ctx)
		if errors.Is(err, io.EOF) {
			return vecs, addrs, nil
		}
		if err != nil {
			return nil, nil, err
		}
		list := rec.Column(0).(*array.FixedSizeList)
		values := list.ListValues().(*array.Float32).Float32Values()
		rowAddr := rec.Column(1).(*array.Uint64).Uint64Values()
		for i := range int(rec.NumRows()) {
			if list.IsNull(i) {
				continue
			}
			off := (list.Offset() + i) * col.dim
			vecs = append(vecs, values[off:off+col.dim]...)
			addrs = append(addrs, rowAddr[i])
		}
		rec.Release()
	}
}
