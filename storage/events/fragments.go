package events

import (
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/lance/pb"
)

// ChangedFragments returns, ascending, the ids of next's fragments that
// prev lacks or that differ from prev's (new data files, a new deletion
// file): the Fragments of the event for the commit from prev to next.
// Fragments the commit removed are not listed. A nil prev (a create) gives
// every fragment of next; a nil next (a drop) gives none.
func ChangedFragments(prev, next *lance.Dataset) []uint64 {
	if next == nil {
		return nil
	}
	old := map[uint64]*pb.DataFragment{}
	if prev != nil {
		for _, f := range prev.Manifest().GetFragments() {
			old[f.GetId()] = f
		}
	}
	var ids []uint64
	for _, f := range next.Manifest().GetFragments() {
		if o, ok := old[f.GetId()]; !ok || !proto.Equal(o, f) {
			ids = append(ids, f.GetId())
		}
	}
	slices.Sort(ids)
	return ids
}
