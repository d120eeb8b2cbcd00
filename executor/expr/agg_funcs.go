package expr

import (
	"math"
	"math/big"
	"math/bits"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// The accumulators of agg.go. Each Update switches once on the argument's
// Arrow type and on whether groups is nil, then runs a typed loop.

// nullBits returns a's validity bitmap and offset, or nil when a has no
// nulls.
func nullBits(a arrow.Array) ([]byte, int) {
	if a.NullN() == 0 {
		return nil, 0
	}
	if a.DataType().ID() == arrow.NULL {
		return make([]byte, (a.Len()+7)/8), 0
	}
	return a.NullBitmapBytes(), a.Data().Offset()
}

func growTo[T any](s []T, n int) []T {
	if len(s) >= n {
		return s
	}
	return append(s, make([]T, n-len(s))...)
}

// countAcc is count(*) (star) or count(x).
type countAcc struct {
	star bool
	c    []int64
}

func newCountStar(*Aggregate) Accumulator { return &countAcc{star: true} }
func newCount(*Aggregate) Accumulator     { return &countAcc{} }

func (a *countAcc) Grow(n int) { a.c = growTo(a.c, n) }

func (a *countAcc) Update(n int, args []arrow.Array, groups []uint32) error {
	if groups == nil {
		if a.star {
			a.c[0] += int64(n)
		} else {
			a.c[0] += int64(n - args[0].NullN())
		}
		return nil
	}
	var nb []byte
	off := 0
	if !a.star {
		nb, off = nullBits(args[0])
	}
	if nb == nil {
		for _, g := range groups {
			if g != SkipRow {
				a.c[g]++
			}
		}
		return nil
	}
	for i, g := range groups {
		if g != SkipRow && bitIsSet(nb, off+i) {
			a.c[g]++
		}
	}
	return nil
}

func (a *countAcc) Result(mem memory.Allocator) (arrow.Array, error) {
	buf, out := allocValues[int64](mem, len(a.c))
	copy(out, a.c)
	return fixedArray(arrow.PrimitiveTypes.Int64, len(a.c), nil, 0, buf), nil
}

// sumIntAcc is sum(int2) and sum(int4): an int64 per group.
type sumIntAcc struct {
	sum  []int64
	seen []bool
}

func newSumInt(*Aggregate) Accumulator { return &sumIntAcc{} }

func (a *sumIntAcc) Grow(n int) { a.sum, a.seen = growTo(a.sum, n), growTo(a.seen, n) }

func (a *sumIntAcc) Update(n int, args []arrow.Array, groups []uint32) error {
	switch args[0].DataType().ID() {
	case arrow.INT16:
		return sumInts(a, values[int16](args[0]), args[0], groups)
	case arrow.INT32:
		return sumInts(a, values[int32](args[0]), args[0], groups)
	}
	return sumInts(a, values[int64](args[0]), args[0], groups)
}

func sumInts[T int16 | int32 | int64](a *sumIntAcc, v []T, arr arrow.Array, groups []uint32) error {
	nb, off := nullBits(arr)
	if groups == nil {
		var s int64
		k := 0
		for i, x := range v {
			if nb == nil || bitIsSet(nb, off+i) {
				s += int64(x)
				k++
			}
		}
		if k > 0 {
			return a.add(0, s)
		}
		return nil
	}
	for i, g := range groups {
		if g == SkipRow || nb != nil && !bitIsSet(nb, off+i) {
			continue
		}
		if err := a.add(g, int64(v[i])); err != nil {
			return err
		}
	}
	return nil
}

func (a *sumIntAcc) add(g uint32, x int64) error {
	s := a.sum[g] + x
	if (a.sum[g]^s)&(x^s) < 0 {
		return errIntRange(pgtype.Int8)
	}
	a.sum[g] = s
	a.seen[g] = true
	return nil
}

func (a *sumIntAcc) Result(mem memory.Allocator) (arrow.Array, error) {
	n := len(a.sum)
	buf, out := allocValues[int64](mem, n)
	copy(out, a.sum)
	valid, nulls := seenValidity(mem, a.seen)
	return fixedArray(arrow.PrimitiveTypes.Int64, n, valid, nulls, buf), nil
}

// seenValidity returns the validity bitmap of groups that saw a value.
func seenValidity(mem memory.Allocator, seen []bool) (*memory.Buffer, int) {
	nulls := 0
	for _, s := range seen {
		if !s {
			nulls++
		}
	}
	if nulls == 0 {
		return nil, 0
	}
	b := allocBitmap(mem, len(seen))
	packBools(seen, b.Bytes())
	return b, nulls
}

// int128Acc is sum(int8) and avg of integers: a 128-bit sum and a count
// per group, exact for any number of rows.
type int128Acc struct {
	avg bool
	lo  []uint64
	hi  []int64
	cnt []int64
}

func newSumInt128(a *Aggregate) Accumulator { return &int128Acc{avg: a.Name == "avg"} }

func (a *int128Acc) Grow(n int) {
	a.lo, a.hi, a.cnt = growTo(a.lo, n), growTo(a.hi, n), growTo(a.cnt, n)
}

func (a *int128Acc) Update(n int, args []arrow.Array, groups []uint32) error {
	arr := args[0]
	var v []int64
	if arr.DataType().ID() == arrow.INT64 {
		v = values[int64](arr)
	} else {
		v = readInts(arr)
	}
	nb, off := nullBits(arr)
	if groups == nil {
		var lo uint64
		var hi int64
		k := int64(0)
		for i, x := range v {
			if nb != nil && !bitIsSet(nb, off+i) {
				continue
			}
			var c uint64
			lo, c = bits.Add64(lo, uint64(x), 0)
			hi += x>>63 + int64(c)
			k++
		}
		var c uint64
		a.lo[0], c = bits.Add64(a.lo[0], lo, 0)
		a.hi[0] += hi + int64(c)
		a.cnt[0] += k
		return nil
	}
	for i, g := range groups {
		if g == SkipRow || nb != nil && !bitIsSet(nb, off+i) {
			continue
		}
		x := v[i]
		var c uint64
		a.lo[g], c = bits.Add64(a.lo[g], uint64(x), 0)
		a.hi[g] += x>>63 + int64(c)
		a.cnt[g]++
	}
	return nil
}

func (a *int128Acc) Result(mem memory.Allocator) (arrow.Array, error) {
	n := len(a.lo)
	buf, out := allocValues[decimal128.Num](mem, n)
	seen := make([]bool, n)
	one := pow10Big(numScale)
	for g := range out {
		if a.cnt[g] == 0 {
			continue
		}
		seen[g] = true
		s := decimal128.New(a.hi[g], a.lo[g]).BigInt()
		s.Mul(s, one)
		if a.avg {
			s = divRound(s, big.NewInt(a.cnt[g]))
		}
		v, err := toNum(s, 38, errNumericOverflow)
		if err != nil {
			buf.Release()
			return nil, err
		}
		out[g] = v
	}
	valid, nulls := seenValidity(mem, seen)
	return fixedArray(numericTypeOf(pgtype.Numeric), n, valid, nulls, buf), nil
}

// floatAcc is sum and avg of floats: a float64 sum and a count.
type floatAcc struct {
	avg    bool
	result pgtype.Type
	sum    []float64
	cnt    []int64
}

func newSumFloat(a *Aggregate) Accumulator {
	return &floatAcc{avg: a.Name == "avg", result: a.Result}
}

func (a *floatAcc) Grow(n int) { a.sum, a.cnt = growTo(a.sum, n), growTo(a.cnt, n) }

func (a *floatAcc) Update(n int, args []arrow.Array, groups []uint32) error {
	arr := args[0]
	if arr.DataType().ID() == arrow.FLOAT32 {
		sumFloats(a, values[float32](arr), arr, groups)
		return nil
	}
	sumFloats(a, values[float64](arr), arr, groups)
	return nil
}

func sumFloats[T float32 | float64](a *floatAcc, v []T, arr arrow.Array, groups []uint32) {
	nb, off := nullBits(arr)
	if groups == nil {
		var s float64
		k := int64(0)
		for i, x := range v {
			if nb == nil || bitIsSet(nb, off+i) {
				s += float64(x)
				k++
			}
		}
		a.sum[0] += s
		a.cnt[0] += k
		return
	}
	for i, g := range groups {
		if g == SkipRow || nb != nil && !bitIsSet(nb, off+i) {
			continue
		}
		a.sum[g] += float64(v[i])
		a.cnt[g]++
	}
}

func (a *floatAcc) Result(mem memory.Allocator) (arrow.Array, error) {
	n := len(a.sum)
	seen := make([]bool, n)
	for g, c := range a.cnt {
		seen[g] = c > 0
	}
	valid, nulls := seenValidity(mem, seen)
	if a.result.OID == pgtype.OIDFloat4 {
		buf, out := allocValues[float32](mem, n)
		for g, s := range a.sum {
			out[g] = float32(s)
		}
		return fixedArray(arrow.PrimitiveTypes.Float32, n, valid, nulls, buf), nil
	}
	buf, out := allocValues[float64](mem, n)
	for g, s := range a.sum {
		if a.avg && a.cnt[g] > 0 {
			s /= float64(a.cnt[g])
		}
		out[g] = s
	}
	return fixedArray(arrow.PrimitiveTypes.Float64, n, valid, nulls, buf), nil
}

// numericAcc is sum and avg of numeric: a 128-bit sum at the input's
// scale and a count.
type numericAcc struct {
	avg   bool
	scale int32
	set   bool
	lo    []uint64
	hi    []int64
	cnt   []int64
}

func newSumNumeric(a *Aggregate) Accumulator { return &numericAcc{avg: a.Name == "avg"} }

func (a *numericAcc) Grow(n int) {
	a.lo, a.hi, a.cnt = growTo(a.lo, n), growTo(a.hi, n), growTo(a.cnt, n)
}

func (a *numericAcc) Update(n int, args []arrow.Array, groups []uint32) error {
	arr := args[0]
	s := numericScale(arr)
	if !a.set {
		a.scale, a.set = s, true
	}
	if s != a.scale {
		return sqlstate.New(sqlstate.InternalError, "numeric aggregate over scales %d and %d", a.scale, s)
	}
	v := values[decimal128.Num](arr)
	nb, off := nullBits(arr)
	for i, x := range v {
		g := uint32(0)
		if groups != nil {
			g = groups[i]
		}
		if g == SkipRow || nb != nil && !bitIsSet(nb, off+i) {
			continue
		}
		var c uint64
		a.lo[g], c = bits.Add64(a.lo[g], x.LowBits(), 0)
		a.hi[g] += x.HighBits() + int64(c)
		a.cnt[g]++
	}
	return nil
}

func (a *numericAcc) Result(mem memory.Allocator) (arrow.Array, error) {
	n := len(a.lo)
	buf, out := allocValues[decimal128.Num](mem, n)
	seen := make([]bool, n)
	for g := range out {
		if a.cnt[g] == 0 {
			continue
		}
		seen[g] = true
		s := rescaleBig(decimal128.New(a.hi[g], a.lo[g]).BigInt(), a.scale, numScale)
		if a.avg {
			s = divRound(s, big.NewInt(a.cnt[g]))
		}
		v, err := toNum(s, 38, errNumericOverflow)
		if err != nil {
			buf.Release()
			return nil, err
		}
		out[g] = v
	}
	valid, nulls := seenValidity(mem, seen)
	return fixedArray(numericTypeOf(pgtype.Numeric), n, valid, nulls, buf), nil
}

// vectorAcc is pgvector's sum(vector) and avg(vector): element sums in
// float64 per group.
type vectorAcc struct {
	avg  bool
	sums [][]float64
	cnt  []int64
}

// sumOf returns group g's running sum, created with dim zeros on first
// use; a group's vectors must all have dim values (22000 otherwise).
func (a *vectorAcc) sumOf(g uint32, dim int) ([]float64, error) {
	s := a.sums[g]
	if s == nil {
		s = make([]float64, dim)
		a.sums[g] = s
	} else if len(s) != dim {
		return nil, errDims(len(s), dim)
	}
	return s, nil
}

func newSumVector(a *Aggregate) Accumulator { return &vectorAcc{avg: a.Name == "avg"} }

func (a *vectorAcc) Grow(n int) { a.sums, a.cnt = growTo(a.sums, n), growTo(a.cnt, n) }

func (a *vectorAcc) Update(n int, args []arrow.Array, groups []uint32) error {
	arr := args[0]
	vs := newVectors(arr)
	nb, off := nullBits(arr)
	for i := 0; i < arr.Len(); i++ {
		g := uint32(0)
		if groups != nil {
			g = groups[i]
		}
		if g == SkipRow || nb != nil && !bitIsSet(nb, off+i) {
			continue
		}
		x := vs.at(i)
		s, err := a.sumOf(g, len(x))
		if err != nil {
			return err
		}
		for j, e := range x {
			s[j] += float64(e)
		}
		a.cnt[g]++
	}
	return nil
}

func (a *vectorAcc) Result(mem memory.Allocator) (arrow.Array, error) {
	b := newVectorBuilder(len(a.sums))
	for g, s := range a.sums {
		if a.cnt[g] == 0 {
			b.appendNull()
			continue
		}
		out := b.grow(len(s))
		for j, e := range s {
			if a.avg {
				e /= float64(a.cnt[g])
			}
			out[j] = float32(e)
			if math.IsInf(float64(out[j]), 0) {
				return nil, errFloatOverflow()
			}
		}
	}
	return b.build(mem), nil
}

// boolAcc is bool_and / every and bool_or: 0 unset, 1 false, 2 true.
type boolAcc struct {
	or bool
	st []uint8
}

func newBoolAgg(a *Aggregate) Accumulator { return &boolAcc{or: a.Name == "bool_or"} }

func (a *boolAcc) Grow(n int) { a.st = growTo(a.st, n) }

func (a *boolAcc) Update(n int, args []arrow.Array, groups []uint32) error {
	arr := args[0]
	nb, off := nullBits(arr)
	vb, voff := bitmapOf(arr)
	for i := 0; i < arr.Len(); i++ {
		g := uint32(0)
		if groups != nil {
			g = groups[i]
		}
		if g == SkipRow || nb != nil && !bitIsSet(nb, off+i) {
			continue
		}
		v := bitIsSet(vb, voff+i)
		cur := a.st[g]
		switch {
		case cur == 0:
			a.st[g] = 1 + b2u(v)
		case a.or && v:
			a.st[g] = 2
		case !a.or && !v:
			a.st[g] = 1
		}
	}
	return nil
}

func (a *boolAcc) Result(mem memory.Allocator) (arrow.Array, error) {
	n := len(a.st)
	vals := make([]bool, n)
	seen := make([]bool, n)
	for g, s := range a.st {
		seen[g], vals[g] = s != 0, s == 2
	}
	data := allocBitmap(mem, n)
	packBools(vals, data.Bytes())
	valid, nulls := seenValidity(mem, seen)
	return boolArray(n, valid, nulls, data), nil
}

// minMaxAcc is min and max over any comparable type: int64 states for
// integers and datetimes, float64 for floats (NaN above all numbers),
// decimal128 for numeric, strings for text and bytea.
type minMaxAcc struct {
	max    bool
	result pgtype.Type
	dt     arrow.DataType // the argument's Arrow type, from the first batch
	seen   []bool
	ints   []int64
	floats []float64
	decs   []decimal128.Num
	strs   []string
}

func newMinMax(a *Aggregate) Accumulator { return &minMaxAcc{max: a.Name == "max", result: a.Result} }

func (a *minMaxAcc) Grow(n int) {
	a.seen = growTo(a.seen, n)
	a.ints = growTo(a.ints, n)
	a.floats = growTo(a.floats, n)
	a.decs = growTo(a.decs, n)
	a.strs = growTo(a.strs, n)
}

func (a *minMaxAcc) Update(n int, args []arrow.Array, groups []uint32) error {
	arr := args[0]
	if a.dt == nil {
		a.dt = arr.DataType()
	} else if !arrow.TypeEqual(a.dt, arr.DataType()) {
		return sqlstate.New(sqlstate.InternalError, "%s over %s and %s", a.result, a.dt, arr.DataType())
	}
	nb, off := nullBits(arr)
	n = arr.Len()
	grp := func(i int) (uint32, bool) {
		g := uint32(0)
		if groups != nil {
			g = groups[i]
		}
		return g, g != SkipRow && (nb == nil || bitIsSet(nb, off+i))
	}
	switch arr.DataType().ID() {
	case arrow.INT16:
		minMaxInts(a, values[int16](arr), grp)
	case arrow.INT32, arrow.DATE32:
		minMaxInts(a, values[int32](arr), grp)
	case arrow.UINT32:
		minMaxInts(a, values[uint32](arr), grp)
	case arrow.INT64, arrow.TIMESTAMP:
		minMaxInts(a, values[int64](arr), grp)
	case arrow.FLOAT32, arrow.FLOAT64:
		f := readFloats(arr)
		for i := 0; i < n; i++ {
			g, ok := grp(i)
			if !ok {
				continue
			}
			c := cmpFloatPG(f[i], a.floats[g])
			if !a.seen[g] || (a.max && c > 0) || (!a.max && c < 0) {
				a.floats[g], a.seen[g] = f[i], true
			}
		}
	case arrow.DECIMAL128:
		v := values[decimal128.Num](arr)
		for i := 0; i < n; i++ {
			g, ok := grp(i)
			if !ok {
				continue
			}
			c := v[i].Cmp(a.decs[g])
			if !a.seen[g] || (a.max && c > 0) || (!a.max && c < 0) {
				a.decs[g], a.seen[g] = v[i], true
			}
		}
	case arrow.STRING, arrow.BINARY:
		get := bytesGetter(arr)
		for i := 0; i < n; i++ {
			g, ok := grp(i)
			if !ok {
				continue
			}
			s := get(i)
			if !a.seen[g] || (a.max && string(s) > a.strs[g]) || (!a.max && string(s) < a.strs[g]) {
				a.strs[g], a.seen[g] = string(s), true
			}
		}
	default:
		return sqlstate.New(sqlstate.FeatureNotSupported, "%s of Arrow type %s", a.result, arr.DataType())
	}
	return nil
}

func minMaxInts[T int16 | int32 | uint32 | int64](a *minMaxAcc, v []T, grp func(int) (uint32, bool)) {
	for i, x := range v {
		g, ok := grp(i)
		if !ok {
			continue
		}
		y := int64(x)
		if !a.seen[g] || (a.max && y > a.ints[g]) || (!a.max && y < a.ints[g]) {
			a.ints[g], a.seen[g] = y, true
		}
	}
}

func (a *minMaxAcc) Result(mem memory.Allocator) (arrow.Array, error) {
	n := len(a.seen)
	dt := a.dt
	if dt == nil {
		rdt, err := a.result.Arrow()
		if err != nil {
			return nil, err
		}
		return nullArray(mem, rdt, n), nil
	}
	b := array.NewBuilder(mem, dt)
	defer b.Release()
	b.Reserve(n)
	for g := 0; g < n; g++ {
		if !a.seen[g] {
			b.AppendNull()
			continue
		}
		switch bb := b.(type) {
		case *array.Int16Builder:
			bb.Append(int16(a.ints[g]))
		case *array.Int32Builder:
			bb.Append(int32(a.ints[g]))
		case *array.Uint32Builder:
			bb.Append(uint32(a.ints[g]))
		case *array.Int64Builder:
			bb.Append(a.ints[g])
		case *array.Date32Builder:
			bb.Append(arrow.Date32(a.ints[g]))
		case *array.TimestampBuilder:
			bb.Append(arrow.Timestamp(a.ints[g]))
		case *array.Float32Builder:
			bb.Append(float32(a.floats[g]))
		case *array.Float64Builder:
			bb.Append(a.floats[g])
		case *array.Decimal128Builder:
			bb.Append(a.decs[g])
		case *array.StringBuilder:
			bb.Append(a.strs[g])
		case *array.BinaryBuilder:
			bb.AppendString(a.strs[g])
		}
	}
	out := b.NewArray()
	defer out.Release()
	return conform(mem, out, a.result)
}
