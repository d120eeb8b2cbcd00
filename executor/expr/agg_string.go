package expr

import (
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor/pgtype"
)

// string_agg(value, delimiter): the non-null values of a group joined,
// each after the delimiter of its own row, the first one's delimiter
// dropped (PostgreSQL's rule). Values join in input order; ORDER BY
// inside the call is not supported yet.
//
// The partial state keeps the joined text with its leading delimiter and
// that delimiter's length, so that partial states concatenate exactly:
//
//	struct<text: string (NULL while no value), lead: int64>

var stringAggStateType = arrow.StructOf(
	arrow.Field{Name: "text", Type: arrow.BinaryTypes.String, Nullable: true},
	arrow.Field{Name: "lead", Type: arrow.PrimitiveTypes.Int64},
)

func init() {
	registerAgg("string_agg", []pgtype.Type{pgtype.Text, pgtype.Text}, pgtype.Text, func(*Aggregate) Accumulator { return &stringAggAcc{} })
}

type stringAggAcc struct {
	bufs [][]byte
	lead []int64
	seen []bool
}

func (a *stringAggAcc) Grow(n int) {
	for len(a.bufs) < n {
		a.bufs = append(a.bufs, nil)
		a.lead = append(a.lead, 0)
		a.seen = append(a.seen, false)
	}
}

func (a *stringAggAcc) add(g uint32, delim, s string) {
	if !a.seen[g] {
		a.seen[g], a.lead[g] = true, int64(len(delim))
	}
	a.bufs[g] = append(append(a.bufs[g], delim...), s...)
}

func (a *stringAggAcc) Update(n int, args []arrow.Array, groups []uint32) error {
	r := newRowArgs(args)
	for i := 0; i < n; i++ {
		g := uint32(0)
		if groups != nil {
			g = groups[i]
		}
		if g == SkipRow || r.null(0, i) {
			continue
		}
		delim := ""
		if !r.null(1, i) {
			delim = r.str(1, i)
		}
		a.add(g, delim, r.str(0, i))
	}
	return nil
}

func (a *stringAggAcc) Result(mem memory.Allocator) (arrow.Array, error) {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	for g := range a.bufs {
		if !a.seen[g] {
			b.AppendNull()
			continue
		}
		b.BinaryBuilder.Append(a.bufs[g][a.lead[g]:])
	}
	return b.NewArray(), nil
}

func (a *stringAggAcc) stateType() arrow.DataType { return stringAggStateType }

func (a *stringAggAcc) State(mem memory.Allocator) (arrow.Array, error) {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	for g := range a.bufs {
		if !a.seen[g] {
			b.AppendNull()
			continue
		}
		b.BinaryBuilder.Append(a.bufs[g])
	}
	return structArray(stringAggStateType, len(a.bufs), b.NewArray(), int64Array(mem, a.lead)), nil
}

func (a *stringAggAcc) Merge(n int, states arrow.Array, groups []uint32) error {
	if err := checkState(states, stringAggStateType); err != nil {
		return err
	}
	st := states.(*array.Struct)
	texts, lead := st.Field(0).(*array.String), values[int64](st.Field(1))
	return stateRows(n, states, groups, func(i int, g uint32) error {
		if texts.IsNull(i) {
			return nil
		}
		s := texts.Value(i)
		a.add(g, s[:lead[i]], s[lead[i]:])
		return nil
	})
}
