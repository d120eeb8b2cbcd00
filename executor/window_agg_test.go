package executor_test

import (
	"reflect"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
)

// TestWindowAggregates checks the three frames on a partitioned, ordered
// window whose partitions and peer groups span input batches, and that
// the allocator ends at zero.
func TestWindowAggregates(t *testing.T) {
	env := newEnv(t)
	// (g, t, v): partition a has peers at t=2; b has a NULL.
	src := source(env, []string{"g", "t", "v"}, []pgtype.Type{txt, i4, i4},
		[][]any{{"a", "a", "b"}, {1, 2, 1}, {10, 20, 7}},
		[][]any{{"a", "b", "a", "c"}, {2, 5, 3, 1}, {5, nil, 1, 3}},
	)
	sum, err := expr.ResolveAggregate("sum", []pgtype.Type{i4})
	if err != nil {
		t.Fatal(err)
	}
	count, err := expr.ResolveAggregate("count", nil)
	if err != nil {
		t.Fatal(err)
	}
	v := col(2, i4)
	w, err := executor.NewWindow(env, src, executor.WindowConfig{
		Partition: []expr.Expr{col(0, txt)},
		Order:     []executor.SortKey{{Expr: col(1, i4)}},
		Funcs:     []executor.WindowFunc{executor.RowNumber},
		Aggs: []executor.WindowAggregate{
			{Call: expr.AggCall{Agg: sum, Args: []expr.Expr{v}}, Frame: executor.FrameRange},
			{Call: expr.AggCall{Agg: sum, Args: []expr.Expr{v}}, Frame: executor.FrameRows},
			{Call: expr.AggCall{Agg: count}, Frame: executor.FramePartition},
			{Call: expr.AggCall{Agg: count, Filter: fn(t, ">", v, &expr.Const{Value: scalar.NewInt32Scalar(6), T: i4})}, Frame: executor.FramePartition},
		},
		Names: []string{"rn", "run", "rows", "n", "big"},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := drain(t, w)
	// Rows sorted by g, t; within the t=2 peers of a the order is the
	// sort's (stable: input order), so the ROWS frame sees 20 before 5.
	want := [][]any{
		{"a", int64(1), int64(10), int64(1), int64(10), int64(10), int64(4), int64(2)},
		{"a", int64(2), int64(20), int64(2), int64(35), int64(30), int64(4), int64(2)},
		{"a", int64(2), int64(5), int64(3), int64(35), int64(35), int64(4), int64(2)},
		{"a", int64(3), int64(1), int64(4), int64(36), int64(36), int64(4), int64(2)},
		{"b", int64(1), int64(7), int64(1), int64(7), int64(7), int64(2), int64(1)},
		{"b", int64(5), nil, int64(2), int64(7), int64(7), int64(2), int64(1)},
		{"c", int64(1), int64(3), int64(1), int64(3), int64(3), int64(1), int64(0)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%v\nwant\n%v", got, want)
	}
}

// TestWindowValues checks lag with a default, last_value over the
// default frame and ntile across a batch boundary, allocator at zero.
func TestWindowValues(t *testing.T) {
	env := newEnv(t)
	src := source(env, []string{"g", "t"}, []pgtype.Type{txt, i4},
		[][]any{{"a", "a", "b"}, {1, 2, 1}},
		[][]any{{"a", "a"}, {2, 3}},
	)
	w, err := executor.NewWindow(env, src, executor.WindowConfig{
		Partition: []expr.Expr{col(0, txt)},
		Order:     []executor.SortKey{{Expr: col(1, i4)}},
		Values: []executor.WindowValue{
			{Kind: executor.Lag, Arg: col(1, i4), Offset: 1, Default: &expr.Const{Value: scalar.NewInt32Scalar(-1), T: i4}, Result: i4},
			{Kind: executor.LastValue, Arg: col(1, i4), Frame: executor.FrameRange, Result: i4},
			{Kind: executor.NTile, Offset: 3, Result: pgtype.Int8},
		},
		Names: []string{"lag", "last", "tile"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]any{
		{"a", int64(1), int64(-1), int64(1), int64(1)},
		{"a", int64(2), int64(1), int64(2), int64(1)},
		{"a", int64(2), int64(2), int64(2), int64(2)},
		{"a", int64(3), int64(2), int64(3), int64(3)},
		{"b", int64(1), int64(-1), int64(1), int64(1)},
	}
	if got := drain(t, w); !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%v\nwant\n%v", got, want)
	}
}
