package pgtype

import (
	"math"
	"strconv"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// A vector is pgvector's: float4 elements, none NaN or infinite, 1 to
// VectorMaxDim of them; vector(n) holds exactly n. Arrow carries
// vector(n) as fixed_size_list<float32, n> and vector as list<float32>.

// VectorMaxDim is pgvector's VECTOR_MAX_DIM.
const VectorMaxDim = 16000

// parseVector is pgvector's vector_in: '[', elements read as strtof reads
// them, separated by commas, ']', with white space anywhere between.
func parseVector(t Type, s string) ([]float32, error) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i >= len(s) || s[i] != '[' {
		return nil, vectorSyntax(s).WithDetail("Vector contents must start with \"[\".")
	}
	i++
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i < len(s) && s[i] == ']' {
		return nil, sqlstate.New(sqlstate.DataException, "vector must have at least 1 dimension")
	}
	var v []float32
	if n := t.VectorDim(); n > 0 && n <= VectorMaxDim {
		v = make([]float32, 0, n)
	}
	for {
		if len(v) == VectorMaxDim {
			return nil, sqlstate.New(sqlstate.ProgramLimitExceeded, "vector cannot have more than %d dimensions", VectorMaxDim)
		}
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		n, _ := scanFloat(s[i:])
		if n == 0 {
			return nil, vectorSyntax(s)
		}
		tok := s[i : i+n]
		f, err := parseFloatToken(tok, 32)
		if err != nil {
			return nil, vectorSyntax(s)
		}
		if math.IsInf(f, 0) && !isInfWord(tok) {
			return nil, sqlstate.New(sqlstate.NumericValueOutOfRange, "\"%s\" is out of range for type vector", tok)
		}
		if err := checkElement(float32(f)); err != nil {
			return nil, err
		}
		v = append(v, float32(f))
		i += n
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i < len(s) && s[i] == ',' {
			i++
			continue
		}
		if i < len(s) && s[i] == ']' {
			i++
			break
		}
		return nil, vectorSyntax(s)
	}
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i != len(s) {
		return nil, vectorSyntax(s).WithDetail("Junk after closing right brace.")
	}
	if err := checkExpectedDim(t, len(v)); err != nil {
		return nil, err
	}
	return v, nil
}

func vectorSyntax(s string) *sqlstate.Error {
	return sqlstate.New(sqlstate.InvalidTextRepresentation, "invalid input syntax for type vector: \"%s\"", s)
}

func checkElement(f float32) error {
	switch {
	case f != f:
		return sqlstate.New(sqlstate.DataException, "NaN not allowed in vector")
	case math.IsInf(float64(f), 0):
		return sqlstate.New(sqlstate.DataException, "infinite value not allowed in vector")
	}
	return nil
}

// checkDim is pgvector's CheckDim.
func checkDim(dim int) error {
	switch {
	case dim < 1:
		return sqlstate.New(sqlstate.DataException, "vector must have at least 1 dimension")
	case dim > VectorMaxDim:
		return sqlstate.New(sqlstate.DataException, "vector cannot have more than %d dimensions", VectorMaxDim)
	}
	return nil
}

// checkExpectedDim is pgvector's CheckExpectedDim.
func checkExpectedDim(t Type, dim int) error {
	if n := t.VectorDim(); n >= 0 && n != dim {
		return sqlstate.New(sqlstate.DataException, "expected %d dimensions, not %d", n, dim)
	}
	return nil
}

// NewVector returns the scalar of type t (vector or vector(n)) holding a
// copy of v, after pgvector's checks: 1 to VectorMaxDim elements, exactly
// n for vector(n) (22000 "expected 3 dimensions, not 2"), none NaN or
// infinite (22000). Like ParseText's, the scalar owns no allocator
// memory.
func NewVector(t Type, v []float32) (scalar.Scalar, error) {
	if !t.IsVector() {
		return nil, sqlstate.New(sqlstate.DatatypeMismatch, "type %s is not a vector type", t)
	}
	if err := checkDim(len(v)); err != nil {
		return nil, err
	}
	if err := checkExpectedDim(t, len(v)); err != nil {
		return nil, err
	}
	for _, f := range v {
		if err := checkElement(f); err != nil {
			return nil, err
		}
	}
	return newVectorScalar(t, append([]float32(nil), v...)), nil
}

// newVectorScalar wraps v, which the scalar takes over, in a scalar of
// t.Arrow().
func newVectorScalar(t Type, v []float32) scalar.Scalar {
	buf := memory.NewBufferBytes(arrow.Float32Traits.CastToBytes(v))
	data := array.NewData(arrow.PrimitiveTypes.Float32, len(v), []*memory.Buffer{nil, buf}, nil, 0, 0)
	defer data.Release()
	vals := array.NewFloat32Data(data)
	defer vals.Release()
	if n := t.VectorDim(); n >= 0 {
		return scalar.NewFixedSizeListScalarWithType(vals, arrow.FixedSizeListOf(int32(n), arrow.PrimitiveTypes.Float32))
	}
	return scalar.NewListScalar(vals)
}

// AppendVector appends vector_out's form of v: [1,2.5,1e-05], elements in
// float4 shortest round-trip form whatever extra_float_digits is, no
// spaces.
func AppendVector(dst []byte, v []float32) []byte {
	dst = append(dst, '[')
	for i, f := range v {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendFloat4Shortest(dst, f)
	}
	return append(dst, ']')
}

func appendFloat4Shortest(dst []byte, f float32) []byte {
	if a := float32(math.Abs(float64(f))); a == 0 || a >= 1e-4 && a < 1e6 {
		return strconv.AppendFloat(dst, float64(f), 'f', -1, 32)
	}
	if a, ok := appendSpecial(dst, float64(f)); ok {
		return a
	}
	return strconv.AppendFloat(dst, float64(f), 'e', -1, 32)
}

// CheckVectorDim is pgvector's CheckDim and CheckExpectedDim for a
// vector of dim elements of type t: 22000 "vector must have at least 1
// dimension", "vector cannot have more than 16000 dimensions" or
// "expected 3 dimensions, not 2".
func CheckVectorDim(t Type, dim int) error {
	if err := checkDim(dim); err != nil {
		return err
	}
	return checkExpectedDim(t, dim)
}
