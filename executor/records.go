package executor

import (
	"context"
	"io"

	"github.com/apache/arrow/go/v17/arrow"
)

// Records yields batches built beforehand (a system table's rows, say).
// It owns them: each is handed to the caller by Next, and Close releases
// those not yet returned.
type Records struct {
	schema *arrow.Schema
	recs   []arrow.Record
}

var _ Operator = (*Records)(nil)

// NewRecords returns an operator yielding recs, which must all have
// schema; it takes over the caller's references.
func NewRecords(schema *arrow.Schema, recs []arrow.Record) *Records {
	return &Records{schema: schema, recs: recs}
}

// Schema implements Operator.
func (r *Records) Schema() *arrow.Schema { return r.schema }

// Next implements Operator.
func (r *Records) Next(ctx context.Context) (arrow.Record, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	for len(r.recs) > 0 {
		rec := r.recs[0]
		r.recs = r.recs[1:]
		if rec.NumRows() > 0 {
			return rec, nil
		}
		rec.Release()
	}
	return nil, io.EOF
}

// Close implements Operator.
func (r *Records) Close() {
	for _, rec := range r.recs {
		rec.Release()
	}
	r.recs = nil
}
