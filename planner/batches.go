package planner

import (
	"context"
	"io"
	"time"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/lancegate/lancegate/executor"
)

// batches is an operator over batches already in memory (RETURNING rows,
// EXPLAIN text). It owns them and releases what it did not hand out.
type batches struct {
	schema *arrow.Schema
	recs   []arrow.Record
}

var _ executor.Operator = (*batches)(nil)

func newBatches(schema *arrow.Schema, recs []arrow.Record) *batches {
	return &batches{schema: schema, recs: recs}
}

func (b *batches) Schema() *arrow.Schema { return b.schema }

func (b *batches) Next(ctx context.Context) (arrow.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for len(b.recs) > 0 {
		r := b.recs[0]
		b.recs = b.recs[1:]
		if r.NumRows() > 0 {
			return r, nil
		}
		r.Release()
	}
	return nil, io.EOF
}

func (b *batches) Close() {
	release(b.recs)
	b.recs = nil
}

func unixMicro(us int64) time.Time { return time.UnixMicro(us) }
