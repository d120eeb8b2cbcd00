package lance

import (
	"bytes"
	"errors"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/lancegate/lancegate/storage/lance/pb"
)

// Transactions for the conflict matrix. Fragment ids say what each touches.
func txnAppend() *pb.Transaction {
	return &pb.Transaction{Operation: &pb.Transaction_Append_{Append: &pb.Transaction_Append{}}}
}

func txnOverwrite() *pb.Transaction {
	return &pb.Transaction{Operation: &pb.Transaction_Overwrite_{Overwrite: &pb.Transaction_Overwrite{}}}
}

func txnDelete(updated []uint64, removed ...uint64) *pb.Transaction {
	op := &pb.Transaction_Delete{DeletedFragmentIds: removed}
	for _, id := range updated {
		op.UpdatedFragments = append(op.UpdatedFragments, &pb.DataFragment{Id: id})
	}
	return &pb.Transaction{Operation: &pb.Transaction_Delete_{Delete: op}}
}

func txnUpdate(updated []uint64, removed ...uint64) *pb.Transaction {
	op := &pb.Transaction_Update{RemovedFragmentIds: removed}
	for _, id := range updated {
		op.UpdatedFragments = append(op.UpdatedFragments, &pb.DataFragment{Id: id})
	}
	return &pb.Transaction{Operation: &pb.Transaction_Update_{Update: op}}
}

func txnRewrite(old ...uint64) *pb.Transaction {
	g := &pb.Transaction_Rewrite_RewriteGroup{NewFragments: []*pb.DataFragment{{}}}
	for _, id := range old {
		g.OldFragments = append(g.OldFragments, &pb.DataFragment{Id: id})
	}
	return &pb.Transaction{Operation: &pb.Transaction_Rewrite_{Rewrite: &pb.Transaction_Rewrite{Groups: []*pb.Transaction_Rewrite_RewriteGroup{g}}}}
}

// txnRewriteLegacy lists the old fragments in the deprecated top-level
// field, as writers before rewrite groups did.
func txnRewriteLegacy(old ...uint64) *pb.Transaction {
	op := &pb.Transaction_Rewrite{}
	for _, id := range old {
		op.OldFragments = append(op.OldFragments, &pb.DataFragment{Id: id})
	}
	return &pb.Transaction{Operation: &pb.Transaction_Rewrite_{Rewrite: op}}
}

// txnCreateIndex makes a CreateIndex of one index covering covered (nil:
// an index that records no fragment bitmap).
func txnCreateIndex(t *testing.T, covered []uint32) *pb.Transaction {
	t.Helper()
	im := &pb.IndexMetadata{Name: "idx"}
	if covered != nil {
		var buf bytes.Buffer
		if _, err := roaring.BitmapOf(covered...).WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		im.FragmentBitmap = buf.Bytes()
	}
	return &pb.Transaction{Operation: &pb.Transaction_CreateIndex_{CreateIndex: &pb.Transaction_CreateIndex{NewIndices: []*pb.IndexMetadata{im}}}}
}

func txnOf(op any) *pb.Transaction {
	switch o := op.(type) {
	case *pb.Transaction_Merge:
		return &pb.Transaction{Operation: &pb.Transaction_Merge_{Merge: o}}
	case *pb.Transaction_Project:
		return &pb.Transaction{Operation: &pb.Transaction_Project_{Project: o}}
	case *pb.Transaction_Restore:
		return &pb.Transaction{Operation: &pb.Transaction_Restore_{Restore: o}}
	case *pb.Transaction_ReserveFragments:
		return &pb.Transaction{Operation: &pb.Transaction_ReserveFragments_{ReserveFragments: o}}
	case *pb.Transaction_UpdateConfig:
		return &pb.Transaction{Operation: &pb.Transaction_UpdateConfig_{UpdateConfig: o}}
	case *pb.Transaction_DataReplacement:
		return &pb.Transaction{Operation: &pb.Transaction_DataReplacement_{DataReplacement: o}}
	}
	panic("txnOf: unexpected operation")
}

// TestCheckConflict pins the rebase rules of Rewrite, and of Delete and
// Update against a Rewrite; rebased means checkConflict returns nil.
func TestCheckConflict(t *testing.T) {
	tests := []struct {
		name    string
		ours    *pb.Transaction
		other   *pb.Transaction
		rebased bool
	}{
		{"rewrite over append", txnRewrite(1, 2), txnAppend(), true},
		{"rewrite over reserve fragments", txnRewrite(1, 2), txnOf(&pb.Transaction_ReserveFragments{NumFragments: 2}), true},
		{"rewrite over update config", txnRewrite(1, 2), txnOf(&pb.Transaction_UpdateConfig{}), true},
		{"rewrite over delete elsewhere", txnRewrite(1, 2), txnDelete([]uint64{3}, 4), true},
		{"rewrite over delete of a rewritten fragment", txnRewrite(1, 2), txnDelete([]uint64{2}), false},
		{"rewrite over delete removing a rewritten fragment", txnRewrite(1, 2), txnDelete(nil, 1), false},
		{"rewrite over update elsewhere", txnRewrite(1, 2), txnUpdate([]uint64{3}), true},
		{"rewrite over update of a rewritten fragment", txnRewrite(1, 2), txnUpdate(nil, 2), false},
		{"rewrite over rewrite elsewhere", txnRewrite(1, 2), txnRewrite(3, 4), true},
		{"rewrite over rewrite of the same fragments", txnRewrite(1, 2), txnRewrite(2, 3), false},
		{"rewrite over legacy rewrite of the same fragments", txnRewrite(1, 2), txnRewriteLegacy(2), false},
		{"rewrite over index elsewhere", txnRewrite(1, 2), txnCreateIndex(t, []uint32{0, 3}), true},
		{"rewrite over index of a rewritten fragment", txnRewrite(1, 2), txnCreateIndex(t, []uint32{2}), false},
		{"rewrite over index without bitmap", txnRewrite(1, 2), txnCreateIndex(t, nil), false},
		{"rewrite over overwrite", txnRewrite(1), txnOverwrite(), false},
		{"rewrite over restore", txnRewrite(1), txnOf(&pb.Transaction_Restore{Version: 1}), false},
		{"rewrite over merge", txnRewrite(1), txnOf(&pb.Transaction_Merge{}), false},
		{"rewrite over project", txnRewrite(1), txnOf(&pb.Transaction_Project{}), false},
		{"rewrite over data replacement", txnRewrite(1), txnOf(&pb.Transaction_DataReplacement{}), false},
		{"rewrite over unknown", txnRewrite(1), &pb.Transaction{}, false},
		{"delete over rewrite elsewhere", txnDelete([]uint64{5}), txnRewrite(1, 2), true},
		{"delete over rewrite of its fragment", txnDelete([]uint64{2}), txnRewrite(1, 2), false},
		{"delete removing a rewritten fragment", txnDelete(nil, 1), txnRewrite(1, 2), false},
		{"delete over reserve fragments", txnDelete([]uint64{1}), txnOf(&pb.Transaction_ReserveFragments{NumFragments: 1}), true},
		{"delete over delete", txnDelete([]uint64{1}), txnDelete([]uint64{2}), false},
		{"update over rewrite elsewhere", txnUpdate([]uint64{5}, 6), txnRewrite(1, 2), true},
		{"update over rewrite of its fragment", txnUpdate(nil, 1), txnRewrite(1, 2), false},
		{"append over rewrite", txnAppend(), txnRewrite(1, 2), true},
		{"overwrite over rewrite", txnOverwrite(), txnRewrite(1, 2), true},
		{"merge over rewrite", txnOf(&pb.Transaction_Merge{}), txnRewrite(1), false},
		{"project over rewrite", txnOf(&pb.Transaction_Project{}), txnRewrite(1), false},
		{"project over reserve fragments", txnOf(&pb.Transaction_Project{}), txnOf(&pb.Transaction_ReserveFragments{}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkConflict(tt.ours, tt.other, 7)
			if tt.rebased && err != nil {
				t.Errorf("checkConflict = %v; want nil (rebase)", err)
			}
			if !tt.rebased && !errors.Is(err, ErrCommitConflict) {
				t.Errorf("checkConflict = %v; want ErrCommitConflict", err)
			}
		})
	}
	if err := checkConflict(txnRewrite(1), nil, 3); !errors.Is(err, ErrCommitConflict) {
		t.Errorf("checkConflict(no recorded transaction) = %v; want ErrCommitConflict", err)
	}
}

// TestRequireUnchanged: a commit that rewrites fragments refuses to land
// when one of them is gone or carries other files than it read.
func TestRequireUnchanged(t *testing.T) {
	frag := func(id uint64, file string, del uint64) *pb.DataFragment {
		f := &pb.DataFragment{Id: id, PhysicalRows: 10, Files: []*pb.DataFile{{Path: file}}}
		if del != 0 {
			f.DeletionFile = &pb.DeletionFile{Id: del, NumDeletedRows: 1}
		}
		return f
	}
	base := &pb.Manifest{Fragments: []*pb.DataFragment{frag(0, "a", 0), frag(1, "b", 7), frag(2, "c", 0)}}
	tests := []struct {
		name   string
		latest []*pb.DataFragment
		ids    []uint64
		ok     bool
	}{
		{"unchanged, others added", []*pb.DataFragment{frag(0, "a", 0), frag(1, "b", 7), frag(2, "c", 0), frag(3, "d", 0)}, []uint64{0, 1}, true},
		{"other fragment changed", []*pb.DataFragment{frag(0, "a", 0), frag(1, "b", 7), frag(2, "c", 9)}, []uint64{0, 1}, true},
		{"fragment removed", []*pb.DataFragment{frag(1, "b", 7), frag(2, "c", 0)}, []uint64{0, 1}, false},
		{"new deletion file", []*pb.DataFragment{frag(0, "a", 5), frag(1, "b", 7)}, []uint64{0}, false},
		{"deletion file replaced", []*pb.DataFragment{frag(0, "a", 0), frag(1, "b", 8)}, []uint64{1}, false},
		{"data file replaced", []*pb.DataFragment{frag(0, "x", 0)}, []uint64{0}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := requireUnchanged(&pb.Manifest{Version: 4, Fragments: tt.latest}, base, tt.ids)
			if tt.ok && err != nil {
				t.Errorf("requireUnchanged = %v; want nil", err)
			}
			if !tt.ok && !errors.Is(err, ErrCommitConflict) {
				t.Errorf("requireUnchanged = %v; want ErrCommitConflict", err)
			}
		})
	}
}
