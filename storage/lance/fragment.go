package lance

import (
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/lancegate/lancegate/storage/lance/pb"
)

func cloneFragment(f *pb.DataFragment) *pb.DataFragment {
	return proto.Clone(f).(*pb.DataFragment)
}

// requireUnchanged fails with ErrCommitConflict unless every fragment in
// ids is in latest exactly as base has it: the same data files, deletion
// file and physical rows. A commit that rewrites deletion files or replaces
// fragments read them from base; if a concurrent commit has since removed,
// compacted or re-deleted one of them, its row offsets and deletion files
// no longer apply, and committing would lose that change or revive rows.
func requireUnchanged(latest, base *pb.Manifest, ids []uint64) error {
	have := make(map[uint64]*pb.DataFragment, len(latest.Fragments))
	for _, f := range latest.Fragments {
		have[f.Id] = f
	}
	was := make(map[uint64]*pb.DataFragment, len(ids))
	for _, f := range base.Fragments {
		was[f.Id] = f
	}
	for _, id := range ids {
		now, ok := have[id]
		if !ok {
			return fmt.Errorf("%w: fragment %d was removed by version %d", ErrCommitConflict, id, latest.Version)
		}
		then, ok := was[id]
		if !ok || !sameFragment(now, then) {
			return fmt.Errorf("%w: fragment %d was changed by version %d", ErrCommitConflict, id, latest.Version)
		}
	}
	return nil
}

// sameFragment reports whether two manifests' entries for one fragment id
// describe the same rows: same data files, deletion file and row count.
func sameFragment(a, b *pb.DataFragment) bool {
	return a.PhysicalRows == b.PhysicalRows &&
		proto.Equal(a.GetDeletionFile(), b.GetDeletionFile()) &&
		slices.EqualFunc(a.Files, b.Files, func(x, y *pb.DataFile) bool { return proto.Equal(x, y) })
}

// ChangedFragments returns, ascending, the ids of d's fragments that prev
// lacks or has with other data files or deletions: the fragments a commit
// from prev to d added or changed. Fragments it removed are not listed. A
// nil prev gives every fragment. It compares ids, row counts, file paths
// and deletion file ids, which commits never reuse, so it needs no deep
// comparison and no copy of either manifest.
func (d *Dataset) ChangedFragments(prev *Dataset) []uint64 {
	var old map[uint64]*pb.DataFragment
	if prev != nil {
		old = make(map[uint64]*pb.DataFragment, len(prev.manifest.Fragments))
		for _, f := range prev.manifest.Fragments {
			old[f.Id] = f
		}
	}
	var ids []uint64
	for _, f := range d.manifest.Fragments {
		if o, ok := old[f.Id]; !ok || !sameFiles(o, f) {
			ids = append(ids, f.Id)
		}
	}
	slices.Sort(ids)
	return ids
}

// sameFiles is a cheap form of sameFragment for fragments of one dataset:
// data files are named by UUID and deletion files by id, so equal names
// mean equal content.
func sameFiles(a, b *pb.DataFragment) bool {
	if a.PhysicalRows != b.PhysicalRows || len(a.Files) != len(b.Files) ||
		a.GetDeletionFile().GetId() != b.GetDeletionFile().GetId() ||
		a.GetDeletionFile().GetNumDeletedRows() != b.GetDeletionFile().GetNumDeletedRows() {
		return false
	}
	for i := range a.Files {
		if a.Files[i].GetPath() != b.Files[i].GetPath() {
			return false
		}
	}
	return true
}
