package lance

import (
	"context"
	"errors"
	"fmt"

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
//   - Delete, Update, Merge (add column) and Project (drop column) rebase
//     only over Append and CreateIndex; otherwise the caller re-runs the
//     statement on the new version.
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
	default:
		switch other.Operation.(type) {
		case *pb.Transaction_Append_, *pb.Transaction_CreateIndex_:
			return nil
		}
		return conflict()
	}
}

// IsConflict reports whether err is a commit conflict, which a caller may
// answer by re-running its statement on the newest version.
func IsConflict(err error) bool { return errors.Is(err, ErrCommitConflict) }
