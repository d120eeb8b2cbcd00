package lance

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"slices"
	"sort"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/lancegate/lancegate/storage/lance/deletion"
	"github.com/lancegate/lancegate/storage/lance/pb"
	"github.com/lancegate/lancegate/storage/objstore"
)

const deletionsDir = "_deletions"

// readDeletions reads the deleted row offsets of a fragment.
func (d *Dataset) readDeletions(ctx context.Context, f *pb.DataFragment) (*roaring.Bitmap, error) {
	df := f.DeletionFile
	if df == nil {
		return roaring.New(), nil
	}
	if df.BaseId != nil {
		return nil, fmt.Errorf("%w: deletion file of fragment %d lives under another base path", ErrUnsupported, f.Id)
	}
	key := objstore.Join(d.root, deletion.Path(f.Id, df.ReadVersion, df.Id, df.FileType))
	data, err := objstore.ReadAll(ctx, d.store, key)
	if err != nil {
		return nil, fmt.Errorf("read deletion file %s: %w", key, err)
	}
	bm, err := deletion.Decode(df.FileType, data)
	if err != nil {
		return nil, fmt.Errorf("deletion file %s: %w", key, err)
	}
	if df.NumDeletedRows != 0 && bm.GetCardinality() != df.NumDeletedRows {
		return nil, fmt.Errorf("%w: deletion file %s holds %d rows, manifest says %d", ErrCorrupt, key, bm.GetCardinality(), df.NumDeletedRows)
	}
	return bm, nil
}

// DeletedRows returns the deleted row offsets of fragment id in this
// version (empty when it has none).
func (d *Dataset) DeletedRows(ctx context.Context, id uint64) (*roaring.Bitmap, error) {
	for _, f := range d.manifest.Fragments {
		if f.Id == id {
			return d.readDeletions(ctx, f)
		}
	}
	return nil, fmt.Errorf("version %d has no fragment %d", d.Version(), id)
}

func randomU64() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

// deletionChanges writes new deletion files for the rows to delete (by
// fragment id, offsets within the fragment) merged with the existing ones.
// It returns the updated fragments, the ids of fragments left with no
// visible row, and the keys written.
func (d *Dataset) deletionChanges(ctx context.Context, rows map[uint64]*roaring.Bitmap) ([]*pb.DataFragment, []uint64, []string, error) {
	byID := make(map[uint64]*pb.DataFragment, len(d.manifest.Fragments))
	for _, f := range d.manifest.Fragments {
		byID[f.Id] = f
	}
	ids := make([]uint64, 0, len(rows))
	for id := range rows {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	var updated []*pb.DataFragment
	var removed []uint64
	var keys []string
	for _, id := range ids {
		del := rows[id]
		if del == nil || del.IsEmpty() {
			continue
		}
		f, ok := byID[id]
		if !ok {
			cleanup(d.store, keys)
			return nil, nil, nil, fmt.Errorf("delete: version %d has no fragment %d", d.Version(), id)
		}
		if max := del.Maximum(); uint64(max) >= f.PhysicalRows {
			cleanup(d.store, keys)
			return nil, nil, nil, fmt.Errorf("delete: fragment %d has %d rows, no row %d", id, f.PhysicalRows, max)
		}
		old, err := d.readDeletions(ctx, f)
		if err != nil {
			cleanup(d.store, keys)
			return nil, nil, nil, err
		}
		all := roaring.Or(old, del)
		if all.GetCardinality() == old.GetCardinality() {
			continue
		}
		if all.GetCardinality() >= f.PhysicalRows {
			removed = append(removed, id)
			continue
		}
		kind, data, err := deletion.Encode(all)
		if err != nil {
			cleanup(d.store, keys)
			return nil, nil, nil, err
		}
		dfile := &pb.DeletionFile{FileType: kind, ReadVersion: d.Version(), Id: randomU64(), NumDeletedRows: all.GetCardinality()}
		key := objstore.Join(d.root, deletion.Path(id, dfile.ReadVersion, dfile.Id, kind))
		if err := d.store.Put(ctx, key, bytes.NewReader(data)); err != nil {
			cleanup(d.store, keys)
			return nil, nil, nil, fmt.Errorf("write deletion file %s: %w", key, err)
		}
		keys = append(keys, key)
		nf := cloneFragment(f)
		nf.DeletionFile = dfile
		updated = append(updated, nf)
	}
	return updated, removed, keys, nil
}

// touchedIDs lists the ids of the fragments a delete changes or removes.
func touchedIDs(updated []*pb.DataFragment, removed []uint64) []uint64 {
	ids := slices.Clone(removed)
	for _, f := range updated {
		ids = append(ids, f.Id)
	}
	return ids
}

// applyDeletions replaces updated fragments (by id) and drops removed ones.
func applyDeletions(frags []*pb.DataFragment, updated []*pb.DataFragment, removed []uint64) []*pb.DataFragment {
	gone := make(map[uint64]bool, len(removed))
	for _, id := range removed {
		gone[id] = true
	}
	repl := make(map[uint64]*pb.DataFragment, len(updated))
	for _, f := range updated {
		repl[f.Id] = f
	}
	out := frags[:0:0]
	for _, f := range frags {
		if gone[f.Id] {
			continue
		}
		if r, ok := repl[f.Id]; ok {
			f = cloneFragment(r)
		}
		out = append(out, f)
	}
	return out
}

// Delete marks rows deleted in one commit. rows maps fragment ids to row
// offsets within each fragment (row address & 0xffffffff); predicate is
// recorded in the transaction for readers of the history. Fragments left
// without a visible row are removed. Deleting nothing returns d unchanged.
func (d *Dataset) Delete(ctx context.Context, rows map[uint64]*roaring.Bitmap, predicate string) (*Dataset, error) {
	updated, removed, keys, err := d.deletionChanges(ctx, rows)
	if err != nil {
		return nil, err
	}
	if len(updated) == 0 && len(removed) == 0 {
		return d, nil
	}
	txn := &pb.Transaction{Operation: &pb.Transaction_Delete_{Delete: &pb.Transaction_Delete{
		UpdatedFragments:   updated,
		DeletedFragmentIds: removed,
		Predicate:          predicate,
	}}}
	return commit(ctx, d.store, d.root, d, commitSpec{
		txn:     txn,
		format:  d.format,
		scheme:  d.scheme,
		written: keys,
		build: func(latest *pb.Manifest, idx *pb.IndexSection) (*pb.Manifest, *pb.IndexSection, error) {
			if err := requireUnchanged(latest, d.manifest, touchedIDs(updated, removed)); err != nil {
				return nil, nil, err
			}
			latest.Fragments = applyDeletions(latest.Fragments, updated, removed)
			return latest, idx, nil
		},
	})
}

// Update replaces rows in one commit: the rows named by deleted (as for
// Delete) are deleted and src's rows are added as new fragments.
func (d *Dataset) Update(ctx context.Context, deleted map[uint64]*roaring.Bitmap, src array.RecordReader, opts WriteOptions) (*Dataset, error) {
	frags, fileKeys, err := writeFragments(ctx, d.store, d.root, d.schema, d.format, src, opts)
	if err != nil {
		return nil, err
	}
	updated, removed, keys, err := d.deletionChanges(ctx, deleted)
	if err != nil {
		cleanup(d.store, fileKeys)
		return nil, err
	}
	keys = append(keys, fileKeys...)
	if len(updated) == 0 && len(removed) == 0 && len(frags) == 0 {
		return d, nil
	}
	txn := &pb.Transaction{Operation: &pb.Transaction_Update_{Update: &pb.Transaction_Update{
		RemovedFragmentIds: removed,
		UpdatedFragments:   updated,
		NewFragments:       frags,
	}}}
	return commit(ctx, d.store, d.root, d, commitSpec{
		txn:     txn,
		format:  d.format,
		scheme:  d.scheme,
		written: keys,
		build: func(latest *pb.Manifest, idx *pb.IndexSection) (*pb.Manifest, *pb.IndexSection, error) {
			if err := requireUnchanged(latest, d.manifest, touchedIDs(updated, removed)); err != nil {
				return nil, nil, err
			}
			next := nextFragmentID(latest)
			latest.Fragments = applyDeletions(latest.Fragments, updated, removed)
			latest.Fragments = append(latest.Fragments, numberFragments(frags, next)...)
			return latest, idx, nil
		},
	})
}
