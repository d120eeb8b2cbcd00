package planner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// table resolves a table reference to the snapshot to use now, and checks
// that its columns are still those the statement was bound against.
func (x *execution) table(ref tableRef) (Table, error) {
	t, err := x.cat.Table(x.ctx, ref.name)
	if err != nil {
		return nil, err
	}
	switch {
	case ref.version > 0:
		if t, err = t.AtVersion(x.ctx, ref.version); err != nil {
			return nil, err
		}
	case ref.hasAsOf:
		if t, err = t.AsOf(x.ctx, unixMicro(ref.asOf)); err != nil {
			return nil, err
		}
	}
	cols := t.Columns()
	if len(cols) != len(ref.bound) {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "cached plan must not change result type").WithDetail("table %q changed since the statement was prepared", ref.name)
	}
	for i, c := range cols {
		if c.Name != ref.bound[i].Name || c.Type != ref.bound[i].Type {
			return nil, sqlstate.New(sqlstate.FeatureNotSupported, "cached plan must not change result type").WithDetail("table %q changed since the statement was prepared", ref.name)
		}
	}
	return t, nil
}

// drain runs an operator to completion and returns its batches.
func drain(ctx context.Context, op executor.Operator) ([]arrow.Record, error) {
	defer op.Close()
	var out []arrow.Record
	for {
		rec, err := op.Next(ctx)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			release(out)
			return nil, err
		}
		out = append(out, rec)
	}
}

func release(recs []arrow.Record) {
	for _, r := range recs {
		r.Release()
	}
}

func rowCount(recs []arrow.Record) int64 {
	var n int64
	for _, r := range recs {
		n += r.NumRows()
	}
	return n
}

// tableSchema is the Arrow schema of a table's rows.
func tableSchema(cols []ColumnDef) (*arrow.Schema, error) {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		f, err := pgtype.Field(c.Name, c.Type, !c.NotNull)
		if err != nil {
			return nil, sqlstate.New(sqlstate.FeatureNotSupported, "column %q: %v", c.Name, err)
		}
		fields[i] = f
	}
	return arrow.NewSchema(fields, nil), nil
}

// checkNotNull enforces NOT NULL columns.
func checkNotNull(table string, cols []ColumnDef, rec arrow.Record) error {
	for i, c := range cols {
		if c.NotNull && rec.Column(i).NullN() > 0 {
			return sqlstate.New(sqlstate.NotNullViolation, "null value in column %q of relation %q violates not-null constraint", c.Name, table)
		}
	}
	return nil
}

// evalRows evaluates exprs over every batch into batches of schema.
func (x *execution) evalRows(recs []arrow.Record, exprs []expr.Expr, schema *arrow.Schema) ([]arrow.Record, error) {
	var out []arrow.Record
	for _, rec := range recs {
		cols := make([]arrow.Array, len(exprs))
		for i, e := range exprs {
			a, err := e.Eval(x.ctx, x.env, rec)
			if err != nil {
				for _, c := range cols[:i] {
					c.Release()
				}
				release(out)
				return nil, err
			}
			cols[i] = a
		}
		out = append(out, array.NewRecord(schema, cols, rec.NumRows()))
		for _, c := range cols {
			c.Release()
		}
	}
	return out, nil
}

// returningResult evaluates a RETURNING list over the affected rows.
func (x *execution) returningResult(ret *returning, rows []arrow.Record, tag func(int64) string) (*Result, error) {
	if ret == nil {
		n := rowCount(rows)
		return &Result{Tag: func(int64) string { return tag(n) }}, nil
	}
	schema, err := columnsSchema(ret.cols)
	if err != nil {
		return nil, err
	}
	out, err := x.evalRows(rows, ret.exprs, schema)
	if err != nil {
		return nil, err
	}
	n := rowCount(out)
	return &Result{Rows: executor.NewRecords(schema, out), Tag: func(int64) string { return tag(n) }}, nil
}

// columnsSchema is the Arrow schema of bound columns.
func columnsSchema(cols []column) (*arrow.Schema, error) {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		f, err := pgtype.Field(c.name, c.typ, true)
		if err != nil {
			return nil, sqlstate.New(sqlstate.FeatureNotSupported, "column %q: %v", c.name, err)
		}
		fields[i] = f
	}
	return arrow.NewSchema(fields, nil), nil
}

func (x *execution) runInsert(p *insertPlan) (*Result, error) {
	t, err := x.table(p.table)
	if err != nil {
		return nil, err
	}
	op, err := x.build(p.source)
	if err != nil {
		return nil, err
	}
	src, err := drain(x.ctx, op)
	if err != nil {
		return nil, err
	}
	defer release(src)
	defs := t.Columns()
	schema, err := tableSchema(defs)
	if err != nil {
		return nil, err
	}
	where := make([]int, len(defs))
	for i := range where {
		where[i] = -1
	}
	for i, c := range p.target {
		where[c] = i
	}
	var rows []arrow.Record
	defer func() { release(rows) }()
	for _, rec := range src {
		cols := make([]arrow.Array, len(defs))
		for j := range defs {
			if where[j] >= 0 {
				cols[j] = rec.Column(where[j])
				cols[j].Retain()
				continue
			}
			if defs[j].Sequence != "" {
				a, err := SequenceArray(x.ctx, x.env.Sequences, defs[j], int(rec.NumRows()), x.env.Mem)
				if err != nil {
					releaseArrays(cols)
					return nil, err
				}
				cols[j] = a
				continue
			}
			cols[j] = array.MakeArrayOfNull(x.env.Mem, schema.Field(j).Type, int(rec.NumRows()))
		}
		full := array.NewRecord(schema, cols, rec.NumRows())
		for _, c := range cols {
			c.Release()
		}
		rows = append(rows, full)
		if err := checkNotNull(t.Name(), defs, full); err != nil {
			return nil, err
		}
	}
	n := rowCount(rows)
	if n > 0 {
		if err := t.Insert(x.ctx, rows); err != nil {
			return nil, err
		}
	}
	return x.returningResult(p.ret, rows, func(n int64) string { return fmt.Sprintf("INSERT 0 %d", n) })
}

// matching runs a DML source and splits its batches into the rows (the
// table's columns) and their row addresses.
func (x *execution) matching(source node, ncols int) ([]arrow.Record, []uint64, error) {
	op, err := x.build(source)
	if err != nil {
		return nil, nil, err
	}
	recs, err := drain(x.ctx, op)
	if err != nil {
		return nil, nil, err
	}
	var addrs []uint64
	var rows []arrow.Record
	for _, rec := range recs {
		a, ok := rec.Column(ncols).(*array.Int64)
		if !ok {
			release(recs)
			release(rows)
			return nil, nil, sqlstate.New(sqlstate.InternalError, "row addresses of type %s", rec.Column(ncols).DataType())
		}
		for _, v := range a.Int64Values() {
			addrs = append(addrs, uint64(v))
		}
		rows = append(rows, rec.NewSlice(0, rec.NumRows()))
	}
	release(recs)
	return rows, addrs, nil
}

func (x *execution) runUpdate(p *updatePlan) (*Result, error) {
	t, err := x.table(p.table)
	if err != nil {
		return nil, err
	}
	defs := t.Columns()
	rows, addrs, err := x.matching(p.source, len(defs))
	if err != nil {
		return nil, err
	}
	defer release(rows)
	schema, err := tableSchema(defs)
	if err != nil {
		return nil, err
	}
	updated, err := x.evalRows(rows, p.set, schema)
	if err != nil {
		return nil, err
	}
	defer release(updated)
	for _, r := range updated {
		if err := checkNotNull(t.Name(), defs, r); err != nil {
			return nil, err
		}
	}
	if len(addrs) > 0 {
		if err := t.Update(x.ctx, addrs, updated); err != nil {
			return nil, err
		}
	}
	return x.returningResult(p.ret, updated, func(n int64) string { return fmt.Sprintf("UPDATE %d", n) })
}

func (x *execution) runDelete(p *deletePlan) (*Result, error) {
	t, err := x.table(p.table)
	if err != nil {
		return nil, err
	}
	defs := t.Columns()
	rows, addrs, err := x.matching(p.source, len(defs))
	if err != nil {
		return nil, err
	}
	defer release(rows)
	if len(addrs) > 0 {
		if err := t.Delete(x.ctx, addrs); err != nil {
			return nil, err
		}
	}
	return x.returningResult(p.ret, rows, func(n int64) string { return fmt.Sprintf("DELETE %d", n) })
}

func unixMicro(us int64) time.Time { return time.UnixMicro(us) }

func releaseArrays(as []arrow.Array) {
	for _, a := range as {
		if a != nil {
			a.Release()
		}
	}
}

// SequenceArray returns n new values of the sequence filling column def
// (a serial or identity column an INSERT or COPY leaves out), as an array
// of the column's type. A value past the column's type is 2200H, as
// PostgreSQL's sequence of that type reports it.
func SequenceArray(ctx context.Context, seqs expr.Sequences, def ColumnDef, n int, mem memory.Allocator) (arrow.Array, error) {
	if seqs == nil {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "column %q takes its values from a sequence, which needs a session", def.Name)
	}
	vals, err := seqs.NextValues(ctx, def.Sequence, n)
	if err != nil {
		return nil, err
	}
	limit := int64(math.MaxInt64)
	switch def.Type.OID {
	case pgtype.OIDInt2:
		limit = math.MaxInt16
	case pgtype.OIDInt4:
		limit = math.MaxInt32
	}
	for _, v := range vals {
		if v > limit {
			return nil, sqlstate.New(sqlstate.SequenceGeneratorLimitExceeded, "nextval: reached maximum value of sequence %q (%d)", def.Sequence, limit)
		}
	}
	switch def.Type.OID {
	case pgtype.OIDInt2:
		b := array.NewInt16Builder(mem)
		defer b.Release()
		for _, v := range vals {
			b.Append(int16(v))
		}
		return b.NewArray(), nil
	case pgtype.OIDInt4:
		b := array.NewInt32Builder(mem)
		defer b.Release()
		for _, v := range vals {
			b.Append(int32(v))
		}
		return b.NewArray(), nil
	}
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.AppendValues(vals, nil)
	return b.NewArray(), nil
}
