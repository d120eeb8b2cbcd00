package expr

import (
	"context"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor/pgtype"
)

// array_agg(x): the values of x in each group, NULLs included, as an
// array (NULL for a group without rows). Registered for every element
// type with an array type. The accumulator copies each batch's values to
// the Go heap (so it holds no allocator memory between calls) and keeps,
// per group, references (chunk, row) to them; Result concatenates the
// chunks and takes the groups' rows in order. The partial state is the
// group's array itself; Merge appends its elements.

func init() {
	for _, at := range arrayTypes() {
		if pgtype.IsVectorArray(at.OID) {
			continue
		}
		et := pgtype.ElemOf(at)
		registerAgg("array_agg", []pgtype.Type{et}, at, newArrayAgg)
	}
}

type elemRef struct{ chunk, row int32 }

type arrayAggAcc struct {
	result pgtype.Type
	chunks []arrow.Array
	groups [][]elemRef
	seen   []bool
}

func newArrayAgg(a *Aggregate) Accumulator { return &arrayAggAcc{result: a.Result} }

func (a *arrayAggAcc) stateType() arrow.DataType {
	lt, err := listType(a.result)
	if err != nil {
		return arrow.Null
	}
	return lt
}

// Grow implements Accumulator.
func (a *arrayAggAcc) Grow(n int) {
	for len(a.groups) < n {
		a.groups = append(a.groups, nil)
		a.seen = append(a.seen, false)
	}
}

// keep copies rows idx of v to the Go heap as a new chunk.
func (a *arrayAggAcc) keep(v arrow.Array, idx []int32) (int32, error) {
	c, err := takeNullable(context.Background(), memory.DefaultAllocator, v, idx)
	if err != nil {
		return 0, err
	}
	a.chunks = append(a.chunks, c)
	return int32(len(a.chunks) - 1), nil
}

// Update implements Accumulator.
func (a *arrayAggAcc) Update(n int, args []arrow.Array, groups []uint32) error {
	var idx []int32
	var gs []uint32
	for i := 0; i < n; i++ {
		g := uint32(0)
		if groups != nil {
			g = groups[i]
		}
		if g == SkipRow {
			continue
		}
		idx = append(idx, int32(row(args[0], i)))
		gs = append(gs, g)
	}
	if len(idx) == 0 {
		return nil
	}
	c, err := a.keep(args[0], idx)
	if err != nil {
		return err
	}
	for i, g := range gs {
		a.Grow(int(g) + 1)
		a.groups[g] = append(a.groups[g], elemRef{c, int32(i)})
		a.seen[g] = true
	}
	return nil
}

// Merge implements Accumulator.
func (a *arrayAggAcc) Merge(n int, states arrow.Array, groups []uint32) error {
	if err := checkState(states, a.stateType()); err != nil {
		return err
	}
	l := states.(*array.List)
	var idx []int32
	type span struct {
		g    uint32
		b, e int
	}
	var spans []span
	for i := 0; i < n; i++ {
		g := uint32(0)
		if groups != nil {
			g = groups[i]
		}
		if g == SkipRow || l.IsNull(i) {
			continue
		}
		b, e := l.ValueOffsets(i)
		spans = append(spans, span{g, len(idx), len(idx) + int(e-b)})
		for j := b; j < e; j++ {
			idx = append(idx, int32(j))
		}
	}
	if len(spans) == 0 {
		return nil
	}
	c, err := a.keep(l.ListValues(), idx)
	if err != nil {
		return err
	}
	for _, s := range spans {
		a.Grow(int(s.g) + 1)
		for k := s.b; k < s.e; k++ {
			a.groups[s.g] = append(a.groups[s.g], elemRef{c, int32(k)})
		}
		a.seen[s.g] = true
	}
	return nil
}

// Result implements Accumulator.
func (a *arrayAggAcc) Result(mem memory.Allocator) (arrow.Array, error) {
	lt, err := listType(a.result)
	if err != nil {
		return nil, err
	}
	parts := a.chunks
	if len(parts) == 0 {
		parts = []arrow.Array{nullArray(memory.DefaultAllocator, lt.Elem(), 0)}
	}
	all, starts, err := concatValues(mem, pgtype.ElemOf(a.result), lt.Elem(), parts...)
	if err != nil {
		return nil, err
	}
	defer all.Release()
	m := newListMaker(len(a.groups))
	for g, refs := range a.groups {
		for _, r := range refs {
			m.addOne(starts[r.chunk] + int(r.row))
		}
		m.end(!a.seen[g])
	}
	return m.build(context.Background(), mem, lt, all)
}

// State implements Accumulator.
func (a *arrayAggAcc) State(mem memory.Allocator) (arrow.Array, error) { return a.Result(mem) }
