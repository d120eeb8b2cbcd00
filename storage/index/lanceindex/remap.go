package lanceindex

import (
	"context"
	"errors"

	"github.com/lancegate/lancegate/storage/index/ivfpq"
	"github.com/lancegate/lancegate/storage/lance"
)

// RemapIVFPQ is a lance.IndexRemapper for IVF_PQ indexes: compaction moved
// rows, so it rewrites both index files under a new uuid with every row
// address passed through remap, dropping the rows compaction dropped
// (deleted ones). Centroids, codebook and codes are kept: nothing is
// re-encoded, as Lance's remap does (docs/vector-index.md §1.6).
func RemapIVFPQ(ctx context.Context, ds *lance.Dataset, info lance.IndexInfo, remap *lance.RowRemap) (lance.NewIndex, error) {
	x, err := OpenIVFPQ(ctx, ds, info)
	if err != nil {
		return lance.NewIndex{}, err
	}
	model := x.Model()
	m := model.PQ.M
	parts := make([]ivfpq.Partition, len(model.Partitions))
	for p, part := range model.Partitions {
		for i, id := range part.RowIDs {
			nid, ok := remap.Map(id)
			if !ok {
				continue
			}
			parts[p].RowIDs = append(parts[p].RowIDs, nid)
			parts[p].Codes = append(parts[p].Codes, part.Codes[i*m:(i+1)*m]...)
		}
	}
	ix, err := ivfpq.FromParts(model.Metric, model.Dim, model.Centroids, model.PQ, parts)
	if err != nil {
		return lance.NewIndex{}, err
	}
	ix.Loss = x.Loss()
	idxBytes, err := encodeIndexFile(ix)
	if err != nil {
		return lance.NewIndex{}, err
	}
	auxBytes, frags, err := encodeAuxFile(ctx, ix)
	if err != nil {
		return lance.NewIndex{}, err
	}
	f := indexFiles{idx: idxBytes, aux: auxBytes, frags: frags, details: vectorIndexDetails(ix)}
	id, _, err := putFiles(ctx, ds, info.Name, f)
	if err != nil {
		return lance.NewIndex{}, err
	}
	var field int32
	if len(info.Fields) == 1 {
		field = info.Fields[0]
	}
	return f.newIndex(info.Name, id, field, WriteOptions{}), nil
}

// Remapper returns the remapper for compacting ds, or nil when one of its
// indexes is of a kind lancegate cannot remap yet (compaction then leaves
// the fragments indexes cover alone). It reads every index entry's
// metadata to check.
func Remapper(ctx context.Context, ds *lance.Dataset) (lance.IndexRemapper, error) {
	infos, err := ds.Indexes()
	if err != nil {
		return nil, err
	}
	for _, info := range infos {
		typ, err := IndexType(ctx, ds, info)
		if errors.Is(err, lance.ErrUnsupported) || err == nil && typ != typeIVFPQ {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
	}
	return RemapIVFPQ, nil
}
