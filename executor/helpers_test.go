package executor_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/exectest"
	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
)

var (
	i4  = pgtype.Int4
	i8  = pgtype.Int8
	f8  = pgtype.Float8
	txt = pgtype.Text
	bln = pgtype.Bool
	num = pgtype.Numeric
)

// newEnv returns an Env on a checked allocator that must be back at zero
// when the test ends.
func newEnv(t testing.TB) *expr.Env {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return &expr.Env{Mem: mem, Text: pgtype.DefaultTextOptions(), Now: time.Unix(0, 0)}
}

// source returns a Source of batches built from per-batch column values.
func source(env *expr.Env, names []string, types []pgtype.Type, batches ...[][]any) *exectest.Source {
	schema := exectest.Schema(names, types)
	recs := make([]arrow.Record, len(batches))
	for i, b := range batches {
		recs[i] = exectest.Batch(env.Mem, schema, b...)
	}
	s := exectest.NewSource(schema, recs...)
	exectest.Release(recs)
	return s
}

// drain runs op to the end, closes it, and returns its rows.
func drain(t testing.TB, op executor.Operator) [][]any {
	t.Helper()
	defer op.Close()
	recs, err := exectest.Drain(context.Background(), op)
	if err != nil {
		t.Fatalf("drain: %v", err)
	}
	defer exectest.Release(recs)
	for _, r := range recs {
		if !r.Schema().Equal(op.Schema()) {
			t.Fatalf("batch schema %s differs from operator schema %s", r.Schema(), op.Schema())
		}
	}
	return exectest.Rows(recs)
}

func col(i int, t pgtype.Type) *expr.Column { return &expr.Column{Index: i, T: t} }

func fn(t testing.TB, name string, args ...expr.Expr) expr.Expr {
	t.Helper()
	types := make([]pgtype.Type, len(args))
	for i, a := range args {
		types[i] = a.Type()
	}
	f, err := expr.Resolve(name, types)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range args {
		if a.Type().OID != f.Args[i].OID {
			args[i] = &expr.Cast{Arg: a, To: f.Args[i]}
		}
	}
	return &expr.Call{Func: f, Args: args}
}

// constant returns a constant of type t holding v (see exectest.Array).
func constant(t pgtype.Type, v any) *expr.Const {
	if v == nil {
		return &expr.Const{T: t}
	}
	a := exectest.Array(memory.NewGoAllocator(), t, []any{v})
	defer a.Release()
	sc, err := scalarAt(a)
	if err != nil {
		panic(err)
	}
	return &expr.Const{Value: sc, T: t}
}

func equalRows(got, want [][]any) bool {
	if len(got) == 0 && len(want) == 0 {
		return true
	}
	return reflect.DeepEqual(got, want)
}
