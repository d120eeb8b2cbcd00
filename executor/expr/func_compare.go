package expr

import (
	"bytes"
	"cmp"
	"context"
	"math"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// Comparisons compute a []bool per batch with one tight loop per
// operator and operand shape (column-column, column-constant), then pack
// it into the result bitmap. Orderings are PostgreSQL's: text byte-wise
// (collation C), NaN equal to itself and above every other float, vectors
// element by element and then by dimension (pgvector's vector_cmp).

// cmpOp is a comparison operator.
type cmpOp int8

const (
	cmpEQ cmpOp = iota
	cmpNE
	cmpLT
	cmpLE
	cmpGT
	cmpGE
)

var cmpNames = [...]string{"=", "<>", "<", "<=", ">", ">="}

// swap returns the operator with its operands exchanged (a < b ⇔ b > a).
func (o cmpOp) swap() cmpOp {
	switch o {
	case cmpLT:
		return cmpGT
	case cmpLE:
		return cmpGE
	case cmpGT:
		return cmpLT
	case cmpGE:
		return cmpLE
	}
	return o
}

// holds reports whether the operator holds for a three-way result c.
func (o cmpOp) holds(c int) bool {
	switch o {
	case cmpEQ:
		return c == 0
	case cmpNE:
		return c != 0
	case cmpLT:
		return c < 0
	case cmpLE:
		return c <= 0
	case cmpGT:
		return c > 0
	}
	return c >= 0
}

func init() {
	comparable := []pgtype.Type{
		pgtype.Bool, pgtype.Int2, pgtype.Int4, pgtype.Int8, pgtype.Float4, pgtype.Float8,
		pgtype.Numeric, pgtype.Text, pgtype.Bytea, pgtype.Date, pgtype.Timestamp,
		pgtype.TimestampTZ, pgtype.OID, pgtype.Vector, {OID: pgtype.OIDChar, Mod: -1},
	}
	for op := cmpEQ; op <= cmpGE; op++ {
		for _, t := range comparable {
			register(&Function{Name: cmpNames[op], Args: []pgtype.Type{t, t}, Result: pgtype.Bool, Kernel: cmpKernel(op)})
		}
	}
	alias("<>", "!=")
}

func cmpKernel(op cmpOp) func(context.Context, *Env, []arrow.Array, int) (arrow.Array, error) {
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		return compareArrays(env.Mem, op, args[0], args[1], n)
	}
}

// compareArrays compares a and b (n values each, or 1 for a constant) of
// the same type, with NULL where either is NULL.
func compareArrays(mem memory.Allocator, op cmpOp, a, b arrow.Array, n int) (arrow.Array, error) {
	if a.DataType().ID() == arrow.NULL || b.DataType().ID() == arrow.NULL {
		return constBool(mem, n, false, true), nil
	}
	res := make([]bool, n)
	if err := compareInto(op, a, b, n, res); err != nil {
		return nil, err
	}
	valid, nulls := andValidity(mem, []arrow.Array{a, b}, n)
	data := allocBitmap(mem, n)
	packBools(res, data.Bytes())
	return boolArray(n, valid, nulls, data), nil
}

// compareInto writes op(a[i], b[i]) for i < n into res.
func compareInto(op cmpOp, a, b arrow.Array, n int, res []bool) error {
	ac, bc := isConst(a, n), isConst(b, n)
	switch a.DataType().ID() {
	case arrow.INT8:
		cmpOrdered(op, values[int8](a), values[int8](b), ac, bc, res)
	case arrow.INT16:
		cmpOrdered(op, values[int16](a), values[int16](b), ac, bc, res)
	case arrow.INT32, arrow.DATE32:
		cmpOrdered(op, values[int32](a), values[int32](b), ac, bc, res)
	case arrow.INT64, arrow.TIMESTAMP, arrow.DATE64:
		cmpOrdered(op, values[int64](a), values[int64](b), ac, bc, res)
	case arrow.UINT8:
		cmpOrdered(op, values[uint8](a), values[uint8](b), ac, bc, res)
	case arrow.UINT16:
		cmpOrdered(op, values[uint16](a), values[uint16](b), ac, bc, res)
	case arrow.UINT32:
		cmpOrdered(op, values[uint32](a), values[uint32](b), ac, bc, res)
	case arrow.UINT64:
		cmpOrdered(op, values[uint64](a), values[uint64](b), ac, bc, res)
	case arrow.FLOAT32:
		cmpFloat(op, values[float32](a), values[float32](b), ac, bc, res)
	case arrow.FLOAT64:
		cmpFloat(op, values[float64](a), values[float64](b), ac, bc, res)
	case arrow.BOOL:
		ab, ao := bitmapOf(a)
		bb, bo := bitmapOf(b)
		for i := range res {
			x, y := i, i
			if ac {
				x = 0
			}
			if bc {
				y = 0
			}
			res[i] = op.holds(cmpBool(bitutil.BitIsSet(ab, ao+x), bitutil.BitIsSet(bb, bo+y)))
		}
	case arrow.DECIMAL128:
		cmpDecimal(op, a, b, ac, bc, res)
	case arrow.STRING, arrow.BINARY:
		cmpBytes(op, a, b, ac, bc, res)
	case arrow.LIST, arrow.FIXED_SIZE_LIST:
		va, vb := newVectors(a), newVectors(b)
		for i := range res {
			x, y := i, i
			if ac {
				x = 0
			}
			if bc {
				y = 0
			}
			res[i] = op.holds(cmpVector(va.at(x), vb.at(y)))
		}
	default:
		return sqlstate.New(sqlstate.FeatureNotSupported, "cannot compare values of Arrow type %s", a.DataType())
	}
	return nil
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case b:
		return -1
	}
	return 1
}

// cmpOrdered compares integer-like values.
func cmpOrdered[T cmp.Ordered](op cmpOp, a, b []T, ac, bc bool, res []bool) {
	n := len(res)
	switch {
	case ac && !bc:
		cmpOrdered(op.swap(), b, a, false, true, res)
	case bc:
		x := b[0]
		if !ac {
			a = a[:n]
		}
		if ac {
			for i := range res {
				res[i] = op.holds(cmp.Compare(a[0], x))
			}
			return
		}
		switch op {
		case cmpEQ:
			for i, v := range a {
				res[i] = v == x
			}
		case cmpNE:
			for i, v := range a {
				res[i] = v != x
			}
		case cmpLT:
			for i, v := range a {
				res[i] = v < x
			}
		case cmpLE:
			for i, v := range a {
				res[i] = v <= x
			}
		case cmpGT:
			for i, v := range a {
				res[i] = v > x
			}
		case cmpGE:
			for i, v := range a {
				res[i] = v >= x
			}
		}
	default:
		a, b = a[:n], b[:n]
		switch op {
		case cmpEQ:
			for i := range res {
				res[i] = a[i] == b[i]
			}
		case cmpNE:
			for i := range res {
				res[i] = a[i] != b[i]
			}
		case cmpLT:
			for i := range res {
				res[i] = a[i] < b[i]
			}
		case cmpLE:
			for i := range res {
				res[i] = a[i] <= b[i]
			}
		case cmpGT:
			for i := range res {
				res[i] = a[i] > b[i]
			}
		case cmpGE:
			for i := range res {
				res[i] = a[i] >= b[i]
			}
		}
	}
}

// cmpFloat compares floats: IEEE comparison in the loop, then the rows
// with a NaN are redone with PostgreSQL's total order.
func cmpFloat[T float32 | float64](op cmpOp, a, b []T, ac, bc bool, res []bool) {
	cmpOrdered(op, a, b, ac, bc, res)
	if !hasNaN(a) && !hasNaN(b) {
		return
	}
	for i := range res {
		x, y := i, i
		if ac {
			x = 0
		}
		if bc {
			y = 0
		}
		if a[x] != a[x] || b[y] != b[y] {
			res[i] = op.holds(cmpFloatPG(float64(a[x]), float64(b[y])))
		}
	}
}

func hasNaN[T float32 | float64](v []T) bool {
	for _, x := range v {
		if x != x {
			return true
		}
	}
	return false
}

// cmpFloatPG is float8_cmp_internal: NaN equals NaN and sorts last.
func cmpFloatPG(a, b float64) int {
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cmpDecimal compares decimals, bringing both to the larger scale.
func cmpDecimal(op cmpOp, a, b arrow.Array, ac, bc bool, res []bool) {
	sa := a.DataType().(*arrow.Decimal128Type).Scale
	sb := b.DataType().(*arrow.Decimal128Type).Scale
	va, vb := values[decimal128.Num](a), values[decimal128.Num](b)
	for i := range res {
		x, y := i, i
		if ac {
			x = 0
		}
		if bc {
			y = 0
		}
		res[i] = op.holds(cmpDec(va[x], sa, vb[y], sb))
	}
}

// cmpDec compares two decimals of possibly different scales.
func cmpDec(a decimal128.Num, sa int32, b decimal128.Num, sb int32) int {
	if sa == sb {
		return a.Cmp(b)
	}
	// Raising the smaller scale may overflow 128 bits; big.Int is exact.
	ab, bb := a.BigInt(), b.BigInt()
	if sa < sb {
		ab.Mul(ab, pow10Big(int(sb-sa)))
	} else {
		bb.Mul(bb, pow10Big(int(sa-sb)))
	}
	return ab.Cmp(bb)
}

// cmpBytes compares strings or binaries byte-wise.
func cmpBytes(op cmpOp, a, b arrow.Array, ac, bc bool, res []bool) {
	ga, gb := bytesGetter(a), bytesGetter(b)
	if bc && !ac {
		x := gb(0)
		switch op {
		case cmpEQ:
			for i := range res {
				res[i] = bytes.Equal(ga(i), x)
			}
		case cmpNE:
			for i := range res {
				res[i] = !bytes.Equal(ga(i), x)
			}
		default:
			for i := range res {
				res[i] = op.holds(bytes.Compare(ga(i), x))
			}
		}
		return
	}
	for i := range res {
		x, y := i, i
		if ac {
			x = 0
		}
		if bc {
			y = 0
		}
		res[i] = op.holds(bytes.Compare(ga(x), gb(y)))
	}
}

// bytesGetter returns a function reading value i of a string or binary
// array without copying.
func bytesGetter(a arrow.Array) func(i int) []byte {
	switch s := a.(type) {
	case *array.String:
		offs := s.ValueOffsets()
		data := s.ValueBytes()
		base := int32(0)
		if len(offs) > 0 {
			base = offs[0]
		}
		return func(i int) []byte { return data[offs[i]-base : offs[i+1]-base] }
	case *array.Binary:
		return s.Value
	case *array.LargeString:
		return func(i int) []byte { return []byte(s.Value(i)) }
	case *array.LargeBinary:
		return s.Value
	}
	return func(int) []byte { return nil }
}

// packBools packs res into a bitmap of len(res) bits.
func packBools(res []bool, out []byte) {
	n := len(res)
	i := 0
	for ; i+8 <= n; i += 8 {
		r := res[i : i+8 : i+8]
		out[i>>3] = b2u(r[0]) | b2u(r[1])<<1 | b2u(r[2])<<2 | b2u(r[3])<<3 |
			b2u(r[4])<<4 | b2u(r[5])<<5 | b2u(r[6])<<6 | b2u(r[7])<<7
	}
	if i < n {
		var w byte
		for j := i; j < n; j++ {
			w |= b2u(res[j]) << (j - i)
		}
		out[i>>3] = w
	}
}

func b2u(b bool) byte {
	if b {
		return 1
	}
	return 0
}
