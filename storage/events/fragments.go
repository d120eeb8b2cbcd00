package events

import (
	"github.com/lancegate/lancegate/storage/lance"
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
	return next.ChangedFragments(prev)
}
