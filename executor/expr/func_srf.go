package expr

import (
	"context"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// Set-returning functions of a select list, as lists: the planner's
// ProjectSet expands one list per input row into rows. unnest(a) is a
// itself; these give the other sets as lists:
//
//	__lg_subscripts(a, dim)   generate_subscripts(a, dim): lower…upper of dimension 1
//	__lg_ordinals(a)          1…cardinality(a): the n of information_schema._pg_expandarray
//	__lg_series(a, b, step)   generate_series(a, b, step) over int4 or int8

// maxSeriesRows bounds one row's generate_series in a select list, which
// is materialised as a list.
const maxSeriesRows = 1 << 24

func init() {
	i4arr := pgtype.Type{OID: pgtype.OIDInt4Array, Mod: -1}
	for _, at := range arrayTypes() {
		register(
			&Function{Name: "__lg_subscripts", Args: []pgtype.Type{at, pgtype.Int4}, Result: i4arr, Kernel: subscriptsKernel(lowerBound(at), true)},
			&Function{Name: "__lg_ordinals", Args: []pgtype.Type{at}, Result: i4arr, Kernel: subscriptsKernel(1, false)},
		)
	}
	register(
		&Function{Name: "__lg_series", Args: []pgtype.Type{pgtype.Int4, pgtype.Int4, pgtype.Int4}, Result: i4arr, Kernel: seriesKernel(false)},
		&Function{Name: "__lg_series", Args: []pgtype.Type{pgtype.Int8, pgtype.Int8, pgtype.Int8}, Result: pgtype.Type{OID: pgtype.OIDInt8Array, Mod: -1}, Kernel: seriesKernel(true)},
	)
}

// subscriptsKernel lists lower…lower+len-1 per array (NULL for a NULL
// array, or a dimension other than 1 when byDim).
func subscriptsKernel(lower int32, byDim bool) kernelFunc {
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		r := newRowArgs(args)
		b := array.NewListBuilder(env.Mem, arrow.PrimitiveTypes.Int32)
		defer b.Release()
		vb := b.ValueBuilder().(*array.Int32Builder)
		for i := 0; i < n; i++ {
			if r.null(0, i) || byDim && (r.null(1, i) || r.i32(1, i) != 1) {
				b.AppendNull()
				continue
			}
			l := args[0].(*array.List)
			s, e := l.ValueOffsets(r.row(0, i))
			b.Append(true)
			for k := int32(0); k < int32(e-s); k++ {
				vb.Append(lower + k)
			}
		}
		return b.NewArray(), nil
	}
}

// seriesKernel lists generate_series(start, stop, step) per row.
func seriesKernel(wide bool) kernelFunc {
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		r := newRowArgs(args)
		elem := arrow.DataType(arrow.PrimitiveTypes.Int32)
		if wide {
			elem = arrow.PrimitiveTypes.Int64
		}
		b := array.NewListBuilder(env.Mem, elem)
		defer b.Release()
		get := func(k, i int) int64 {
			if wide {
				return r.i64(k, i)
			}
			return int64(r.i32(k, i))
		}
		for i := 0; i < n; i++ {
			if r.null(0, i) || r.null(1, i) || r.null(2, i) {
				b.AppendNull()
				continue
			}
			start, stop, step := get(0, i), get(1, i), get(2, i)
			if step == 0 {
				return nil, sqlstate.New(sqlstate.InvalidParameterValue, "step size cannot equal zero")
			}
			b.Append(true)
			count := 0
			for v := start; step > 0 && v <= stop || step < 0 && v >= stop; v += step {
				if count++; count > maxSeriesRows {
					return nil, sqlstate.New(sqlstate.ProgramLimitExceeded, "generate_series in a select list is limited to %d rows per row", maxSeriesRows)
				}
				if wide {
					b.ValueBuilder().(*array.Int64Builder).Append(v)
				} else {
					b.ValueBuilder().(*array.Int32Builder).Append(int32(v))
				}
			}
		}
		return b.NewArray(), nil
	}
}
