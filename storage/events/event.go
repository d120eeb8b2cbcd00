package events

import (
	"context"
	"time"
)

// Event is one committed write: the version a commit made of one table.
// It travels JSON-encoded as the record value, keyed by Table, so the events
// of one table stay in one partition and in commit order.
type Event struct {
	// Table is the table's name; it is also the record key.
	Table string `json:"table"`
	// URI is the dataset's location, as the catalog resolves it.
	URI string `json:"uri"`
	// Version is the version the commit made (0 for a drop).
	Version uint64 `json:"version"`
	// PrevVersion is the version the commit replaced (0 for a create).
	PrevVersion uint64 `json:"prev_version"`
	// Op is what the commit did; see the Op constants.
	Op string `json:"op"`
	// RowsAdded counts the rows the commit wrote.
	RowsAdded uint64 `json:"rows_added"`
	// RowsDeleted counts the rows the commit deleted.
	RowsDeleted uint64 `json:"rows_deleted"`
	// Fragments lists the fragments the commit added or changed.
	Fragments []uint64 `json:"fragments,omitempty"`
	// Time is the commit's time (the manifest's timestamp).
	Time time.Time `json:"time"`
	// Source names who committed: a query node or a job id.
	Source string `json:"source,omitempty"`
}

// The operations an Event's Op names. Consumers must accept others too:
// a newer publisher may add to the list.
const (
	OpCreate     = "create"
	OpAppend     = "append"
	OpDelete     = "delete"
	OpUpdate     = "update"
	OpOverwrite  = "overwrite"
	OpAddColumn  = "add_column"
	OpDropColumn = "drop_column"
	OpDrop       = "drop"
	OpCompact    = "compact"
	OpCleanup    = "cleanup"
	OpIndex      = "index"
)

// Publisher takes the events of commits. Publish never blocks beyond
// appending to a bounded buffer and never fails: when the buffer is full the
// oldest buffered event is dropped. Publish may be called from many
// goroutines, and the publisher keeps no reference to ev's slices.
type Publisher interface {
	Publish(ev Event)
}

// Delivery is one event a Source handed out, with what the source needs to
// mark it done. It stays valid after Commit; its Event is the caller's.
type Delivery struct {
	// Event is the event delivered.
	Event Event

	// owner is the source that made the delivery; other sources ignore it.
	owner any
	// topic, partition and offset place the record in the log.
	topic     string
	partition int32
	offset    int64
	// gen is the partition's assignment generation when the record was
	// fetched; a delivery from an earlier assignment is not committed.
	gen uint64
}

// Source hands out events to one consumer loop. Delivery is at least once:
// a delivery that is not committed may come again, to this consumer or
// after a rebalance to another one.
type Source interface {
	// Fetch blocks until at least one event is available or ctx is done,
	// and returns the events in log order per table. After Close it
	// returns ErrClosed.
	Fetch(ctx context.Context) ([]Delivery, error)
	// Commit marks the deliveries done. With Kafka, a partition's offset
	// advances past every delivery that is done and no earlier one that is
	// not; deliveries from partitions this consumer no longer owns are
	// ignored (their new owner gets them again).
	Commit(ctx context.Context, ds []Delivery) error
	// Close releases the source; a Fetch in progress returns ErrClosed.
	Close()
}
