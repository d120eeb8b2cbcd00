// Package scan is the leaf operator of every query: it reads a snapshot of
// a Lance dataset as Arrow batches in the canonical Arrow types of the
// columns' PostgreSQL types.
//
// Lance datasets written by pylance may hold Arrow types lancegate maps
// to a wider or different carrier (large_string → text, uint32 → bigint,
// float16 → real); the scan converts those columns batch by batch so the
// rest of the executor only meets the types pgtype.Type.Arrow returns.
package scan

import (
	"context"
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/compute"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/storage/lance"
)

// Source is what a Lance operator reads: a lance.Scanner, or the rows a
// vector search selected (lanceindex.Rows). Batches are owned by the
// caller.
type Source interface {
	Schema() *arrow.Schema
	Next(ctx context.Context) (arrow.Record, error)
	Close()
}

// Lance is an operator reading one dataset snapshot, or rows of one.
type Lance struct {
	sc      Source
	schema  *arrow.Schema
	convert []arrow.DataType // per column: the type to cast to, or nil
	mem     memory.Allocator
}

var _ executor.Operator = (*Lance)(nil)

// ColumnType returns the PostgreSQL type of a dataset column's Arrow field.
func ColumnType(f arrow.Field) (pgtype.Type, error) {
	return pgtype.FromField(f)
}

// NewLance starts a scan of ds with the given options (columns, fragments,
// row addresses). opts.Mem defaults to memory.DefaultAllocator.
func NewLance(ds *lance.Dataset, opts lance.ScanOptions) (*Lance, error) {
	if opts.Mem == nil {
		opts.Mem = memory.DefaultAllocator
	}
	sc, err := ds.Scan(opts)
	if err != nil {
		return nil, sqlstate.Wrap(err, sqlstate.FeatureNotSupported, "")
	}
	return FromSource(sc, opts.Mem)
}

// FromSource wraps a source of dataset rows (with the dataset's Arrow
// types, and optionally lance.RowAddressColumn last) as an operator that
// yields the columns' canonical types. It takes ownership of sc.
func FromSource(sc Source, mem memory.Allocator) (*Lance, error) {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	in := sc.Schema()
	fields := make([]arrow.Field, in.NumFields())
	convert := make([]arrow.DataType, in.NumFields())
	for i, f := range in.Fields() {
		t, err := pgtype.FromField(f)
		if f.Name == lance.RowAddressColumn {
			// Row addresses (fragment << 32 | offset) fit an int8.
			t, err = pgtype.Int8, nil
		}
		if err != nil {
			sc.Close()
			return nil, sqlstate.New(sqlstate.FeatureNotSupported, "column %q has type %s, which lancegate cannot serve", f.Name, f.Type)
		}
		out, err := pgtype.Field(f.Name, t, f.Nullable)
		if err != nil {
			sc.Close()
			return nil, sqlstate.New(sqlstate.FeatureNotSupported, "column %q: %v", f.Name, err)
		}
		if !arrow.TypeEqual(out.Type, f.Type) {
			convert[i] = out.Type
		}
		fields[i] = out
	}
	md := in.Metadata()
	return &Lance{sc: sc, schema: arrow.NewSchema(fields, &md), convert: convert, mem: mem}, nil
}

// Schema implements executor.Operator.
func (l *Lance) Schema() *arrow.Schema { return l.schema }

// Next implements executor.Operator.
func (l *Lance) Next(ctx context.Context) (arrow.Record, error) {
	rec, err := l.sc.Next(ctx)
	if err != nil {
		return nil, err
	}
	cols := make([]arrow.Array, rec.NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i := range cols {
		c := rec.Column(i)
		if l.convert[i] == nil {
			c.Retain()
			cols[i] = c
			continue
		}
		out, err := compute.CastArray(compute.WithAllocator(ctx, l.mem), c, compute.SafeCastOptions(l.convert[i]))
		if err != nil {
			rec.Release()
			return nil, sqlstate.Wrap(err, sqlstate.NumericValueOutOfRange, "cannot read column %q as %s: %v", l.schema.Field(i).Name, l.convert[i], err)
		}
		cols[i] = out
	}
	n := rec.NumRows()
	rec.Release()
	return array.NewRecord(l.schema, cols, n), nil
}

// Close implements executor.Operator.
func (l *Lance) Close() { l.sc.Close() }

// String describes the scan for EXPLAIN.
func (l *Lance) String() string { return fmt.Sprintf("Scan %d columns", l.schema.NumFields()) }
