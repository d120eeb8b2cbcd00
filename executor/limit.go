package executor

import (
	"context"
	"io"

	"github.com/apache/arrow/go/v17/arrow"
)

// LimitConfig configures a Limit.
type LimitConfig struct {
	// Limit is the most rows to return; negative means no limit (OFFSET
	// alone).
	Limit int64
	// Offset is the number of leading rows to skip.
	Offset int64
}

// Limit passes on rows Offset+1 … Offset+Limit of its input, slicing
// batches (no copy), and stops reading its input once the limit is
// reached.
type Limit struct {
	in      Operator
	cfg     LimitConfig
	skipped int64
	emitted int64
}

var _ Operator = (*Limit)(nil)

// NewLimit returns a Limit over in, taking ownership of in.
func NewLimit(in Operator, cfg LimitConfig) *Limit {
	return &Limit{in: in, cfg: cfg}
}

// Schema implements Operator.
func (l *Limit) Schema() *arrow.Schema { return l.in.Schema() }

// Next implements Operator.
func (l *Limit) Next(ctx context.Context) (arrow.Record, error) {
	for {
		if l.cfg.Limit >= 0 && l.emitted >= l.cfg.Limit {
			return nil, io.EOF
		}
		if err := checkCtx(ctx); err != nil {
			return nil, err
		}
		rec, err := l.in.Next(ctx)
		if err != nil {
			return nil, err
		}
		n := rec.NumRows()
		start := int64(0)
		if l.skipped < l.cfg.Offset {
			start = min(l.cfg.Offset-l.skipped, n)
			l.skipped += start
		}
		end := n
		if l.cfg.Limit >= 0 {
			end = start + min(n-start, l.cfg.Limit-l.emitted) // no overflow for LIMIT near MaxInt64
		}
		if end <= start {
			rec.Release()
			continue
		}
		l.emitted += end - start
		if start == 0 && end == n {
			return rec, nil
		}
		out := rec.NewSlice(start, end)
		rec.Release()
		return out, nil
	}
}

// Close implements Operator.
func (l *Limit) Close() { l.in.Close() }
