package expr

import (
	"bytes"
	"cmp"
	"context"
	"math"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/compute"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// PostgreSQL arrays are Arrow lists of their elements (one dimension).
// Array kernels read a list argument row by row through its offsets and
// build results in two generic steps that work for every element type:
// gather the result elements as indexes into a values array (several
// sources are concatenated first), then take those values (an index of
// -1 is a NULL element) and wrap them in a list with the rows' offsets.
// Elements are compared with cmpElem, PostgreSQL's btree order of the
// element type (NULL elements are equal to each other and sort last, as
// array_eq and array_cmp treat them).

// listOf returns a as a list array (nil when a is NULL-typed).
func listOf(a arrow.Array) *array.List {
	l, _ := a.(*array.List)
	return l
}

// row maps row r of an n-row call to the argument's row (a constant has
// one).
func row(a arrow.Array, r int) int {
	if a.Len() == 1 {
		return 0
	}
	return r
}

// nullAt reports whether argument a is NULL at call row r.
func nullAt(a arrow.Array, r int) bool {
	return a.DataType().ID() == arrow.NULL || a.IsNull(row(a, r))
}

// span returns the values range of list l at call row r.
func span(l *array.List, r int) (int, int) {
	b, e := l.ValueOffsets(row(l, r))
	return int(b), int(e)
}

// cmpElem compares element i of a with element j of b, which have the
// same Arrow type, in PostgreSQL's order; NULL is greater than any value
// and equal to NULL.
func cmpElem(a arrow.Array, i int, b arrow.Array, j int) int {
	an, bn := a.IsNull(i), b.IsNull(j)
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	}
	switch x := a.(type) {
	case *array.Boolean:
		return cmp.Compare(b2i(x.Value(i)), b2i(b.(*array.Boolean).Value(j)))
	case *array.Int8:
		return cmp.Compare(x.Value(i), b.(*array.Int8).Value(j))
	case *array.Int16:
		return cmp.Compare(x.Value(i), b.(*array.Int16).Value(j))
	case *array.Int32:
		return cmp.Compare(x.Value(i), b.(*array.Int32).Value(j))
	case *array.Int64:
		return cmp.Compare(x.Value(i), b.(*array.Int64).Value(j))
	case *array.Uint32:
		return cmp.Compare(x.Value(i), b.(*array.Uint32).Value(j))
	case *array.Float32:
		return cmpElemFloat(float64(x.Value(i)), float64(b.(*array.Float32).Value(j)))
	case *array.Float64:
		return cmpElemFloat(x.Value(i), b.(*array.Float64).Value(j))
	case *array.String:
		return cmp.Compare(x.Value(i), b.(*array.String).Value(j))
	case *array.Binary:
		return bytes.Compare(x.Value(i), b.(*array.Binary).Value(j))
	case *array.Date32:
		return cmp.Compare(x.Value(i), b.(*array.Date32).Value(j))
	case *array.Timestamp:
		return cmp.Compare(x.Value(i), b.(*array.Timestamp).Value(j))
	case *array.Decimal128:
		return x.Value(i).Cmp(b.(*array.Decimal128).Value(j))
	case *array.List:
		y := b.(*array.List)
		xb, xe := x.ValueOffsets(i)
		yb, ye := y.ValueOffsets(j)
		return cmpRange(x.ListValues(), int(xb), int(xe), y.ListValues(), int(yb), int(ye))
	case *array.FixedSizeList:
		y := b.(*array.FixedSizeList)
		xb, xe := x.ValueOffsets(i)
		yb, ye := y.ValueOffsets(j)
		return cmpRange(x.ListValues(), int(xb), int(xe), y.ListValues(), int(yb), int(ye))
	}
	return 0
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// cmpElemFloat is float8's btree order: NaN equals NaN and is above
// everything else.
func cmpElemFloat(x, y float64) int {
	xn, yn := math.IsNaN(x), math.IsNaN(y)
	switch {
	case xn && yn:
		return 0
	case xn:
		return 1
	case yn:
		return -1
	}
	return cmp.Compare(x, y)
}

// cmpRange compares a[ab:ae] with b[bb:be] as arrays: element by element,
// then the shorter first.
func cmpRange(a arrow.Array, ab, ae int, b arrow.Array, bb, be int) int {
	for i, j := ab, bb; i < ae && j < be; i, j = i+1, j+1 {
		if c := cmpElem(a, i, b, j); c != 0 {
			return c
		}
	}
	return cmp.Compare(ae-ab, be-bb)
}

// boolResult builds a boolean array of n rows from f (value, null).
func boolResult(mem memory.Allocator, n int, f func(r int) (bool, bool)) arrow.Array {
	b := array.NewBooleanBuilder(mem)
	defer b.Release()
	b.Reserve(n)
	for r := 0; r < n; r++ {
		v, null := f(r)
		if null {
			b.AppendNull()
		} else {
			b.UnsafeAppend(v)
		}
	}
	return b.NewArray()
}

// int32Result builds an int4 array of n rows from f (value, null).
func int32Result(mem memory.Allocator, n int, f func(r int) (int32, bool)) arrow.Array {
	b := array.NewInt32Builder(mem)
	defer b.Release()
	b.Reserve(n)
	for r := 0; r < n; r++ {
		v, null := f(r)
		if null {
			b.AppendNull()
		} else {
			b.UnsafeAppend(v)
		}
	}
	return b.NewArray()
}

// listMaker gathers the rows of a list result as indexes into a values
// array.
type listMaker struct {
	idx     []int32 // element indexes, -1 for NULL
	offsets []int32
	valid   []bool
}

func newListMaker(n int) *listMaker {
	return &listMaker{offsets: make([]int32, 1, n+1), valid: make([]bool, 0, n)}
}

// add appends the elements [b, e) of the values to the current row.
func (m *listMaker) add(b, e int) {
	for i := b; i < e; i++ {
		m.idx = append(m.idx, int32(i))
	}
}

// addOne appends value i (-1 for NULL) to the current row.
func (m *listMaker) addOne(i int) { m.idx = append(m.idx, int32(i)) }

// end closes the current row; a null row must have no elements.
func (m *listMaker) end(null bool) {
	m.offsets = append(m.offsets, int32(len(m.idx)))
	m.valid = append(m.valid, !null)
}

// build takes the gathered values of vals and returns the list array of
// type lt.
func (m *listMaker) build(ctx context.Context, mem memory.Allocator, lt *arrow.ListType, vals arrow.Array) (arrow.Array, error) {
	elems, err := takeNullable(ctx, mem, vals, m.idx)
	if err != nil {
		return nil, err
	}
	defer elems.Release()
	if !arrow.TypeEqual(elems.DataType(), lt.Elem()) {
		c, err := conformElems(mem, elems, lt.Elem())
		if err != nil {
			return nil, err
		}
		defer c.Release()
		elems = c
	}
	return makeList(mem, lt, elems, m.offsets, m.valid), nil
}

// conformElems relabels elements whose layout matches the element type.
func conformElems(mem memory.Allocator, a arrow.Array, dt arrow.DataType) (arrow.Array, error) {
	if a.DataType().ID() == arrow.NULL {
		return nullArray(mem, dt, a.Len()), nil
	}
	if a.DataType().ID() == dt.ID() {
		return relabel(a, dt), nil
	}
	return nil, sqlstate.New(sqlstate.InternalError, "array elements of Arrow type %s where %s was expected", a.DataType(), dt)
}

// makeList wraps elements in a list array with offsets (len n+1) and
// validity (len n).
func makeList(mem memory.Allocator, lt *arrow.ListType, elems arrow.Array, offsets []int32, valid []bool) arrow.Array {
	n := len(valid)
	obuf, ov := allocValues[int32](mem, n+1)
	copy(ov, offsets)
	nulls := 0
	var vbuf *memory.Buffer
	for _, v := range valid {
		if !v {
			nulls++
		}
	}
	if nulls > 0 {
		vbuf = allocBitmap(mem, n)
		bits := vbuf.Bytes()
		for i, v := range valid {
			if v {
				bits[i>>3] |= 1 << (i & 7)
			}
		}
	}
	d := array.NewData(lt, n, []*memory.Buffer{vbuf, obuf}, []arrow.ArrayData{elems.Data()}, nulls, 0)
	out := array.MakeFromData(d)
	d.Release()
	obuf.Release()
	if vbuf != nil {
		vbuf.Release()
	}
	return out
}

// takeNullable returns the values idx of a; an index of -1 gives NULL.
func takeNullable(ctx context.Context, mem memory.Allocator, a arrow.Array, idx []int32) (arrow.Array, error) {
	if a.DataType().ID() == arrow.NULL {
		return nullArray(mem, arrow.Null, len(idx)), nil
	}
	ib := array.NewInt32Builder(mem)
	defer ib.Release()
	ib.Reserve(len(idx))
	for _, i := range idx {
		if i < 0 {
			ib.UnsafeAppendBoolToBitmap(false)
		} else {
			ib.UnsafeAppend(i)
		}
	}
	ia := ib.NewInt32Array()
	defer ia.Release()
	out, err := compute.TakeArray(compute.WithAllocator(ctx, mem), a, ia)
	if err != nil {
		return nil, sqlstate.Wrap(err, sqlstate.InternalError, "array elements: %v", err)
	}
	return out, nil
}

// concatValues concatenates value arrays of element type et (Arrow type
// dt), converting parts of another representation (a numeric scale, a
// NULL-typed part), and returns the start of each part.
func concatValues(mem memory.Allocator, et pgtype.Type, dt arrow.DataType, parts ...arrow.Array) (arrow.Array, []int, error) {
	starts := make([]int, len(parts))
	conv := make([]arrow.Array, 0, len(parts))
	defer func() { releaseAll(conv) }()
	at := 0
	for i, p := range parts {
		starts[i] = at
		at += p.Len()
		c, err := conform(mem, p, et)
		if err != nil {
			return nil, nil, err
		}
		if !arrow.TypeEqual(c.DataType(), dt) {
			r, err := conformElems(mem, c, dt)
			c.Release()
			if err != nil {
				return nil, nil, err
			}
			c = r
		}
		conv = append(conv, c)
	}
	if len(conv) == 1 {
		conv[0].Retain()
		return conv[0], starts, nil
	}
	out, err := array.Concatenate(conv, mem)
	if err != nil {
		return nil, nil, sqlstate.Wrap(err, sqlstate.InternalError, "array values: %v", err)
	}
	return out, starts, nil
}

// listType returns the Arrow list type of array type t.
func listType(t pgtype.Type) (*arrow.ListType, error) {
	dt, err := t.Arrow()
	if err != nil {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "arrays of type %s are not supported", t)
	}
	lt, ok := dt.(*arrow.ListType)
	if !ok {
		return nil, sqlstate.New(sqlstate.InternalError, "array type %s as %s", t, dt)
	}
	return lt, nil
}

// listFromScalars builds a list array from list scalars (nil or invalid
// ones are NULL).
func listFromScalars(ctx context.Context, mem memory.Allocator, t pgtype.Type, lt *arrow.ListType, vals []scalar.Scalar) (arrow.Array, error) {
	parts := make([]arrow.Array, 0, len(vals))
	m := newListMaker(len(vals))
	at := 0
	for _, v := range vals {
		l, ok := v.(*scalar.List)
		if !ok || !v.IsValid() || l.Value == nil {
			m.end(true)
			continue
		}
		parts = append(parts, l.Value)
		m.add(at, at+l.Value.Len())
		at += l.Value.Len()
		m.end(false)
	}
	if len(parts) == 0 {
		parts = append(parts, nullArray(mem, lt.Elem(), 0))
		defer parts[0].Release()
	}
	all, _, err := concatValues(mem, pgtype.ElemOf(t), lt.Elem(), parts...)
	if err != nil {
		return nil, err
	}
	defer all.Release()
	return m.build(ctx, mem, lt, all)
}
