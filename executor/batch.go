package executor

import (
	"context"
	"fmt"
	"math/bits"
	"unsafe"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/compute"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// BatchSize is the most rows an operator that builds its own batches
// (Sort, TopK, HashAggregate, joins, Values) puts in one.
const BatchSize = 8192

// checkCtx returns 57014 once ctx is done.
// CheckContext returns the SQL error of a cancelled or timed-out
// statement context (57014), or nil.
func CheckContext(ctx context.Context) error { return checkCtx(ctx) }

func checkCtx(ctx context.Context) error { return sqlstate.Canceled(ctx) }

// newRecord is array.NewRecord with its panic (a column that does not
// match the schema: a bug) turned into an error.
func newRecord(schema *arrow.Schema, cols []arrow.Array, n int) (rec arrow.Record, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = sqlstate.New(sqlstate.InternalError, "building a batch of %s: %v", schema, r)
		}
	}()
	return array.NewRecord(schema, cols, int64(n)), nil
}

// releaseAll releases every non-nil array.
func releaseAll(as []arrow.Array) {
	for _, a := range as {
		if a != nil {
			a.Release()
		}
	}
}

// fieldsOf returns fields for output columns of the given names and
// PostgreSQL types.
func fieldsOf(names []string, types []pgtype.Type) ([]arrow.Field, error) {
	fields := make([]arrow.Field, len(types))
	for i, t := range types {
		name := ""
		if i < len(names) {
			name = names[i]
		}
		if name == "" {
			name = "?column?"
		}
		f, err := pgtype.Field(name, t, true)
		if err != nil {
			return nil, sqlstate.New(sqlstate.FeatureNotSupported, "column %q: %v", name, err)
		}
		fields[i] = f
	}
	return fields, nil
}

// schemaOf returns a schema of expressions' types.
func schemaOf(names []string, exprs []expr.Expr) (*arrow.Schema, error) {
	types := make([]pgtype.Type, len(exprs))
	for i, e := range exprs {
		types[i] = e.Type()
	}
	fields, err := fieldsOf(names, types)
	if err != nil {
		return nil, err
	}
	return arrow.NewSchema(fields, nil), nil
}

// selection appends to sel the rows where a boolean array is TRUE (not
// NULL), scanning the bitmaps a byte at a time.
func selection(mask arrow.Array, sel []int32) []int32 {
	n := mask.Len()
	if mask.DataType().ID() == arrow.NULL {
		return sel
	}
	d := mask.Data()
	vals := d.Buffers()[1].Bytes()
	var valid []byte
	if mask.NullN() > 0 {
		valid = d.Buffers()[0].Bytes()
	}
	off := d.Offset()
	if off%8 != 0 {
		for i := 0; i < n; i++ {
			if mask.IsValid(i) && vals[(off+i)>>3]&(1<<((off+i)&7)) != 0 {
				sel = append(sel, int32(i))
			}
		}
		return sel
	}
	base := off / 8
	for j := 0; j*8 < n; j++ {
		w := vals[base+j]
		if valid != nil {
			w &= valid[base+j]
		}
		if rem := n - j*8; rem < 8 {
			w &= byte(1)<<rem - 1
		}
		for w != 0 {
			t := bits.TrailingZeros8(w)
			sel = append(sel, int32(j*8+t))
			w &= w - 1
		}
	}
	return sel
}

// gather returns the values idx of a; an index of −1 gives NULL. Fixed
// width columns (and vectors) are copied by tight loops; other types go
// through Arrow's take kernel.
func gather(ctx context.Context, mem memory.Allocator, a arrow.Array, idx []int32) (arrow.Array, error) {
	hasNull := false
	for _, i := range idx {
		if i < 0 {
			hasNull = true
			break
		}
	}
	if !hasNull && a.NullN() == 0 {
		switch a.DataType().ID() {
		case arrow.INT64, arrow.FLOAT64, arrow.TIMESTAMP, arrow.UINT64, arrow.DATE64:
			return gatherFixed[uint64](mem, a, idx), nil
		case arrow.INT32, arrow.FLOAT32, arrow.DATE32, arrow.UINT32:
			return gatherFixed[uint32](mem, a, idx), nil
		case arrow.INT16, arrow.UINT16:
			return gatherFixed[uint16](mem, a, idx), nil
		case arrow.FIXED_SIZE_LIST:
			if out, ok := gatherVectors(mem, a, idx); ok {
				return out, nil
			}
		}
	}
	ib := array.NewInt32Builder(mem)
	ib.Reserve(len(idx))
	for _, i := range idx {
		if i < 0 {
			ib.AppendNull()
		} else {
			ib.UnsafeAppend(i)
		}
	}
	ia := ib.NewInt32Array()
	ib.Release()
	defer ia.Release()
	out, err := compute.TakeArray(compute.WithAllocator(ctx, mem), a, ia)
	if err != nil {
		return nil, sqlstate.Wrap(err, sqlstate.InternalError, "gathering %s: %v", a.DataType(), err)
	}
	return out, nil
}

func typedValues[T any](a arrow.Array) []T {
	d := a.Data()
	b := d.Buffers()[1]
	if b == nil || d.Len() == 0 {
		return nil
	}
	var z T
	all := unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b.Bytes()))), b.Len()/int(unsafe.Sizeof(z)))
	return all[d.Offset() : d.Offset()+d.Len()]
}

func gatherFixed[T uint16 | uint32 | uint64](mem memory.Allocator, a arrow.Array, idx []int32) arrow.Array {
	src := typedValues[T](a)
	var z T
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(len(idx) * int(unsafe.Sizeof(z)))
	var dst []T
	if len(idx) > 0 {
		dst = unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(buf.Bytes()))), len(idx))
	}
	for k, i := range idx {
		dst[k] = src[i]
	}
	d := array.NewData(a.DataType(), len(idx), []*memory.Buffer{nil, buf}, nil, 0, 0)
	out := array.MakeFromData(d)
	d.Release()
	buf.Release()
	return out
}

// gatherVectors copies rows of a fixed_size_list<float32> column.
func gatherVectors(mem memory.Allocator, a arrow.Array, idx []int32) (arrow.Array, bool) {
	l := a.(*array.FixedSizeList)
	child := l.ListValues()
	if child.DataType().ID() != arrow.FLOAT32 || child.NullN() > 0 {
		return nil, false
	}
	dim := int(l.DataType().(*arrow.FixedSizeListType).Len())
	src := typedValues[float32](child)
	off := l.Data().Offset()
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(len(idx) * dim * 4)
	var dst []float32
	if len(idx) > 0 && dim > 0 {
		dst = unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(buf.Bytes()))), len(idx)*dim)
	}
	for k, i := range idx {
		s := (off + int(i)) * dim
		copy(dst[k*dim:(k+1)*dim], src[s:s+dim])
	}
	cd := array.NewData(child.DataType(), len(idx)*dim, []*memory.Buffer{nil, buf}, nil, 0, 0)
	d := array.NewData(a.DataType(), len(idx), []*memory.Buffer{nil}, []arrow.ArrayData{cd}, 0, 0)
	out := array.MakeFromData(d)
	d.Release()
	cd.Release()
	buf.Release()
	return out, true
}

// gatherRecord returns the rows idx of the columns cols of rec (all when
// cols is nil) under schema.
func gatherRecord(ctx context.Context, mem memory.Allocator, schema *arrow.Schema, rec arrow.Record, cols []int, idx []int32) (arrow.Record, error) {
	if cols == nil {
		cols = allColumns(int(rec.NumCols()))
	}
	out := make([]arrow.Array, len(cols))
	defer releaseAll(out)
	for k, c := range cols {
		a, err := gather(ctx, mem, rec.Column(c), idx)
		if err != nil {
			return nil, err
		}
		out[k] = a
	}
	return newRecord(schema, out, len(idx))
}

func allColumns(n int) []int {
	cols := make([]int, n)
	for i := range cols {
		cols[i] = i
	}
	return cols
}

// concatRecords concatenates batches of one schema into one.
func concatRecords(mem memory.Allocator, schema *arrow.Schema, recs []arrow.Record) (arrow.Record, error) {
	rows := 0
	for _, r := range recs {
		rows += int(r.NumRows())
	}
	cols := make([]arrow.Array, schema.NumFields())
	defer releaseAll(cols)
	for c := range cols {
		parts := make([]arrow.Array, len(recs))
		for k, r := range recs {
			parts[k] = r.Column(c)
		}
		if len(parts) == 0 {
			cols[c] = array.MakeArrayOfNull(mem, schema.Field(c).Type, 0)
			continue
		}
		a, err := array.Concatenate(parts, mem)
		if err != nil {
			return nil, sqlstate.Wrap(err, sqlstate.InternalError, "concatenating batches: %v", err)
		}
		cols[c] = a
	}
	return newRecord(schema, cols, rows)
}

// concatArrays concatenates arrays of one type.
func concatArrays(mem memory.Allocator, parts []arrow.Array) (arrow.Array, error) {
	a, err := array.Concatenate(parts, mem)
	if err != nil {
		return nil, sqlstate.Wrap(err, sqlstate.InternalError, "concatenating arrays: %v", err)
	}
	return a, nil
}

// evalAll evaluates expressions over a batch.
func evalAll(ctx context.Context, env *expr.Env, exprs []expr.Expr, rec arrow.Record) ([]arrow.Array, error) {
	out := make([]arrow.Array, len(exprs))
	for i, e := range exprs {
		a, err := e.Eval(ctx, env, rec)
		if err != nil {
			releaseAll(out)
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

// errf returns an internal error.
func errf(format string, args ...any) error {
	return sqlstate.New(sqlstate.InternalError, "%s", fmt.Sprintf(format, args...))
}
