package lance

import (
	"errors"
	"testing"

	"github.com/lancegate/lancegate/storage/lance/pb"
)

// TestCheckConflictCreateIndex pins the rebase rules of CreateIndex.
func TestCheckConflictCreateIndex(t *testing.T) {
	named := func(name string, covered []uint32) *pb.Transaction {
		tx := txnCreateIndex(t, covered)
		tx.GetCreateIndex().NewIndices[0].Name = name
		return tx
	}
	ours := named("idx", []uint32{1, 2})
	tests := []struct {
		name    string
		other   *pb.Transaction
		rebased bool
	}{
		{"append", txnAppend(), true},
		{"reserve fragments", txnOf(&pb.Transaction_ReserveFragments{NumFragments: 1}), true},
		{"update config", txnOf(&pb.Transaction_UpdateConfig{}), true},
		{"delete elsewhere", txnDelete([]uint64{3}, 4), true},
		{"delete in a covered fragment", txnDelete([]uint64{2}), false},
		{"delete removing a covered fragment", txnDelete(nil, 1), false},
		{"update elsewhere", txnUpdate([]uint64{5}), true},
		{"update of a covered fragment", txnUpdate(nil, 1), false},
		{"rewrite elsewhere", txnRewrite(3, 4), true},
		{"rewrite of a covered fragment", txnRewrite(2, 3), false},
		{"index of another name", named("other", []uint32{1}), true},
		{"index of the same name", named("idx", []uint32{7}), false},
		{"overwrite", txnOverwrite(), false},
		{"restore", txnOf(&pb.Transaction_Restore{Version: 1}), false},
		{"merge", txnOf(&pb.Transaction_Merge{}), false},
		{"project", txnOf(&pb.Transaction_Project{}), false},
		{"unknown", &pb.Transaction{}, false},
	}
	for _, tt := range tests {
		err := checkConflict(ours, tt.other, 9)
		if tt.rebased && err != nil {
			t.Errorf("%s: %v; want rebase", tt.name, err)
		}
		if !tt.rebased && !errors.Is(err, ErrCommitConflict) {
			t.Errorf("%s: %v; want ErrCommitConflict", tt.name, err)
		}
	}
}
