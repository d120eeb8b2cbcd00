package expr_test

import (
	"context"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// newEnv returns an Env on a checked allocator that must be back at zero
// when the test ends.
func newEnv(t testing.TB) *expr.Env {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return &expr.Env{
		Mem:  mem,
		Text: pgtype.DefaultTextOptions(),
		Now:  time.Date(2024, 7, 2, 10, 30, 15, 123456000, time.UTC),
	}
}

// mkArray builds an array of PostgreSQL type t from Go values (nil is
// NULL): int64 for integers and dates (days) and timestamps (µs), float64
// for floats, string for text and numeric (decimal text), bool, and
// []float32 for vectors.
func mkArray(mem memory.Allocator, t pgtype.Type, vals []any) arrow.Array {
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
			bb.Append(float32(toFloat(v)))
		case *array.Float64Builder:
			bb.Append(toFloat(v))
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
			panic(fmt.Sprintf("mkArray: %T", b))
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
	panic(fmt.Sprintf("not an int: %T", v))
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int:
		return float64(x)
	}
	panic(fmt.Sprintf("not a float: %T", v))
}

// lit is a constant of type t (nil is NULL).
func lit(t pgtype.Type, v any) *expr.Const {
	if v == nil {
		return &expr.Const{T: t}
	}
	a := mkArray(memory.NewGoAllocator(), t, []any{v})
	defer a.Release()
	sc, err := scalar.GetScalar(a, 0)
	if err != nil {
		panic(err)
	}
	return &expr.Const{Value: sc, T: t}
}

// textLit is an untyped literal ('…').
func textLit(s string) *expr.Const {
	return &expr.Const{Value: scalar.NewStringScalar(s), T: pgtype.Unknown}
}

// col is column i of type t.
func col(i int, t pgtype.Type) *expr.Column {
	return &expr.Column{Index: i, T: t, Name: fmt.Sprintf("c%d", i)}
}

// call resolves name for the arguments' types and casts them as the
// planner would.
func call(t testing.TB, name string, args ...expr.Expr) expr.Expr {
	t.Helper()
	e, err := tryCall(name, args...)
	if err != nil {
		t.Fatalf("Resolve(%s): %v", name, err)
	}
	return e
}

func tryCall(name string, args ...expr.Expr) (expr.Expr, error) {
	types := make([]pgtype.Type, len(args))
	for i, a := range args {
		types[i] = a.Type()
	}
	f, err := expr.Resolve(name, types)
	if err != nil {
		return nil, err
	}
	cast := make([]expr.Expr, len(args))
	for i, a := range args {
		cast[i] = a
		if a.Type().OID != f.Args[i].OID {
			cast[i] = &expr.Cast{Arg: a, To: f.Args[i]}
		}
	}
	return &expr.Call{Func: f, Args: cast}, nil
}

// batch builds a record of columns of the given types and values.
func batch(mem memory.Allocator, types []pgtype.Type, cols ...[]any) arrow.Record {
	arrs := make([]arrow.Array, len(cols))
	fields := make([]arrow.Field, len(cols))
	n := 1
	for i, c := range cols {
		arrs[i] = mkArray(mem, types[i], c)
		f, err := pgtype.Field(fmt.Sprintf("c%d", i), types[i], true)
		if err != nil {
			panic(err)
		}
		fields[i] = f
		n = len(c)
	}
	rec := array.NewRecord(arrow.NewSchema(fields, nil), arrs, int64(n))
	for _, a := range arrs {
		a.Release()
	}
	return rec
}

// oneRow is a batch of one row and no columns.
func oneRow() arrow.Record { return array.NewRecord(arrow.NewSchema(nil, nil), nil, 1) }

// values converts an array to Go values for comparison: integers, dates
// and timestamps as int64, floats as float64, numeric as decimal text,
// text as string, vectors as []float32, NULL as nil.
func goValues(a arrow.Array) []any {
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
			out[i] = trimDecimal(v.Value(i), v.DataType().(*arrow.Decimal128Type).Scale)
		case *array.List:
			s, e := v.ValueOffsets(i)
			out[i] = append([]float32{}, v.ListValues().(*array.Float32).Float32Values()[s:e]...)
		case *array.FixedSizeList:
			s, e := v.ValueOffsets(i)
			out[i] = append([]float32{}, v.ListValues().(*array.Float32).Float32Values()[s:e]...)
		default:
			out[i] = fmt.Sprintf("?%T", a)
		}
	}
	return out
}

// trimDecimal formats a decimal without trailing fractional zeros.
func trimDecimal(v decimal128.Num, scale int32) string {
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

// evalOn evaluates e over rec and returns Go values or the error's code.
func evalOn(t testing.TB, env *expr.Env, e expr.Expr, rec arrow.Record) ([]any, sqlstate.Code) {
	t.Helper()
	a, err := e.Eval(context.Background(), env, rec)
	if err != nil {
		return nil, sqlstate.CodeOf(err)
	}
	defer a.Release()
	if a.Len() != int(rec.NumRows()) {
		t.Fatalf("%s: %d values for %d rows", e, a.Len(), rec.NumRows())
	}
	want, err := e.Type().Arrow()
	if err == nil && !arrow.TypeEqual(a.DataType(), want) {
		t.Fatalf("%s: result of Arrow type %s, want %s", e, a.DataType(), want)
	}
	return goValues(a), ""
}

// eval1 evaluates a constant expression over one row.
func eval1(t testing.TB, env *expr.Env, e expr.Expr) (any, sqlstate.Code) {
	t.Helper()
	rec := oneRow()
	defer rec.Release()
	v, code := evalOn(t, env, e, rec)
	if code != "" {
		return nil, code
	}
	return v[0], ""
}
