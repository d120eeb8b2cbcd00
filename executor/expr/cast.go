package expr

import (
	"context"
	"math"
	"math/big"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// Casts dispatch on the source and target types: a modifier change of
// the same type (varchar(n), numeric(p,s), vector(n)), text input and
// output through pgtype, numbers among themselves, bool ↔ int4, the
// datetime types, and pgvector's vector ↔ array casts. Casts between
// numbers are tight loops; text input builds one scalar per row (text
// casts are rare on big columns).

// Type implements Expr.
func (c *Cast) Type() pgtype.Type { return c.To }

// Eval implements Expr.
func (c *Cast) Eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	return evalTop(ctx, env, c, batch)
}

func (c *Cast) eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	v, err := evalNode(ctx, env, c.Arg, batch)
	if err != nil {
		return nil, err
	}
	defer v.Release()
	if from := c.Arg.Type(); c.To.OID == pgtype.OIDRegclass && (isStringType(from.OID) || from.OID == pgtype.OIDUnknown) {
		return regclassIn(ctx, env, v)
	}
	if from := c.Arg.Type(); isRegType(from.OID) && isStringType(c.To.OID) {
		names, err := regNames(ctx, env, v, from)
		if err != nil {
			return nil, err
		}
		defer names.Release()
		return castArray(env, names, pgtype.Text, c.To, c.Assign)
	}
	return castArray(env, v, c.Arg.Type(), c.To, c.Assign)
}

// String implements Expr.
func (c *Cast) String() string { return "(" + c.Arg.String() + ")::" + c.To.String() }

// castArray converts a, of PostgreSQL type from, to type to.
func castArray(env *Env, a arrow.Array, from, to pgtype.Type, assign bool) (arrow.Array, error) {
	n := a.Len()
	dt, err := to.Arrow()
	if err != nil && !isArrayType(to.OID) {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "cannot cast to type %s: %v", to, err)
	}
	if a.DataType().ID() == arrow.NULL || (a.NullN() == n && n > 0) {
		if dt == nil {
			dt = arrow.ListOf(arrow.PrimitiveTypes.Float32)
		}
		return nullArray(env.Mem, dt, n), nil
	}
	if out, ok, err := castArrayTypes(env, a, from, to, assign); ok {
		return out, err
	}
	switch {
	case from.OID == to.OID:
		return castModifier(env, a, to, assign)
	case from.OID == pgtype.OIDUnknown || isStringType(from.OID) && !isStringType(to.OID):
		return castFromText(env, a, from, to)
	case isStringType(to.OID):
		return castToText(env, a, from, to, assign)
	case isNumber(from.OID) && isNumber(to.OID):
		return castNumber(env, a, from, to)
	case from.OID == pgtype.OIDBool && to.OID == pgtype.OIDInt4:
		return boolToInt(env, a), nil
	case from.OID == pgtype.OIDInt4 && to.OID == pgtype.OIDBool:
		return intToBool(env, a), nil
	case isDatetime(from.OID) && isDatetime(to.OID):
		return castDatetime(env, a, from, to)
	case to.OID == pgtype.OIDVector || from.OID == pgtype.OIDVector:
		return castVector(env, a, from, to)
	case from.OID == pgtype.OIDJSON && to.OID == pgtype.OIDJSONB, from.OID == pgtype.OIDJSONB && to.OID == pgtype.OIDJSON:
		a.Retain()
		return a, nil
	}
	return nil, sqlstate.New(sqlstate.CannotCoerce, "cannot cast type %s to %s", from, to)
}

func isArrayType(oid uint32) bool {
	i, ok := pgtype.Lookup(oid)
	return ok && i.Category == 'A' || oid == 1231
}

func isNumber(oid uint32) bool {
	switch oid {
	case pgtype.OIDInt2, pgtype.OIDInt4, pgtype.OIDInt8, pgtype.OIDFloat4, pgtype.OIDFloat8,
		pgtype.OIDNumeric, pgtype.OIDOID, pgtype.OIDRegclass, pgtype.OIDRegtype, pgtype.OIDRegproc, pgtype.OIDRegnamespace, pgtype.OIDRegrole, pgtype.OIDXID:
		return true
	}
	return false
}

func isDatetime(oid uint32) bool {
	return oid == pgtype.OIDDate || oid == pgtype.OIDTimestamp || oid == pgtype.OIDTimestampTZ
}

// castModifier applies a new modifier of the same type: varchar(n) and
// bpchar(n) lengths, numeric(p,s) rounding and range, vector(n)
// dimensions; and makes the Arrow representation the target's.
func castModifier(env *Env, a arrow.Array, to pgtype.Type, assign bool) (arrow.Array, error) {
	switch to.OID {
	case pgtype.OIDVarchar, pgtype.OIDBpchar:
		return castStringLength(env, a, to, assign)
	case pgtype.OIDNumeric:
		return castNumeric(env, a, to)
	case pgtype.OIDVector:
		return castVector(env, a, pgtype.Vector, to)
	}
	return conform(env.Mem, a, to)
}

// conform returns a in the canonical Arrow type of t, converting only the
// representation (list ↔ fixed_size_list vectors, decimal scales, the
// time zone label of timestamps, NULL-typed arrays); a itself, retained,
// when it already has that type.
func conform(mem memory.Allocator, a arrow.Array, t pgtype.Type) (arrow.Array, error) {
	dt, err := t.Arrow()
	if err != nil || arrow.TypeEqual(a.DataType(), dt) {
		a.Retain()
		return a, nil
	}
	env := &Env{Mem: mem}
	switch {
	case a.DataType().ID() == arrow.NULL:
		return nullArray(mem, dt, a.Len()), nil
	case t.OID == pgtype.OIDVector:
		return castVector(env, a, pgtype.Vector, t)
	case t.OID == pgtype.OIDNumeric && a.DataType().ID() == arrow.DECIMAL128:
		return castNumeric(env, a, t)
	case a.DataType().ID() == dt.ID() && dt.ID() == arrow.TIMESTAMP:
		return relabel(a, dt), nil
	case a.DataType().ID() == arrow.STRING && dt.ID() == arrow.STRING:
		return relabel(a, dt), nil
	}
	return nil, sqlstate.New(sqlstate.InternalError, "value of Arrow type %s where %s (%s) was expected", a.DataType(), t, dt)
}

// relabel returns a's data under another, layout-compatible type.
func relabel(a arrow.Array, dt arrow.DataType) arrow.Array {
	d := a.Data()
	nd := arrayDataWithType(d, dt)
	defer nd.Release()
	return makeFromData(nd)
}

func boolToInt(env *Env, a arrow.Array) arrow.Array {
	n := a.Len()
	bits, off := bitmapOf(a)
	buf, out := allocValues[int32](env.Mem, n)
	for i := range out {
		out[i] = int32(b2u(bitIsSet(bits, off+i)))
	}
	valid, nulls := copyValidity(env.Mem, a)
	return fixedArray(arrow.PrimitiveTypes.Int32, n, valid, nulls, buf)
}

func intToBool(env *Env, a arrow.Array) arrow.Array {
	n := a.Len()
	x := values[int32](a)
	res := make([]bool, n)
	for i, v := range x {
		res[i] = v != 0
	}
	data := allocBitmap(env.Mem, n)
	packBools(res, data.Bytes())
	valid, nulls := copyValidity(env.Mem, a)
	return boolArray(n, valid, nulls, data)
}

func bitIsSet(b []byte, i int) bool { return b[i>>3]&(1<<(i&7)) != 0 }

// numKind classifies number types for castNumber.
type numKind int8

const (
	kindInt numKind = iota
	kindFloat
	kindNumeric
)

func kindOf(oid uint32) numKind {
	switch oid {
	case pgtype.OIDFloat4, pgtype.OIDFloat8:
		return kindFloat
	case pgtype.OIDNumeric:
		return kindNumeric
	}
	return kindInt
}

// intRange returns the bounds of an integer type.
func intRange(oid uint32) (int64, int64) {
	switch oid {
	case pgtype.OIDInt2:
		return math.MinInt16, math.MaxInt16
	case pgtype.OIDInt4:
		return math.MinInt32, math.MaxInt32
	case pgtype.OIDInt8:
		return math.MinInt64, math.MaxInt64
	}
	return 0, math.MaxUint32 // oid and the reg* types
}

// readInts returns integer values as int64.
func readInts(a arrow.Array) []int64 {
	switch a.DataType().ID() {
	case arrow.INT16:
		return widen(values[int16](a))
	case arrow.INT32:
		return widen(values[int32](a))
	case arrow.UINT32:
		return widen(values[uint32](a))
	case arrow.INT8:
		return widen(values[int8](a))
	}
	return values[int64](a)
}

func widen[T ~int8 | ~int16 | ~int32 | ~uint32](v []T) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

// readFloats returns float values as float64.
func readFloats(a arrow.Array) []float64 {
	if a.DataType().ID() == arrow.FLOAT32 {
		v := values[float32](a)
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out
	}
	return values[float64](a)
}

// castNumber converts among int2, int4, int8, oid, float4, float8 and
// numeric.
func castNumber(env *Env, a arrow.Array, from, to pgtype.Type) (arrow.Array, error) {
	n := a.Len()
	valid, nulls := copyValidity(env.Mem, a)
	ok := func(i int) bool { return valid == nil || validAt(valid, i) }
	fk, tk := kindOf(from.OID), kindOf(to.OID)
	dt, _ := to.Arrow()
	if tk == kindNumeric {
		releaseBuf(valid)
		return castNumeric(env, a, to)
	}
	// Compute as int64 or float64 first.
	var ints []int64
	var floats []float64
	switch fk {
	case kindInt:
		ints = readInts(a)
		if tk == kindFloat {
			floats = make([]float64, n)
			for i, v := range ints {
				floats[i] = float64(v)
			}
		}
	case kindFloat:
		floats = readFloats(a)
		if tk == kindInt {
			lo, hi := intRange(to.OID)
			ints = make([]int64, n)
			for i, f := range floats {
				r := math.RoundToEven(f)
				fits := r >= float64(lo) && r < -float64(lo)
				if lo == 0 {
					fits = r >= 0 && r <= float64(hi)
				}
				if !fits { // NaN fits nowhere
					if ok(i) {
						releaseBuf(valid)
						return nil, errIntRange(to)
					}
					continue
				}
				ints[i] = int64(r)
			}
		}
	case kindNumeric:
		s := numericScale(a)
		x := values[decimal128.Num](a)
		if tk == kindFloat {
			floats = make([]float64, n)
			for i, v := range x {
				if ok(i) {
					floats[i] = numToFloat(v, s)
				}
			}
		} else {
			lo, hi := intRange(to.OID)
			ints = make([]int64, n)
			for i, v := range x {
				if !ok(i) {
					continue
				}
				r := rescaleBig(v.BigInt(), s, 0)
				if !r.IsInt64() || r.Int64() < lo || r.Int64() > hi {
					releaseBuf(valid)
					return nil, errIntRange(to)
				}
				ints[i] = r.Int64()
			}
		}
	}
	switch tk {
	case kindInt:
		lo, hi := intRange(to.OID)
		if fk == kindInt && !(from.OID == pgtype.OIDOID && to.OID == pgtype.OIDInt4) {
			for i, v := range ints {
				if (v < lo || v > hi) && ok(i) {
					releaseBuf(valid)
					return nil, errIntRange(to)
				}
			}
		}
		switch dt.ID() {
		case arrow.INT16:
			return fixedArray(dt, n, valid, nulls, narrow[int16](env.Mem, ints)), nil
		case arrow.INT32:
			return fixedArray(dt, n, valid, nulls, narrow[int32](env.Mem, ints)), nil
		case arrow.UINT32:
			return fixedArray(dt, n, valid, nulls, narrow[uint32](env.Mem, ints)), nil
		}
		return fixedArray(dt, n, valid, nulls, narrow[int64](env.Mem, ints)), nil
	default:
		if to.OID == pgtype.OIDFloat4 {
			buf, out := allocValues[float32](env.Mem, n)
			for i, f := range floats {
				r := float32(f)
				if (math.IsInf(float64(r), 0) && !math.IsInf(f, 0) || r == 0 && f != 0) && ok(i) {
					buf.Release()
					releaseBuf(valid)
					if r == 0 {
						return nil, errFloatUnderflow()
					}
					return nil, errFloatOverflow()
				}
				out[i] = r
			}
			return fixedArray(dt, n, valid, nulls, buf), nil
		}
		buf, out := allocValues[float64](env.Mem, n)
		copy(out, floats)
		return fixedArray(dt, n, valid, nulls, buf), nil
	}
}

// narrow copies int64 values into a new buffer of T.
func narrow[T ~int16 | ~int32 | ~uint32 | ~int64](mem memory.Allocator, v []int64) *memory.Buffer {
	buf, out := allocValues[T](mem, len(v))
	for i, x := range v {
		out[i] = T(x)
	}
	return buf
}

// castNumeric converts a number array to numeric(p,s) (or unconstrained
// numeric): integers exactly, floats through their 15 (float8) or 6
// (float4) significant digits, decimals rounded half away from zero.
func castNumeric(env *Env, a arrow.Array, to pgtype.Type) (arrow.Array, error) {
	n := a.Len()
	td := numericTypeOf(to)
	p, s := td.Precision, td.Scale
	overflow := func() error { return errNumericField(p, s) }
	if to.Mod < 0 {
		overflow = errNumericOverflow
	}
	valid, nulls := copyValidity(env.Mem, a)
	buf, out := allocValues[decimal128.Num](env.Mem, n)
	fail := func(err error) (arrow.Array, error) {
		buf.Release()
		releaseBuf(valid)
		return nil, err
	}
	ok := func(i int) bool { return valid == nil || validAt(valid, i) }
	switch a.DataType().ID() {
	case arrow.DECIMAL128:
		fs := numericScale(a)
		x := values[decimal128.Num](a)
		for i, v := range x {
			if !ok(i) {
				continue
			}
			if fs == s && v.FitsInPrecision(p) {
				out[i] = v
				continue
			}
			r, err := toNum(rescaleBig(v.BigInt(), fs, s), p, overflow)
			if err != nil {
				return fail(err)
			}
			out[i] = r
		}
	case arrow.FLOAT32, arrow.FLOAT64:
		digits := 15
		if a.DataType().ID() == arrow.FLOAT32 {
			digits = 6
		}
		for i, f := range readFloats(a) {
			if !ok(i) {
				continue
			}
			r, err := floatToNum(f, digits, p, s)
			if err != nil {
				if sqlstate.CodeOf(err) == sqlstate.NumericValueOutOfRange {
					return fail(overflow())
				}
				return fail(err)
			}
			out[i] = r
		}
	default:
		scale := pow10Big(int(s))
		for i, v := range readInts(a) {
			if !ok(i) {
				continue
			}
			r, err := toNum(new(big.Int).Mul(big.NewInt(v), scale), p, overflow)
			if err != nil {
				return fail(err)
			}
			out[i] = r
		}
	}
	return fixedArray(td, n, valid, nulls, buf), nil
}
