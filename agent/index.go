package agent

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/lancegate/lancegate/storage/index/ivfpq"
	"github.com/lancegate/lancegate/storage/index/lanceindex"
	"github.com/lancegate/lancegate/storage/lance"
)

// IVFPQIndexer gives each vector column (fixed_size_list<float32>) of a
// table an IVF_PQ index once the table has IndexPolicy.MinRows rows: the
// automatic index policy. The index is written in Lance's layout
// (lanceindex.WriteIVFPQ), so pylance lists and uses it too. It covers the
// fragments it was built over; rows appended later stay unindexed (and are
// searched exactly) until delta indexes exist.
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

// unindexed lists the vector columns of ds that no index covers.
func unindexed(ds *lance.Dataset) ([]vectorColumn, error) {
	infos, err := ds.Indexes()
	if err != nil {
		return nil, err
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
		id := ds.Schema().FieldID(i)
		if !covered[id] {
			out = append(out, vectorColumn{index: i, name: f.Name, fieldID: id, dim: int(fsl.Len())})
		}
	}
	return out, nil
}

// NeedsIndex implements Indexer.
func (IVFPQIndexer) NeedsIndex(_ context.Context, ds *lance.Dataset, p IndexPolicy) (string, bool, error) {
	if !p.Enabled {
		return "", false, nil
	}
	rows := ds.CountRows()
	if rows < p.MinRows {
		return "", false, nil
	}
	cols, err := unindexed(ds)
	if err != nil || len(cols) == 0 {
		return "", false, err
	}
	return fmt.Sprintf("vector column %s has no index and the table has %d rows (threshold %d)", cols[0].name, rows, p.MinRows), true, nil
}

// BuildIndex implements Indexer: one IVF_PQ index per unindexed vector
// column, each committed on its own.
func (IVFPQIndexer) BuildIndex(ctx context.Context, ds *lance.Dataset, p IndexPolicy) (*lance.Dataset, map[string]int64, error) {
	cols, err := unindexed(ds)
	if err != nil {
		return nil, nil, err
	}
	stats := map[string]int64{}
	for _, col := range cols {
		vecs, addrs, err := readVectors(ctx, ds, col)
		if err != nil {
			return nil, nil, err
		}
		ix, err := ivfpq.Build(ctx, vecs, addrs, col.dim, ivfpq.BuildOptions{
			Metric: p.Metric, NumPartitions: p.NumPartitions, NumSubVectors: p.NumSubVectors,
		})
		if err != nil {
			return nil, nil, fmt.Errorf("index on %s: %w", col.name, err)
		}
		if ds, err = lanceindex.WriteIVFPQ(ctx, ds, col.name, ix, col.name+"_idx"); err != nil {
			return nil, nil, fmt.Errorf("index on %s: %w", col.name, err)
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
