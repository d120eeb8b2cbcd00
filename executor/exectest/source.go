// Package exectest holds test doubles for executor operators: a source
// that yields given batches and helpers that drain an operator. Only
// tests import it.
package exectest

import (
	"context"
	"errors"
	"io"

	"github.com/apache/arrow/go/v17/arrow"
)

// Source yields the batches it was given, in order, then io.EOF.
type Source struct {
	schema *arrow.Schema
	recs   []arrow.Record
	pos    int
	// Closed reports whether Close was called.
	Closed bool
	// Err, when set, is returned by Next after the batches.
	Err error
}

// NewSource returns a Source of recs (which it retains) with schema.
func NewSource(schema *arrow.Schema, recs ...arrow.Record) *Source {
	for _, r := range recs {
		r.Retain()
	}
	return &Source{schema: schema, recs: recs}
}

// Schema returns the schema given to NewSource.
func (s *Source) Schema() *arrow.Schema { return s.schema }

// Next returns the next batch (retained for the caller) or io.EOF.
func (s *Source) Next(ctx context.Context) (arrow.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.pos >= len(s.recs) {
		if s.Err != nil {
			return nil, s.Err
		}
		return nil, io.EOF
	}
	r := s.recs[s.pos]
	s.pos++
	r.Retain()
	return r, nil
}

// Close releases the batches.
func (s *Source) Close() {
	for _, r := range s.recs {
		r.Release()
	}
	s.recs = nil
	s.Closed = true
}

// Operator is the executor's operator interface, restated so that this
// package does not import executor.
type Operator interface {
	Schema() *arrow.Schema
	Next(ctx context.Context) (arrow.Record, error)
	Close()
}

// Drain reads op to the end and returns its batches (the caller releases
// them). It fails on an empty batch, which operators must never return.
func Drain(ctx context.Context, op Operator) ([]arrow.Record, error) {
	var out []arrow.Record
	for {
		r, err := op.Next(ctx)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			for _, o := range out {
				o.Release()
			}
			return nil, err
		}
		if r.NumRows() == 0 {
			r.Release()
			for _, o := range out {
				o.Release()
			}
			return nil, errors.New("exectest: operator returned an empty batch")
		}
		out = append(out, r)
	}
}
