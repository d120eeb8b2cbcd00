package gateway

import (
	"context"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/remote"
	"github.com/lancegate/lancegate/executor/spec"
	"github.com/lancegate/lancegate/planner"
)

// Distributed execution: a query node started with executors hands the
// planner a planner.Cluster (Options.Cluster); the planner asks each
// table for its pieces (planner.PiecedTable) and sends fragments over
// them to the executors. A table the executors cannot read as stored —
// one with a transaction's pending writes — is read here.

// Cluster implements planner.ClusterCatalog.
func (c sessionCatalog) Cluster() planner.Cluster { return c.s.e.opts.Cluster }

// Pieces implements planner.PiecedTable: the snapshot's location and its
// data fragments. The location of a table stored outside the root costs
// one read of its location record.
func (t *lanceTable) Pieces(ctx context.Context) (spec.TableRef, []uint64, bool, error) {
	ref := spec.TableRef{Root: t.ds.Root(), Version: t.ds.Version(), Committed: t.ds.Timestamp().UnixNano()}
	if t.ds.Store() != t.cat.cat.Store() {
		loc, err := t.cat.cat.Location(ctx, t.name)
		if err != nil {
			return ref, nil, false, storageError(err, t.name)
		}
		ref.Location = loc
	}
	frags := t.ds.Fragments()
	ids := make([]uint64, 0, len(frags))
	for _, f := range frags {
		if f.Rows() > 0 {
			ids = append(ids, f.ID)
		}
	}
	return ref, ids, true, nil
}

// Pieces implements planner.PiecedTable: a table the transaction wrote
// to is read here, where the pending writes are.
func (t *txnTable) Pieces(ctx context.Context) (spec.TableRef, []uint64, bool, error) {
	if t.dirty() {
		return spec.TableRef{}, nil, false, nil
	}
	return t.base.Pieces(ctx)
}

// MemberLister is implemented by clusters that list their executors, for
// lancegate.executors.
type MemberLister interface {
	Members() []remote.MemberStatus
}

// executorsColumns are lancegate.executors' columns.
var executorsColumns = []planner.ColumnDef{
	{Name: "address", Type: pgtype.Text, NotNull: true},
	{Name: "alive", Type: pgtype.Bool, NotNull: true},
	{Name: "failures", Type: pgtype.Int8, NotNull: true},
	{Name: "since", Type: pgtype.TimestampTZ},
	{Name: "last_error", Type: pgtype.Text},
}

// executorRows lists the query node's executors: none without a cluster.
func (c *storageCatalog) executorRows(context.Context) (int, rowAppender, error) {
	var ms []remote.MemberStatus
	if c.members != nil {
		ms = c.members()
	}
	return len(ms), func(i int, col string, fb array.Builder) {
		m := ms[i]
		switch col {
		case "address":
			fb.(*array.StringBuilder).Append(m.Addr)
		case "alive":
			fb.(*array.BooleanBuilder).Append(m.Alive)
		case "failures":
			fb.(*array.Int64Builder).Append(int64(m.Failures))
		case "since":
			if m.Since.IsZero() {
				fb.AppendNull()
			} else {
				fb.(*array.TimestampBuilder).Append(arrow.Timestamp(m.Since.UnixMicro()))
			}
		case "last_error":
			if m.LastError == "" {
				fb.AppendNull()
			} else {
				fb.(*array.StringBuilder).Append(m.LastError)
			}
		}
	}, nil
}
