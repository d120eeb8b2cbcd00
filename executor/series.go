package executor

import (
	"context"
	"io"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// SeriesConfig configures a Series operator.
type SeriesConfig struct {
	// Name is the column's name.
	Name string
	// Type is pgtype.Int4 or pgtype.Int8.
	Type pgtype.Type
	// Start, Stop and Step are generate_series' arguments.
	Start, Stop, Step int64
	// BatchRows is the most rows per batch; zero means 65,536.
	BatchRows int
}

// Series yields Start, Start+Step, … up to and including Stop (down to it
// for a negative Step), as PostgreSQL's generate_series(int, int [, int]),
// in batches, without materialising the series.
type Series struct {
	mem    memory.Allocator
	cfg    SeriesConfig
	schema *arrow.Schema
	next   int64
	done   bool
}

var _ Operator = (*Series)(nil)

// NewSeries returns a Series operator; a zero step is 22023, as in
// PostgreSQL.
func NewSeries(mem memory.Allocator, cfg SeriesConfig) (*Series, error) {
	if cfg.Step == 0 {
		return nil, sqlstate.New(sqlstate.InvalidParameterValue, "step size cannot equal zero")
	}
	if cfg.Type != pgtype.Int4 && cfg.Type != pgtype.Int8 {
		return nil, sqlstate.New(sqlstate.InternalError, "generate_series of type %s", cfg.Type)
	}
	if cfg.BatchRows <= 0 {
		cfg.BatchRows = 1 << 16
	}
	fields, err := fieldsOf([]string{cfg.Name}, []pgtype.Type{cfg.Type})
	if err != nil {
		return nil, err
	}
	s := &Series{mem: mem, cfg: cfg, schema: arrow.NewSchema(fields, nil), next: cfg.Start}
	s.done = cfg.Step > 0 && cfg.Start > cfg.Stop || cfg.Step < 0 && cfg.Start < cfg.Stop
	return s, nil
}

// Schema implements Operator.
func (s *Series) Schema() *arrow.Schema { return s.schema }

// Next implements Operator.
func (s *Series) Next(ctx context.Context) (arrow.Record, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	if s.done {
		return nil, io.EOF
	}
	vals := make([]int64, 0, min(s.cfg.BatchRows, 1024))
	for len(vals) < s.cfg.BatchRows && !s.done {
		vals = append(vals, s.next)
		// The distance left to Stop, exact in uint64 whatever the signs:
		// stop before stepping past Stop (or overflowing int64).
		var left, step uint64
		if s.cfg.Step > 0 {
			left, step = uint64(s.cfg.Stop)-uint64(s.next), uint64(s.cfg.Step)
		} else {
			left, step = uint64(s.next)-uint64(s.cfg.Stop), uint64(-(s.cfg.Step+1))+1
		}
		if left < step {
			s.done = true
		} else {
			s.next += s.cfg.Step
		}
	}
	var col arrow.Array
	if s.cfg.Type == pgtype.Int4 {
		b := array.NewInt32Builder(s.mem)
		defer b.Release()
		b.Reserve(len(vals))
		for _, v := range vals {
			b.UnsafeAppend(int32(v))
		}
		col = b.NewArray()
	} else {
		b := array.NewInt64Builder(s.mem)
		defer b.Release()
		b.AppendValues(vals, nil)
		col = b.NewArray()
	}
	defer col.Release()
	return array.NewRecord(s.schema, []arrow.Array{col}, int64(len(vals))), nil
}

// Close implements Operator.
func (s *Series) Close() {}
