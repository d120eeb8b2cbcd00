package lance

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/lancegate/lancegate/storage/lance/pb"
)

// UpdateConfig commits a version whose config map has upsert's keys set
// and deleteKeys removed, as an UpdateConfig transaction (pylance's
// update_config / delete_config_keys). Config entries are free-form
// strings; lancegate keeps its per-table settings there under
// "lancegate." (agent policies, declared indexes). Nothing else changes.
// It rebases over concurrent commits unless another UpdateConfig changed
// one of the same keys.
func (d *Dataset) UpdateConfig(ctx context.Context, upsert map[string]string, deleteKeys []string) (*Dataset, error) {
	if len(upsert) == 0 && len(deleteKeys) == 0 {
		return d, nil
	}
	for _, k := range deleteKeys {
		if _, ok := upsert[k]; ok {
			return nil, fmt.Errorf("update config: key %q both set and deleted", k)
		}
	}
	txn := &pb.Transaction{Operation: &pb.Transaction_UpdateConfig_{UpdateConfig: &pb.Transaction_UpdateConfig{
		UpsertValues: maps.Clone(upsert),
		DeleteKeys:   slices.Clone(deleteKeys),
	}}}
	return commit(ctx, d.store, d.root, d, commitSpec{
		txn:    txn,
		format: d.format,
		scheme: d.scheme,
		build: func(latest *pb.Manifest, idx *pb.IndexSection) (*pb.Manifest, *pb.IndexSection, error) {
			if latest.Config == nil {
				latest.Config = map[string]string{}
			}
			maps.Copy(latest.Config, upsert)
			for _, k := range deleteKeys {
				delete(latest.Config, k)
			}
			return latest, idx, nil
		},
	})
}

// configKeys returns the keys an UpdateConfig transaction changes.
func configKeys(t *pb.Transaction) map[string]bool {
	u := t.GetUpdateConfig()
	keys := map[string]bool{}
	for k := range u.GetUpsertValues() {
		keys[k] = true
	}
	for _, k := range u.GetDeleteKeys() {
		keys[k] = true
	}
	return keys
}

// DropIndex commits a version without the index entries named name (every
// delta of the index), as a CreateIndex transaction listing them as
// removed, which is how pylance's drop_index records it. The index files
// stay until CleanupOldVersions removes the versions that refer to them.
// It reports ErrNotFound when this version has no index of that name.
func (d *Dataset) DropIndex(ctx context.Context, name string) (*Dataset, error) {
	sec, err := d.indices()
	if err != nil {
		return nil, err
	}
	var removed []*pb.IndexMetadata
	for _, im := range sec.GetIndices() {
		if im.GetName() == name {
			removed = append(removed, proto.Clone(im).(*pb.IndexMetadata))
		}
	}
	if len(removed) == 0 {
		return nil, fmt.Errorf("%w: version %d has no index %q", ErrNotFound, d.Version(), name)
	}
	txn := &pb.Transaction{Operation: &pb.Transaction_CreateIndex_{CreateIndex: &pb.Transaction_CreateIndex{RemovedIndices: removed}}}
	return commit(ctx, d.store, d.root, d, commitSpec{
		txn:    txn,
		format: d.format,
		scheme: d.scheme,
		build: func(latest *pb.Manifest, idx *pb.IndexSection) (*pb.Manifest, *pb.IndexSection, error) {
			if idx == nil {
				return nil, nil, fmt.Errorf("%w: index %q was dropped concurrently", ErrNotFound, name)
			}
			kept := idx.Indices[:0]
			n := 0
			for _, im := range idx.Indices {
				if im.GetName() == name {
					n++
					continue
				}
				kept = append(kept, im)
			}
			if n == 0 {
				return nil, nil, fmt.Errorf("%w: index %q was dropped concurrently", ErrNotFound, name)
			}
			idx.Indices = kept
			return latest, idx, nil
		},
	})
}
