package executor

import (
	"context"

	"github.com/apache/arrow/go/v17/arrow"
)

// Operator produces the rows of one plan node as record batches.
type Operator interface {
	// Schema describes the batches Next returns. Fields carry their
	// PostgreSQL types in metadata where the Arrow type is ambiguous (see
	// pgtype.FromField).
	Schema() *arrow.Schema
	// Next returns the next non-empty batch, or io.EOF after the last.
	// The caller owns the batch and must Release it.
	Next(ctx context.Context) (arrow.Record, error)
	// Close releases the operator and its inputs.
	Close()
}
