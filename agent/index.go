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

// indexWork is one index to build.
type indexWork struct {
	col  vectorColumn
	name string
	opts ivfpq.BuildOptions
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
	for _, s := range declared {
		declaredOn[s.Column] = true
		if built[s.Name] || s.Type != indexspec.IVFPQ || ds.CountRows() == 0 {
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
		work = append(work, indexWork{col: cols[i], name: s.Name, opts: ivfpq.BuildOptions{Metric: m, NumPartitions: s.NumPartitions, NumSubVectors: s.NumSubVectors}})
		why = append(why, fmt.Sprintf("index %s on %s was created and is not built yet", s.Name, s.Column))
	}
	if p.Enabled && ds.CountRows() >= p.MinRows {
		for _, c := range cols {
			if covered[c.fieldID] || declaredOn[c.name] {
				continue
			}
			work = append(work, indexWork{col: c, name: c.name + "_idx", opts: ivfpq.BuildOptions{Metric: p.Metric, NumPartitions: p.NumPartitions, NumSubVectors: p.NumSubVectors}})
			why = append(why, fmt.Sprintf("vector column %s has no index and the table has %d rows (threshold %d)", c.name, ds.CountRows(), p.MinRows))
		}
	}
	return work, why, nil
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
		vecs, addrs, err := readVectors(ctx, ds, w.col)
		if err != nil {
			return nil, nil, err
		}
		if len(addrs) == 0 {
			continue // nothing to index yet; the next write wakes the agent again
		}
		ix, err := ivfpq.Build(ctx, vecs, addrs, w.col.dim, w.opts)
		if err != nil {
			return nil, nil, fmt.Errorf("index %s on %s: %w", w.name, w.col.name, err)
		}
		if ds, err = lanceindex.WriteIVFPQ(ctx, ds, w.col.name, ix, w.name); err != nil {
			return nil, nil, fmt.Errorf("index %s on %s: %w", w.name, w.col.name, err)
		}
		stats["indexes_built"]++
		stats["rows_indexed"] += int64(len(addrs))
		stats["partitions"] += int64(len(ix.Partitions))
		stats["sub_vectors"] = int64(ix.PQ.M)
	}
	return ds, stats, nil
}

// readVectors reads a vector column's non-null values and their row
// addresses.
func readVectors(ctx context.Context, ds *lance.Dataset, col vectorColumn) ([]float32, []uint64, error) {
	sc, err := ds.Scan(lance.ScanOptions{Columns: []int{col.index}, WithRowAddress: true})
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
