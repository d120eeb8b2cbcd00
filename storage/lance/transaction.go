package lance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/RoaringBitmap/roaring/v2"
	"google.golang.org/protobuf/proto"

	"github.com/lancegate/lancegate/storage/lance/pb"
	"github.com/lancegate/lancegate/storage/objstore"
)

// Every commit writes its Transaction protobuf, raw and without a length
// prefix, to _transactions/{read_version}-{uuid}.txn and names it in the
// manifest's transaction_file. A concurrent writer (lancegate or pylance)
// reads the transactions committed after its read version to decide
// whether its own commit still applies; pylance fails outright on a
// manifest that names no transaction.
const transactionsDir = "_transactions"

func transactionFileName(t *pb.Transaction) string {
	return fmt.Sprintf("%d-%s.txn", t.ReadVersion, t.Uuid)
}

// readTransaction loads the transaction that produced manifest m, or nil
// when the manifest records none.
func readTransaction(ctx context.Context, store objstore.Store, root string, m *pb.Manifest) (*pb.Transaction, error) {
	if m.TransactionFile == "" {
		return nil, nil
	}
	key := objstore.Join(root, transactionsDir, m.TransactionFile)
	b, err := objstore.ReadAll(ctx, store, key)
	if err != nil {
		return nil, fmt.Errorf("read transaction %s: %w", key, err)
	}
	t := &pb.Transaction{}
	if err := proto.Unmarshal(b, t); err != nil {
		return nil, fmt.Errorf("%w: transaction %s: %v", ErrCorrupt, key, err)
	}
	return t, nil
}

// operationName names a transaction's operation as pylance does.
func operationName(t *pb.Transaction) string {
	switch t.Operation.(type) {
	case *pb.Transaction_Append_:
		return "Append"
	case *pb.Transaction_Delete_:
		return "Delete"
	case *pb.Transaction_Overwrite_:
		return "Overwrite"
	case *pb.Transaction_CreateIndex_:
		return "CreateIndex"
	case *pb.Transaction_Rewrite_:
		return "Rewrite"
	case *pb.Transaction_Merge_:
		return "Merge"
	case *pb.Transaction_Restore_:
		return "Restore"
	case *pb.Transaction_ReserveFragments_:
		return "ReserveFragments"
	case *pb.Transaction_Update_:
		return "Update"
	case *pb.Transaction_Project_:
		return "Project"
	case *pb.Transaction_UpdateConfig_:
		return "UpdateConfig"
	case *pb.Transaction_DataReplacement_:
		return "DataReplacement"
	case *pb.Transaction_UpdateMemWalState_:
		return "UpdateMemWalState"
	case *pb.Transaction_Clone_:
		return "Clone"
	case *pb.Transaction_UpdateBases_:
		return "UpdateBases"
	}
	return "Unknown"
}

// checkConflict decides whether ours may be rebased over other, a
// transaction committed after ours was read. The policy is never more
// permissive than pylance's resolver, so a dataset two writers share is
// never left inconsistent:
//
//   - Append rebases over anything but Overwrite, Restore, UpdateMemWalState
//     and operations lancegate does not know.
//   - Overwrite rebases over anything but another Overwrite or UpdateConfig.
//   - Rewrite (compaction) rebases over Append, ReserveFragments and
//     UpdateConfig; over Delete, Update and Rewrite that touched none of the
//     fragments it rewrites; and over CreateIndex whose new indices all
//     record fragment bitmaps that cover none of them (lancegate does not
//     remap indices yet). Overwrite, Restore, Merge and Project (schema
//     changes) and everything else conflict.
//   - Delete and Update rebase over Append, CreateIndex, UpdateConfig and
//     ReserveFragments, and over a Rewrite that touched none of their
//     fragments; otherwise the caller re-runs the statement on the new
//     version.
//   - Merge (add column) and Project (drop column) rebase only over
//     Append, CreateIndex and UpdateConfig.
//   - UpdateConfig rebases over every known operation but Restore and an
//     UpdateConfig that changed one of the same keys.
//   - CreateIndex rebases over Append (the new fragments are simply not
//     covered), ReserveFragments and UpdateConfig; over Delete, Update and
//     Rewrite that touched none of the fragments its new indices cover
//     (Lance lets a delete through, as queries mask deleted rows, but
//     lancegate stays conservative); and over CreateIndex whose new indices
//     have other names. Overwrite, Restore, Merge, Project, a CreateIndex of
//     the same name and everything else conflict.
//
// Rebasing is checked twice: here by operation, and again when the next
// manifest is built, where Delete, Update and Rewrite refuse to commit
// unless each fragment they change is still in the newest manifest exactly
// as they read it.
//
// It returns nil to rebase or an error wrapping ErrCommitConflict.
func checkConflict(ours, other *pb.Transaction, otherVersion uint64) error {
	if other == nil {
		return fmt.Errorf("%w: version %d records no transaction, so concurrent changes cannot be checked", ErrCommitConflict, otherVersion)
	}
	conflict := func() error {
		return fmt.Errorf("%w: %s at version %d conflicts with this %s", ErrCommitConflict, operationName(other), otherVersion, operationName(ours))
	}
	known := operationName(other) != "Unknown"
	switch ours.Operation.(type) {
	case *pb.Transaction_Append_:
		switch other.Operation.(type) {
		case *pb.Transaction_Overwrite_, *pb.Transaction_Restore_, *pb.Transaction_UpdateMemWalState_:
			return conflict()
		}
		if !known {
			return conflict()
		}
		return nil
	case *pb.Transaction_Overwrite_:
		switch other.Operation.(type) {
		case *pb.Transaction_Overwrite_, *pb.Transaction_UpdateConfig_:
			return conflict()
		}
		if !known {
			return conflict()
		}
		return nil
	case *pb.Transaction_Rewrite_:
		switch op := other.Operation.(type) {
		case *pb.Transaction_Append_, *pb.Transaction_ReserveFragments_, *pb.Transaction_UpdateConfig_:
			return nil
		case *pb.Transaction_Delete_, *pb.Transaction_Update_, *pb.Transaction_Rewrite_:
			if overlaps(fragmentsTouched(ours), fragmentsTouched(other)) {
				return conflict()
			}
			return nil
		case *pb.Transaction_CreateIndex_:
			if indicesCover(op.CreateIndex.GetNewIndices(), fragmentsTouched(ours)) {
				return conflict()
			}
			return nil
		}
		return conflict()
	case *pb.Transaction_CreateIndex_:
		mine := ours.GetCreateIndex().GetNewIndices()
		switch op := other.Operation.(type) {
		case *pb.Transaction_Append_, *pb.Transaction_ReserveFragments_, *pb.Transaction_UpdateConfig_:
			return nil
		case *pb.Transaction_Delete_, *pb.Transaction_Update_, *pb.Transaction_Rewrite_:
			if indicesCover(mine, fragmentsTouched(other)) {
				return conflict()
			}
			return nil
		case *pb.Transaction_CreateIndex_:
			for _, a := range mine {
				for _, b := range op.CreateIndex.GetNewIndices() {
					if a.GetName() == b.GetName() {
						return conflict()
					}
				}
			}
			return nil
		}
		return conflict()
	case *pb.Transaction_Delete_, *pb.Transaction_Update_:
		switch other.Operation.(type) {
		case *pb.Transaction_Append_, *pb.Transaction_CreateIndex_, *pb.Transaction_ReserveFragments_, *pb.Transaction_UpdateConfig_:
			return nil
		case *pb.Transaction_Rewrite_:
			if overlaps(fragmentsTouched(ours), fragmentsTouched(other)) {
				return conflict()
			}
			return nil
		}
		return conflict()
	case *pb.Transaction_UpdateConfig_:
		switch other.Operation.(type) {
		case *pb.Transaction_UpdateConfig_:
			if overlapKeys(configKeys(ours), configKeys(other)) {
				return conflict()
			}
			return nil
		case *pb.Transaction_Restore_:
			return conflict()
		}
		if !known {
			return conflict()
		}
		return nil
	default:
		switch other.Operation.(type) {
		case *pb.Transaction_Append_, *pb.Transaction_CreateIndex_, *pb.Transaction_UpdateConfig_:
			return nil
		}
		return conflict()
	}
}

func overlapKeys(a, b map[string]bool) bool {
	for k := range a {
		if b[k] {
			return true
		}
	}
	return false
}

// fragmentsTouched returns the ids of the existing fragments a Delete,
// Update or Rewrite changes or removes (none for other operations). A
// Rewrite lists them in its groups, or, from old writers, in the
// deprecated top-level old_fragments.
func fragmentsTouched(t *pb.Transaction) map[uint64]bool {
	ids := map[uint64]bool{}
	switch op := t.Operation.(type) {
	case *pb.Transaction_Delete_:
		for _, f := range op.Delete.GetUpdatedFragments() {
			ids[f.Id] = true
		}
		for _, id := range op.Delete.GetDeletedFragmentIds() {
			ids[id] = true
		}
	case *pb.Transaction_Update_:
		for _, f := range op.Update.GetUpdatedFragments() {
			ids[f.Id] = true
		}
		for _, id := range op.Update.GetRemovedFragmentIds() {
			ids[id] = true
		}
	case *pb.Transaction_Rewrite_:
		for _, f := range op.Rewrite.GetOldFragments() {
			ids[f.Id] = true
		}
		for _, g := range op.Rewrite.GetGroups() {
			for _, f := range g.GetOldFragments() {
				ids[f.Id] = true
			}
		}
	}
	return ids
}

func overlaps(a, b map[uint64]bool) bool {
	for id := range a {
		if b[id] {
			return true
		}
	}
	return false
}

// indicesCover reports whether any of indices may cover one of the
// fragments ids.
func indicesCover(indices []*pb.IndexMetadata, ids map[uint64]bool) bool {
	covered := indexCoverage(indices)
	for id := range ids {
		if covered(id) {
			return true
		}
	}
	return false
}

// indexCoverage returns a func reporting whether any of indices may cover
// fragment id. An index without a fragment bitmap (or with one that does
// not decode) is taken to cover everything, as pylance's resolver does.
func indexCoverage(indices []*pb.IndexMetadata) func(id uint64) bool {
	bms := make([]*roaring.Bitmap, 0, len(indices))
	for _, im := range indices {
		bm, ok := fragmentBitmap(im)
		if !ok {
			return func(uint64) bool { return true }
		}
		bms = append(bms, bm)
	}
	return func(id uint64) bool {
		for _, bm := range bms {
			if id > math.MaxUint32 || bm.Contains(uint32(id)) {
				return true
			}
		}
		return false
	}
}

// fragmentBitmap decodes an index's fragment bitmap (a portable 32-bit
// roaring bitmap of the fragment ids it covers); ok is false when the
// index records none or it does not decode.
func fragmentBitmap(im *pb.IndexMetadata) (*roaring.Bitmap, bool) {
	if len(im.GetFragmentBitmap()) == 0 {
		return nil, false
	}
	bm := roaring.New()
	if _, err := bm.ReadFrom(bytes.NewReader(im.GetFragmentBitmap())); err != nil {
		return nil, false
	}
	return bm, true
}

// IsConflict reports whether err is a commit conflict, which a caller may
// answer by re-running its statement on the newest version.
func IsConflict(err error) bool { return errors.Is(err, ErrCommitConflict) }
