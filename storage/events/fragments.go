package events

import (
	"time"

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

// FromCommit returns the event of a commit of table from prev to next: a
// nil prev is a create, a nil next a drop (stamped with the current time).
// uri is the dataset's location (catalog.Catalog.TableURI), source who
// committed; the caller adds the row counts it knows.
func FromCommit(table, uri, op, source string, prev, next *lance.Dataset) Event {
	ev := Event{Table: table, URI: uri, Op: op, Source: source, Time: time.Now().UTC()}
	if prev != nil {
		ev.PrevVersion = prev.Version()
	}
	if next != nil {
		ev.Version = next.Version()
		ev.Time = next.Timestamp().UTC()
		ev.Fragments = ChangedFragments(prev, next)
	}
	return ev
}
