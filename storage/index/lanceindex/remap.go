package lanceindex

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/lancegate/lancegate/storage/index/ivfpq"
	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/objstore"
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
	auxBytes, _, err := encodeAuxFile(ctx, ix)
	if err != nil {
		return lance.NewIndex{}, err
	}
	id := uuid.NewString()
	dir := ds.IndexDir(lance.IndexInfo{UUID: id})
	var written []string
	for _, f := range []struct {
		name string
		data []byte
	}{{auxFile, auxBytes}, {indexFile, idxBytes}} {
		key := objstore.Join(dir, f.name)
		if err := ds.Store().Put(ctx, key, bytes.NewReader(f.data)); err != nil {
			removeKeys(ds.Store(), written)
			return lance.NewIndex{}, fmt.Errorf("remap index %q: %s: %w", info.Name, key, err)
		}
		written = append(written, key)
	}
	var field int32
	if len(info.Fields) == 1 {
		field = info.Fields[0]
	}
	return lance.NewIndex{
		Name: info.Name, UUID: id, FieldID: field,
		DetailsTypeURL: detailsURL, DetailsValue: vectorIndexDetails(ix),
		Files: []lance.IndexFile{{Path: auxFile, Size: uint64(len(auxBytes))}, {Path: indexFile, Size: uint64(len(idxBytes))}},
	}, nil
}

// Remapper returns the remapper for compacting ds, or nil when one of its
// indexes is of a kind lancegate cannot remap yet (compaction then leaves
// the fragments indexes cover alone). It opens every index entry to check.
func Remapper(ctx context.Context, ds *lance.Dataset) (lance.IndexRemapper, error) {
	infos, err := ds.Indexes()
	if err != nil {
		return nil, err
	}
	for _, info := range infos {
		if _, err := OpenIVFPQ(ctx, ds, info); err != nil {
			if errors.Is(err, lance.ErrUnsupported) {
				return nil, nil
			}
			return nil, err
		}
	}
	return RemapIVFPQ, nil
}
