package expr

import (
	"math"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// pgvector's casts (pg-compat.md §7.4): vector(n) checks the dimension
// (22000 "expected 3 dimensions, not 2"), arrays of real, double
// precision, integer and numeric become vectors (no NULL elements, no
// NaN or infinity, 1 to 16000 dimensions), and a vector is a real[].
// vector(n) values are fixed_size_list<float32, n>, others list<float32>.

const maxVectorDims = 16000

// castVector converts a vector or numeric array value to vector type to,
// or a vector to real[].
func castVector(env *Env, a arrow.Array, from, to pgtype.Type) (arrow.Array, error) {
	n := a.Len()
	if to.OID != pgtype.OIDVector {
		if to.OID != pgtype.OIDFloat4Array {
			return nil, sqlstate.New(sqlstate.CannotCoerce, "cannot cast type %s to %s", from, to)
		}
		to = pgtype.Vector // real[] shares the unconstrained vector layout
	}
	dim := to.VectorDim()
	// Fast path: already the right layout.
	if fsl, ok := a.DataType().(*arrow.FixedSizeListType); ok && dim >= 0 && fsl.Elem().ID() == arrow.FLOAT32 {
		if int(fsl.Len()) == dim {
			a.Retain()
			return a, nil
		}
		if a.NullN() < n {
			return nil, errExpectedDims(dim, int(fsl.Len()))
		}
	}
	rows, err := vectorRows(a, from.OID != pgtype.OIDVector)
	if err != nil {
		return nil, err
	}
	if dim >= 0 {
		for i, r := range rows {
			if a.IsValid(i) && len(r) != dim {
				return nil, errExpectedDims(dim, len(r))
			}
		}
		return buildFixedVectors(env.Mem, dim, rows, a), nil
	}
	b := newVectorBuilder(n)
	for i, r := range rows {
		if a.IsNull(i) {
			b.appendNull()
			continue
		}
		copy(b.grow(len(r)), r)
	}
	return b.build(env.Mem), nil
}

// vectorRows returns each row's elements as float32 (nil for NULL rows).
// Arrays from other element types are converted and, when check is set,
// validated as pgvector's array_to_vector does.
func vectorRows(a arrow.Array, check bool) ([][]float32, error) {
	n := a.Len()
	rows := make([][]float32, n)
	var child arrow.Array
	var offs func(i int) (int, int)
	switch l := a.(type) {
	case *array.List:
		child = l.ListValues()
		offs = func(i int) (int, int) { s, e := l.ValueOffsets(i); return int(s), int(e) }
	case *array.FixedSizeList:
		child = l.ListValues()
		offs = func(i int) (int, int) { s, e := l.ValueOffsets(i); return int(s), int(e) }
	default:
		return nil, sqlstate.New(sqlstate.CannotCoerce, "cannot cast Arrow type %s to vector", a.DataType())
	}
	var conv func(j int) float32
	switch c := child.(type) {
	case *array.Float32:
		v := c.Float32Values()
		conv = func(j int) float32 { return v[j] }
	case *array.Float64:
		v := c.Float64Values()
		conv = func(j int) float32 { return float32(v[j]) }
	case *array.Int32:
		v := c.Int32Values()
		conv = func(j int) float32 { return float32(v[j]) }
	case *array.Int64:
		v := c.Int64Values()
		conv = func(j int) float32 { return float32(v[j]) }
	case *array.Int16:
		v := c.Int16Values()
		conv = func(j int) float32 { return float32(v[j]) }
	case *array.Decimal128:
		s := c.DataType().(*arrow.Decimal128Type).Scale
		v := values[decimal128.Num](c)
		conv = func(j int) float32 { return float32(numToFloat(v[j], s)) }
	default:
		return nil, sqlstate.New(sqlstate.CannotCoerce, "cannot cast an array of %s to vector", child.DataType())
	}
	for i := 0; i < n; i++ {
		if a.IsNull(i) {
			continue
		}
		s, e := offs(i)
		r := make([]float32, e-s)
		for j := s; j < e; j++ {
			if check && child.IsNull(j) {
				return nil, sqlstate.New(sqlstate.NullValueNotAllowed, "array must not contain nulls")
			}
			r[j-s] = conv(j)
		}
		if check {
			if err := checkVector(r); err != nil {
				return nil, err
			}
		}
		rows[i] = r
	}
	return rows, nil
}

// checkVector applies pgvector's element and dimension checks.
func checkVector(r []float32) error {
	if len(r) < 1 {
		return sqlstate.New(sqlstate.DataException, "vector must have at least 1 dimension")
	}
	if len(r) > maxVectorDims {
		return sqlstate.New(sqlstate.ProgramLimitExceeded, "vector cannot have more than %d dimensions", maxVectorDims)
	}
	for _, f := range r {
		if f != f {
			return sqlstate.New(sqlstate.DataException, "NaN not allowed in vector")
		}
		if math.IsInf(float64(f), 0) {
			return sqlstate.New(sqlstate.DataException, "infinite value not allowed in vector")
		}
	}
	return nil
}

// buildFixedVectors builds a fixed_size_list<float32, dim> array of rows,
// NULL where src is NULL.
func buildFixedVectors(mem memory.Allocator, dim int, rows [][]float32, src arrow.Array) arrow.Array {
	n := len(rows)
	valBuf, flat := allocValues[float32](mem, n*dim)
	clear(flat)
	for i, r := range rows {
		copy(flat[i*dim:(i+1)*dim], r)
	}
	valid, nulls := copyValidity(mem, src)
	child := array.NewData(arrow.PrimitiveTypes.Float32, n*dim, []*memory.Buffer{nil, valBuf}, nil, 0, 0)
	d := array.NewData(arrow.FixedSizeListOf(int32(dim), arrow.PrimitiveTypes.Float32), n, []*memory.Buffer{valid}, []arrow.ArrayData{child}, nulls, 0)
	out := array.MakeFromData(d)
	d.Release()
	child.Release()
	valBuf.Release()
	releaseBuf(valid)
	return out
}
