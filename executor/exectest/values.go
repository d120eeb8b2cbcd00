package exectest

import (
	"fmt"
	"math/big"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor/pgtype"
)

// Array builds an array of PostgreSQL type t from Go values: nil is
// NULL; int64 (or int) for integers, dates (days) and timestamps (µs);
// float64 for floats; string for text and for numeric (decimal text);
// bool; []float32 for vectors.
func Array(mem memory.Allocator, t pgtype.Type, vals []any) arrow.Array {
	dt, err := t.Arrow()
	if err != nil {
		panic(err)
	}
	b := array.NewBuilder(mem, dt)
	defer b.Release()
	for _, v := range vals {
		if v == nil {
			b.AppendNull()
			continue
		}
		switch bb := b.(type) {
		case *array.BooleanBuilder:
			bb.Append(v.(bool))
		case *array.Int16Builder:
			bb.Append(int16(toInt(v)))
		case *array.Int32Builder:
			bb.Append(int32(toInt(v)))
		case *array.Int64Builder:
			bb.Append(toInt(v))
		case *array.Uint32Builder:
			bb.Append(uint32(toInt(v)))
		case *array.Float32Builder:
			bb.Append(float32(v.(float64)))
		case *array.Float64Builder:
			bb.Append(v.(float64))
		case *array.StringBuilder:
			bb.Append(v.(string))
		case *array.BinaryBuilder:
			bb.Append([]byte(v.(string)))
		case *array.Date32Builder:
			bb.Append(arrow.Date32(toInt(v)))
		case *array.TimestampBuilder:
			bb.Append(arrow.Timestamp(toInt(v)))
		case *array.Decimal128Builder:
			d := bb.Type().(*arrow.Decimal128Type)
			n, err := decimal128.FromString(fmt.Sprint(v), d.Precision, d.Scale)
			if err != nil {
				panic(err)
			}
			bb.Append(n)
		case *array.ListBuilder:
			bb.Append(true)
			bb.ValueBuilder().(*array.Float32Builder).AppendValues(v.([]float32), nil)
		case *array.FixedSizeListBuilder:
			bb.Append(true)
			bb.ValueBuilder().(*array.Float32Builder).AppendValues(v.([]float32), nil)
		default:
			panic(fmt.Sprintf("exectest.Array: %T", b))
		}
	}
	return b.NewArray()
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int64:
		return x
	case int32:
		return int64(x)
	}
	panic(fmt.Sprintf("exectest: not an integer: %T", v))
}

// Schema returns a schema of named columns of PostgreSQL types.
func Schema(names []string, types []pgtype.Type) *arrow.Schema {
	fields := make([]arrow.Field, len(types))
	for i, t := range types {
		f, err := pgtype.Field(names[i], t, true)
		if err != nil {
			panic(err)
		}
		fields[i] = f
	}
	return arrow.NewSchema(fields, nil)
}

// Batch builds a record of schema from per-column values.
func Batch(mem memory.Allocator, schema *arrow.Schema, cols ...[]any) arrow.Record {
	arrs := make([]arrow.Array, len(cols))
	n := 0
	for i, c := range cols {
		t, err := pgtype.FromField(schema.Field(i))
		if err != nil {
			panic(err)
		}
		arrs[i] = Array(mem, t, c)
		n = len(c)
	}
	rec := array.NewRecord(schema, arrs, int64(n))
	for _, a := range arrs {
		a.Release()
	}
	return rec
}

// Values converts an array to Go values: integers, dates and timestamps
// as int64, floats as float64, numeric as decimal text without trailing
// zeros, text as string, vectors as []float32, NULL as nil.
func Values(a arrow.Array) []any {
	out := make([]any, a.Len())
	for i := range out {
		if a.IsNull(i) {
			continue
		}
		switch v := a.(type) {
		case *array.Boolean:
			out[i] = v.Value(i)
		case *array.Int16:
			out[i] = int64(v.Value(i))
		case *array.Int32:
			out[i] = int64(v.Value(i))
		case *array.Int64:
			out[i] = v.Value(i)
		case *array.Uint32:
			out[i] = int64(v.Value(i))
		case *array.Float32:
			out[i] = float64(v.Value(i))
		case *array.Float64:
			out[i] = v.Value(i)
		case *array.String:
			out[i] = v.Value(i)
		case *array.Binary:
			out[i] = string(v.Value(i))
		case *array.Date32:
			out[i] = int64(v.Value(i))
		case *array.Timestamp:
			out[i] = int64(v.Value(i))
		case *array.Decimal128:
			out[i] = decimalText(v.Value(i), v.DataType().(*arrow.Decimal128Type).Scale)
		case *array.List:
			s, e := v.ValueOffsets(i)
			out[i] = append([]float32{}, v.ListValues().(*array.Float32).Float32Values()[s:e]...)
		case *array.FixedSizeList:
			s, e := v.ValueOffsets(i)
			out[i] = append([]float32{}, v.ListValues().(*array.Float32).Float32Values()[s:e]...)
		default:
			panic(fmt.Sprintf("exectest.Values: %T", a))
		}
	}
	return out
}

func decimalText(v decimal128.Num, scale int32) string {
	r := new(big.Rat).SetFrac(v.BigInt(), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
	s := r.FloatString(int(scale))
	if scale > 0 {
		for s[len(s)-1] == '0' {
			s = s[:len(s)-1]
		}
		if s[len(s)-1] == '.' {
			s = s[:len(s)-1]
		}
	}
	return s
}

// Rows converts batches to rows of Go values (see Values).
func Rows(recs []arrow.Record) [][]any {
	var out [][]any
	for _, r := range recs {
		cols := make([][]any, r.NumCols())
		for c := range cols {
			cols[c] = Values(r.Column(c))
		}
		for i := 0; i < int(r.NumRows()); i++ {
			row := make([]any, len(cols))
			for c := range cols {
				row[c] = cols[c][i]
			}
			out = append(out, row)
		}
	}
	return out
}

// Release releases every batch.
func Release(recs []arrow.Record) {
	for _, r := range recs {
		r.Release()
	}
}
