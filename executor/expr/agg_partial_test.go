package expr

import (
	"math"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// TestEveryAggregateSplits checks, for every registered aggregate, that
// the state of groups without rows has StateType and merges as nothing:
// the merged accumulator's results equal those of an empty one.
func TestEveryAggregateSplits(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	aggs := []*Aggregate{{Name: "count", Args: []pgtype.Type{pgtype.Text}, Result: pgtype.Int8, newAcc: newCount}}
	for _, a := range aggOf {
		aggs = append(aggs, a)
	}
	for _, a := range aggs {
		if _, ok := a.NewAccumulator().(stateTyper); !ok {
			t.Fatalf("%s(%v): accumulator has no state type", a.Name, a.Args)
		}
		src := a.NewAccumulator()
		src.Grow(3)
		st, err := src.State(mem)
		if err != nil {
			t.Fatalf("%s(%v): State: %v", a.Name, a.Args, err)
		}
		if !arrow.TypeEqual(st.DataType(), a.StateType()) || st.Len() != 3 {
			t.Errorf("%s(%v): state %s of %d rows; want %s of 3", a.Name, a.Args, st.DataType(), st.Len(), a.StateType())
		}
		dst := a.NewAccumulator()
		dst.Grow(2)
		if err := dst.Merge(3, st, []uint32{1, SkipRow, 0}); err != nil {
			t.Fatalf("%s(%v): Merge: %v", a.Name, a.Args, err)
		}
		if err := dst.Merge(3, st, nil); err != nil {
			t.Fatalf("%s(%v): Merge: %v", a.Name, a.Args, err)
		}
		st.Release()
		empty := a.NewAccumulator()
		empty.Grow(2)
		got, err := dst.Result(mem)
		if err != nil {
			t.Fatal(err)
		}
		want, err := empty.Result(mem)
		if err != nil {
			t.Fatal(err)
		}
		if !array.Equal(got, want) {
			t.Errorf("%s(%v): merging empty states gives %v; want %v", a.Name, a.Args, got, want)
		}
		got.Release()
		want.Release()
		// A state column of another type is an internal error, not a
		// panic.
		bad := array.MakeArrayOfNull(mem, arrow.BinaryTypes.String, 1)
		if !arrow.TypeEqual(a.StateType(), bad.DataType()) {
			if err := dst.Merge(1, bad, nil); sqlstate.CodeOf(err) != sqlstate.InternalError {
				t.Errorf("%s(%v): merging a string state: %v; want XX000", a.Name, a.Args, err)
			}
		}
		bad.Release()
	}
}

// TestMergeSumIntOverflow: sum(int4) states whose total leaves int8 fail
// with 22003, as Update does.
func TestMergeSumIntOverflow(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	a, err := ResolveAggregate("sum", []pgtype.Type{pgtype.Int4})
	if err != nil {
		t.Fatal(err)
	}
	acc := a.NewAccumulator()
	acc.Grow(1)
	b := array.NewInt64Builder(mem)
	b.AppendValues([]int64{math.MaxInt64 - 1, 5}, nil)
	st := b.NewArray()
	b.Release()
	defer st.Release()
	if err := acc.Merge(2, st, nil); sqlstate.CodeOf(err) != sqlstate.NumericValueOutOfRange {
		t.Errorf("merging sums past int8: %v; want 22003", err)
	}
}

// TestDistinctDoesNotSplit: DISTINCT calls are not splittable and their
// accumulators refuse State and Merge.
func TestDistinctDoesNotSplit(t *testing.T) {
	a, err := ResolveAggregate("count", []pgtype.Type{pgtype.Int4})
	if err != nil {
		t.Fatal(err)
	}
	c := AggCall{Agg: a, Args: []Expr{&Column{Index: 0, T: pgtype.Int4}}, Distinct: true}
	if c.Splittable() {
		t.Error("count(DISTINCT x) is splittable")
	}
	acc, err := c.NewAccumulator()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := acc.State(memory.NewGoAllocator()); sqlstate.CodeOf(err) != sqlstate.FeatureNotSupported {
		t.Errorf("State of a DISTINCT call: %v", err)
	}
	c.Distinct = false
	if !c.Splittable() {
		t.Error("count(x) is not splittable")
	}
}
