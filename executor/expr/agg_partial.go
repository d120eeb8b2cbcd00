package expr

import (
	"math/bits"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// Partial aggregation splits an aggregate in two: plan executors fold
// their share of a table into partial states (Accumulator.State), and the
// query node folds the concatenated states into final ones
// (Accumulator.Merge) before computing results as always. A state is
// exactly what the accumulator keeps per group, written out as one Arrow
// value per group, so a merge only ever does what Update does: integer
// and 128-bit additions, comparisons and counts. The additions are
// associative and commutative, so the merged sums are bit-identical to
// one accumulator's over all rows, in any order of partials and rows,
// carries and wrap-around included; a partial's minimum (or bool_and) is
// a candidate like any row, so merging extremes gives the extreme. Results
// (the division of avg, the scale-16 rescaling of numeric, the 38-digit
// overflow check, the float32 of sum(float4) and of vectors) are computed
// once, by the final accumulator, from the merged state: they come out
// the same, and fail with the same SQLSTATE where the complete path
// fails. The one conversion on the way is min and max's, whose state is
// already the result (the value in the result type's Arrow type): that
// conversion is monotonic (numeric rescaling, relabelled strings and
// timestamps), so the extreme of converted values is the converted
// extreme.
//
// Two things are not bit-exact. Float sums (sum and avg of float4, float8
// and vector elements, kept in float64 as the complete path keeps them)
// add in a different order, so they can differ in the last bits. And
// sum(int2) and sum(int4) check each addition for int8 overflow, as the
// complete path does: with totals near the int8 limits (billions of rows)
// whether some intermediate sum overflows depends on the order, as in
// PostgreSQL's own parallel aggregation. Ties of min and max (-0 and 0
// for floats) may pick the other of two equal values.
//
// State layouts (StateType), one row per group:
//
//	count(*), count(x)       int64, never NULL (0 for a group with no rows)
//	sum(int2), sum(int4)     int64, NULL when the group saw no value
//	sum(int8), avg(int*)     struct{lo uint64, hi int64, cnt int64}: the
//	                         128-bit sum as two's complement halves, cnt
//	                         the number of values (0: no value)
//	sum, avg of floats       struct{sum float64, cnt int64}
//	sum, avg of numeric      struct{lo uint64, hi int64, cnt int64,
//	                         scale int32}: the 128-bit sum of the unscaled
//	                         decimals at the input's scale, which the
//	                         state carries (NULL when the partial saw no
//	                         batch) since numeric's Arrow scale comes from
//	                         the column, not the signature
//	sum, avg of vector       struct{sum list<float64>, cnt int64}: element
//	                         sums, NULL when cnt is 0
//	bool_and, every, bool_or bool, NULL when the group saw no value
//	min, max                 the result type's Arrow type, NULL when the
//	                         group saw no value
//
// A group that saw no rows has a state that merges as nothing: a count of
// 0, a NULL, or a cnt of 0 with zero sums. DISTINCT calls do not split
// (AggCall.Splittable): deduplication needs every argument tuple of a
// group in one place, so they run on the query node.

var (
	int128StateType = arrow.StructOf(
		arrow.Field{Name: "lo", Type: arrow.PrimitiveTypes.Uint64},
		arrow.Field{Name: "hi", Type: arrow.PrimitiveTypes.Int64},
		arrow.Field{Name: "cnt", Type: arrow.PrimitiveTypes.Int64},
	)
	floatStateType = arrow.StructOf(
		arrow.Field{Name: "sum", Type: arrow.PrimitiveTypes.Float64},
		arrow.Field{Name: "cnt", Type: arrow.PrimitiveTypes.Int64},
	)
	numericStateType = arrow.StructOf(
		arrow.Field{Name: "lo", Type: arrow.PrimitiveTypes.Uint64},
		arrow.Field{Name: "hi", Type: arrow.PrimitiveTypes.Int64},
		arrow.Field{Name: "cnt", Type: arrow.PrimitiveTypes.Int64},
		arrow.Field{Name: "scale", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	)
	vectorStateType = arrow.StructOf(
		arrow.Field{Name: "sum", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64), Nullable: true},
		arrow.Field{Name: "cnt", Type: arrow.PrimitiveTypes.Int64},
	)
)

// Splittable reports whether the call can run as a partial aggregation
// merged by a final one: every call but DISTINCT ones. FILTER is applied
// on the partial side.
func (c *AggCall) Splittable() bool { return !c.Distinct }

// stateTyper is implemented by every accumulator of the registry.
type stateTyper interface{ stateType() arrow.DataType }

// StateType returns the Arrow type of one group's partial state (the
// layouts are listed in agg_partial.go).
func (a *Aggregate) StateType() arrow.DataType {
	return a.NewAccumulator().(stateTyper).stateType()
}

// errStateType is the error of a state column of the wrong type.
func errStateType(want, got arrow.DataType) error {
	return sqlstate.New(sqlstate.InternalError, "aggregate state of Arrow type %s where %s was expected", got, want)
}

// checkState verifies that states has type want.
func checkState(states arrow.Array, want arrow.DataType) error {
	if !arrow.TypeEqual(states.DataType(), want) {
		return errStateType(want, states.DataType())
	}
	return nil
}

// stateRows calls f for each state row that goes into a group: not
// SkipRow and not NULL (at the top level).
func stateRows(n int, states arrow.Array, groups []uint32, f func(i int, g uint32) error) error {
	nb, off := nullBits(states)
	for i := 0; i < n; i++ {
		g := uint32(0)
		if groups != nil {
			g = groups[i]
		}
		if g == SkipRow || nb != nil && !bitIsSet(nb, off+i) {
			continue
		}
		if err := f(i, g); err != nil {
			return err
		}
	}
	return nil
}

// int64Array copies v into an int64 array without nulls.
func int64Array(mem memory.Allocator, v []int64) arrow.Array {
	buf, out := allocValues[int64](mem, len(v))
	copy(out, v)
	return fixedArray(arrow.PrimitiveTypes.Int64, len(v), nil, 0, buf)
}

// structArray assembles a struct array of type dt (no top-level nulls)
// from its children, taking over their references.
func structArray(dt arrow.DataType, n int, children ...arrow.Array) arrow.Array {
	kids := make([]arrow.ArrayData, len(children))
	for i, c := range children {
		kids[i] = c.Data()
	}
	d := array.NewData(dt, n, []*memory.Buffer{nil}, kids, 0, 0)
	out := array.MakeFromData(d)
	d.Release()
	for _, c := range children {
		c.Release()
	}
	return out
}

// int128State writes 128-bit sums and counts.
func int128State(mem memory.Allocator, lo []uint64, hi, cnt []int64) []arrow.Array {
	n := len(lo)
	lb, lv := allocValues[uint64](mem, n)
	copy(lv, lo)
	return []arrow.Array{
		fixedArray(arrow.PrimitiveTypes.Uint64, n, nil, 0, lb),
		int64Array(mem, hi[:n]),
		int64Array(mem, cnt[:n]),
	}
}

// count

func (a *countAcc) stateType() arrow.DataType { return arrow.PrimitiveTypes.Int64 }

func (a *countAcc) State(mem memory.Allocator) (arrow.Array, error) { return a.Result(mem) }

func (a *countAcc) Merge(n int, states arrow.Array, groups []uint32) error {
	if err := checkState(states, a.stateType()); err != nil {
		return err
	}
	v := values[int64](states)
	return stateRows(n, states, groups, func(i int, g uint32) error {
		a.c[g] += v[i]
		return nil
	})
}

// sum(int2), sum(int4)

func (a *sumIntAcc) stateType() arrow.DataType { return arrow.PrimitiveTypes.Int64 }

func (a *sumIntAcc) State(mem memory.Allocator) (arrow.Array, error) { return a.Result(mem) }

func (a *sumIntAcc) Merge(n int, states arrow.Array, groups []uint32) error {
	if err := checkState(states, a.stateType()); err != nil {
		return err
	}
	v := values[int64](states)
	return stateRows(n, states, groups, func(i int, g uint32) error { return a.add(g, v[i]) })
}

// sum(int8), avg of integers

func (a *int128Acc) stateType() arrow.DataType { return int128StateType }

func (a *int128Acc) State(mem memory.Allocator) (arrow.Array, error) {
	return structArray(int128StateType, len(a.lo), int128State(mem, a.lo, a.hi, a.cnt)...), nil
}

func (a *int128Acc) Merge(n int, states arrow.Array, groups []uint32) error {
	if err := checkState(states, int128StateType); err != nil {
		return err
	}
	st := states.(*array.Struct)
	lo, hi, cnt := values[uint64](st.Field(0)), values[int64](st.Field(1)), values[int64](st.Field(2))
	return stateRows(n, states, groups, func(i int, g uint32) error {
		var c uint64
		a.lo[g], c = bits.Add64(a.lo[g], lo[i], 0)
		a.hi[g] += hi[i] + int64(c)
		a.cnt[g] += cnt[i]
		return nil
	})
}

// sum, avg of floats

func (a *floatAcc) stateType() arrow.DataType { return floatStateType }

func (a *floatAcc) State(mem memory.Allocator) (arrow.Array, error) {
	n := len(a.sum)
	sb, sv := allocValues[float64](mem, n)
	copy(sv, a.sum)
	return structArray(floatStateType, n,
		fixedArray(arrow.PrimitiveTypes.Float64, n, nil, 0, sb),
		int64Array(mem, a.cnt[:n])), nil
}

func (a *floatAcc) Merge(n int, states arrow.Array, groups []uint32) error {
	if err := checkState(states, floatStateType); err != nil {
		return err
	}
	st := states.(*array.Struct)
	sum, cnt := values[float64](st.Field(0)), values[int64](st.Field(1))
	return stateRows(n, states, groups, func(i int, g uint32) error {
		if cnt[i] > 0 {
			a.sum[g] += sum[i]
			a.cnt[g] += cnt[i]
		}
		return nil
	})
}

// sum, avg of numeric

func (a *numericAcc) stateType() arrow.DataType { return numericStateType }

func (a *numericAcc) State(mem memory.Allocator) (arrow.Array, error) {
	n := len(a.lo)
	cols := int128State(mem, a.lo, a.hi, a.cnt)
	buf, sc := allocValues[int32](mem, n)
	var valid *memory.Buffer
	nulls := 0
	if a.set {
		for i := range sc {
			sc[i] = a.scale
		}
	} else {
		clear(sc)
		valid, nulls = allocBitmap(mem, n), n
	}
	cols = append(cols, fixedArray(arrow.PrimitiveTypes.Int32, n, valid, nulls, buf))
	return structArray(numericStateType, n, cols...), nil
}

func (a *numericAcc) Merge(n int, states arrow.Array, groups []uint32) error {
	if err := checkState(states, numericStateType); err != nil {
		return err
	}
	st := states.(*array.Struct)
	lo, hi, cnt := values[uint64](st.Field(0)), values[int64](st.Field(1)), values[int64](st.Field(2))
	scales := st.Field(3)
	sv := values[int32](scales)
	return stateRows(n, states, groups, func(i int, g uint32) error {
		if scales.IsValid(i) {
			if s := sv[i]; !a.set {
				a.scale, a.set = s, true
			} else if s != a.scale {
				return sqlstate.New(sqlstate.InternalError, "numeric aggregate over scales %d and %d", a.scale, s)
			}
		}
		var c uint64
		a.lo[g], c = bits.Add64(a.lo[g], lo[i], 0)
		a.hi[g] += hi[i] + int64(c)
		a.cnt[g] += cnt[i]
		return nil
	})
}

// sum, avg of vector

func (a *vectorAcc) stateType() arrow.DataType { return vectorStateType }

func (a *vectorAcc) State(mem memory.Allocator) (arrow.Array, error) {
	n := len(a.sums)
	total := 0
	nulls := 0
	for g, s := range a.sums {
		if a.cnt[g] > 0 {
			total += len(s)
		} else {
			nulls++
		}
	}
	offBuf, offs := allocValues[int32](mem, n+1)
	valBuf, vals := allocValues[float64](mem, total)
	var validBuf *memory.Buffer
	if nulls > 0 {
		validBuf = allocBitmap(mem, n)
	}
	pos := 0
	for g, s := range a.sums {
		offs[g] = int32(pos)
		if a.cnt[g] > 0 {
			pos += copy(vals[pos:], s)
			if validBuf != nil {
				bitutil.SetBit(validBuf.Bytes(), g)
			}
		}
	}
	offs[n] = int32(pos)
	child := array.NewData(arrow.PrimitiveTypes.Float64, total, []*memory.Buffer{nil, valBuf}, nil, 0, 0)
	d := array.NewData(arrow.ListOf(arrow.PrimitiveTypes.Float64), n, []*memory.Buffer{validBuf, offBuf}, []arrow.ArrayData{child}, nulls, 0)
	sums := array.MakeFromData(d)
	d.Release()
	child.Release()
	valBuf.Release()
	offBuf.Release()
	releaseBuf(validBuf)
	return structArray(vectorStateType, n, sums, int64Array(mem, a.cnt[:n])), nil
}

func (a *vectorAcc) Merge(n int, states arrow.Array, groups []uint32) error {
	if err := checkState(states, vectorStateType); err != nil {
		return err
	}
	st := states.(*array.Struct)
	sums := st.Field(0).(*array.List)
	flat := values[float64](sums.ListValues())
	cnt := values[int64](st.Field(1))
	return stateRows(n, states, groups, func(i int, g uint32) error {
		if cnt[i] == 0 || sums.IsNull(i) {
			return nil
		}
		b, e := sums.ValueOffsets(i)
		x := flat[b:e]
		s, err := a.sumOf(g, len(x))
		if err != nil {
			return err
		}
		for j, v := range x {
			s[j] += v
		}
		a.cnt[g] += cnt[i]
		return nil
	})
}

// bool_and, every, bool_or: the state is the result, and a state merges
// like a value.

func (a *boolAcc) stateType() arrow.DataType { return arrow.FixedWidthTypes.Boolean }

func (a *boolAcc) State(mem memory.Allocator) (arrow.Array, error) { return a.Result(mem) }

func (a *boolAcc) Merge(n int, states arrow.Array, groups []uint32) error {
	if err := checkState(states, a.stateType()); err != nil {
		return err
	}
	return a.Update(n, []arrow.Array{states}, groups)
}

// min, max: likewise.

func (a *minMaxAcc) stateType() arrow.DataType {
	dt, err := a.result.Arrow()
	if err != nil {
		return arrow.Null
	}
	return dt
}

func (a *minMaxAcc) State(mem memory.Allocator) (arrow.Array, error) { return a.Result(mem) }

func (a *minMaxAcc) Merge(n int, states arrow.Array, groups []uint32) error {
	if err := checkState(states, a.stateType()); err != nil {
		return err
	}
	return a.Update(n, []arrow.Array{states}, groups)
}

// DISTINCT calls do not split.

func (d *distinctAcc) State(memory.Allocator) (arrow.Array, error) {
	return nil, errDistinctSplit()
}

func (d *distinctAcc) Merge(int, arrow.Array, []uint32) error { return errDistinctSplit() }

func errDistinctSplit() error {
	return sqlstate.New(sqlstate.FeatureNotSupported, "DISTINCT aggregates cannot run as partial aggregations")
}
