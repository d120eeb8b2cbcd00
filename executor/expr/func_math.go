package expr

import (
	"context"
	"math"
	"math/big"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/decimal128"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// Mathematical functions (PostgreSQL's Table 9.5 and 9.6) over float8 and
// numeric, with their error cases: sqrt of a negative number and the
// complex results of power are 2201F, logarithms of zero or negative
// numbers 2201E. round(float8) rounds half to even (rint), round(numeric)
// half away from zero, as in PostgreSQL.

func errPowZeroNegative() error {
	return sqlstate.New(sqlstate.InvalidArgumentForPower, "zero raised to a negative power is undefined")
}

func errPowNegative() error {
	return sqlstate.New(sqlstate.InvalidArgumentForPower, "a negative number raised to a non-integer power yields a complex result")
}

func init() {
	f8 := []pgtype.Type{pgtype.Float8, pgtype.Float8}
	nn := []pgtype.Type{pgtype.Numeric, pgtype.Numeric}
	f4 := []pgtype.Type{pgtype.Float4}
	ni := []pgtype.Type{pgtype.Numeric, pgtype.Int4}
	floatFns := map[string]func(float64) (float64, error){
		"abs":   func(x float64) (float64, error) { return math.Abs(x), nil },
		"round": func(x float64) (float64, error) { return math.RoundToEven(x), nil },
		"floor": func(x float64) (float64, error) { return math.Floor(x), nil },
		"ceil":  func(x float64) (float64, error) { return math.Ceil(x), nil },
		"trunc": func(x float64) (float64, error) { return math.Trunc(x), nil },
		"sign":  func(x float64) (float64, error) { return signF(x), nil },
		"sqrt":  sqrtPG,
		"cbrt":  func(x float64) (float64, error) { return math.Cbrt(x), nil },
		"exp":   expPG,
		"ln":    func(x float64) (float64, error) { return logPG(x, math.Log) },
		"log":   func(x float64) (float64, error) { return logPG(x, math.Log10) },
		"log10": func(x float64) (float64, error) { return logPG(x, math.Log10) },
		"degrees": func(x float64) (float64, error) {
			return checkFloat(x*(180/math.Pi), math.IsInf(x, 0), true)
		},
		"radians": func(x float64) (float64, error) {
			return checkFloat(x*(math.Pi/180), math.IsInf(x, 0), x == 0)
		},
	}
	for name, f := range floatFns {
		register(&Function{Name: name, Args: f8[:1], Result: pgtype.Float8, Kernel: float8Unary(f)})
	}
	register(
		&Function{Name: "abs", Args: f4, Result: pgtype.Float4, Kernel: floatAbs32},
		&Function{Name: "power", Args: f8, Result: pgtype.Float8, Kernel: float8Binary(powPG)},
		&Function{Name: "^", Args: f8, Result: pgtype.Float8, Kernel: float8Binary(powPG)},
		&Function{Name: "pi", Result: pgtype.Float8, Kernel: constFloat8(math.Pi)},
		&Function{Name: "power", Args: nn, Result: pgtype.Numeric, Kernel: numericViaFloat(numericPower, 2)},
		&Function{Name: "^", Args: nn, Result: pgtype.Numeric, Kernel: numericViaFloat(numericPower, 2)},
		&Function{Name: "sqrt", Args: nn[:1], Result: pgtype.Numeric, Kernel: numericViaFloat(func(a []float64) (float64, error) { return sqrtPG(a[0]) }, 1)},
		&Function{Name: "exp", Args: nn[:1], Result: pgtype.Numeric, Kernel: numericViaFloat(func(a []float64) (float64, error) { return expPG(a[0]) }, 1)},
		&Function{Name: "ln", Args: nn[:1], Result: pgtype.Numeric, Kernel: numericViaFloat(func(a []float64) (float64, error) { return logPG(a[0], math.Log) }, 1)},
		&Function{Name: "log", Args: nn[:1], Result: pgtype.Numeric, Kernel: numericViaFloat(func(a []float64) (float64, error) { return logPG(a[0], math.Log10) }, 1)},
		&Function{Name: "log10", Args: nn[:1], Result: pgtype.Numeric, Kernel: numericViaFloat(func(a []float64) (float64, error) { return logPG(a[0], math.Log10) }, 1)},
		&Function{Name: "log", Args: nn, Result: pgtype.Numeric, Kernel: numericViaFloat(logBase, 2)},
		&Function{Name: "round", Args: nn[:1], Result: pgtype.Numeric, Kernel: numericRound(roundHalfAway, false)},
		&Function{Name: "round", Args: ni, Result: pgtype.Numeric, Kernel: numericRound(roundHalfAway, true)},
		&Function{Name: "trunc", Args: nn[:1], Result: pgtype.Numeric, Kernel: numericRound(roundTrunc, false)},
		&Function{Name: "trunc", Args: ni, Result: pgtype.Numeric, Kernel: numericRound(roundTrunc, true)},
		&Function{Name: "floor", Args: nn[:1], Result: pgtype.Numeric, Kernel: numericRound(roundFloor, false)},
		&Function{Name: "ceil", Args: nn[:1], Result: pgtype.Numeric, Kernel: numericRound(roundCeil, false)},
		&Function{Name: "sign", Args: nn[:1], Result: pgtype.Numeric, Kernel: numericUnary(func(v *big.Int) *big.Int {
			return v.Mul(big.NewInt(int64(v.Sign())), pow10Big(numScale))
		})},
	)
	alias("ceil", "ceiling")
}

func signF(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return x // 0, -0 → 0; NaN stays NaN
}

// checkFloat is check_float8_val: an infinite result from finite inputs
// overflowed, a zero result from nonzero inputs underflowed.
func checkFloat(r float64, infOK, zeroOK bool) (float64, error) {
	if math.IsInf(r, 0) && !infOK {
		return 0, errFloatOverflow()
	}
	if r == 0 && !zeroOK {
		return 0, errFloatUnderflow()
	}
	return r, nil
}

func sqrtPG(x float64) (float64, error) {
	if x < 0 {
		return 0, sqlstate.New(sqlstate.InvalidArgumentForPower, "cannot take square root of a negative number")
	}
	return math.Sqrt(x), nil
}

func expPG(x float64) (float64, error) {
	r := math.Exp(x)
	return checkFloat(r, math.IsInf(x, 0), math.IsInf(x, -1) || math.IsNaN(x))
}

func logPG(x float64, f func(float64) float64) (float64, error) {
	if x == 0 {
		return 0, sqlstate.New(sqlstate.InvalidArgumentForLogarithm, "cannot take logarithm of zero")
	}
	if x < 0 {
		return 0, sqlstate.New(sqlstate.InvalidArgumentForLogarithm, "cannot take logarithm of a negative number")
	}
	return f(x), nil
}

func logBase(a []float64) (float64, error) {
	b, x := a[0], a[1]
	if b == 0 || x == 0 {
		return 0, sqlstate.New(sqlstate.InvalidArgumentForLogarithm, "cannot take logarithm of zero")
	}
	if b < 0 || x < 0 {
		return 0, sqlstate.New(sqlstate.InvalidArgumentForLogarithm, "cannot take logarithm of a negative number")
	}
	if b == 1 {
		return 0, errDivZero()
	}
	return math.Log(x) / math.Log(b), nil
}

// float8Unary applies f to each non-null value.
func float8Unary(f func(float64) (float64, error)) kernelFunc {
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		a := args[0]
		x := values[float64](a)[:n]
		buf, out := allocValues[float64](env.Mem, n)
		for i, v := range x {
			r, err := f(v)
			if err != nil {
				if a.IsNull(i) {
					continue
				}
				buf.Release()
				return nil, err
			}
			out[i] = r
		}
		valid, nulls := copyValidity(env.Mem, a)
		return fixedArray(arrow.PrimitiveTypes.Float64, n, valid, nulls, buf), nil
	}
}

// float8Binary applies f to each pair of non-null values.
func float8Binary(f func(x, y float64) (float64, error)) kernelFunc {
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		x, y := values[float64](args[0]), values[float64](args[1])
		xc, yc := isConst(args[0], n), isConst(args[1], n)
		valid, nulls := andValidity(env.Mem, args, n)
		buf, out := allocValues[float64](env.Mem, n)
		for i := range out {
			p, q := x[0], y[0]
			if !xc {
				p = x[i]
			}
			if !yc {
				q = y[i]
			}
			r, err := f(p, q)
			if err != nil {
				if valid != nil && !validAt(valid, i) {
					continue
				}
				buf.Release()
				releaseBuf(valid)
				return nil, err
			}
			out[i] = r
		}
		return fixedArray(arrow.PrimitiveTypes.Float64, n, valid, nulls, buf), nil
	}
}

func floatAbs32(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	return floatMap[float32](env, pgtype.Float4, args[0], n, abs32)
}

func constFloat8(v float64) kernelFunc {
	return func(_ context.Context, env *Env, _ []arrow.Array, n int) (arrow.Array, error) {
		buf, out := allocValues[float64](env.Mem, n)
		for i := range out {
			out[i] = v
		}
		return fixedArray(arrow.PrimitiveTypes.Float64, n, nil, 0, buf), nil
	}
}

type roundMode int8

const (
	roundHalfAway roundMode = iota
	roundTrunc
	roundFloor
	roundCeil
)

// numericRound rounds numeric values to a number of decimals (the
// second argument when withDigits, else 0), at scale 16.
func numericRound(mode roundMode, withDigits bool) kernelFunc {
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		a := args[0]
		s := numericScale(a)
		x := values[decimal128.Num](a)
		var digits []int32
		if withDigits {
			digits = values[int32](args[1])
		}
		valid, nulls := andValidity(env.Mem, args, n)
		buf, out := allocValues[decimal128.Num](env.Mem, n)
		for i := range out {
			if valid != nil && !validAt(valid, i) {
				continue
			}
			v := x[0]
			if !isConst(a, n) {
				v = x[i]
			}
			d := int32(0)
			if withDigits {
				d = digits[0]
				if !isConst(args[1], n) {
					d = digits[i]
				}
			}
			r, err := roundNum(v.BigInt(), s, d, mode)
			if err != nil {
				buf.Release()
				releaseBuf(valid)
				return nil, err
			}
			out[i] = r
		}
		return fixedArray(numericTypeOf(pgtype.Numeric), n, valid, nulls, buf), nil
	}
}

// roundNum rounds v (at scale s) to d decimals and returns it at scale 16.
func roundNum(v *big.Int, s, d int32, mode roundMode) (decimal128.Num, error) {
	if d >= s {
		return toNum(rescaleBig(v, s, numScale), 38, errNumericOverflow)
	}
	drop := s - d // decimals to remove (d may be negative)
	unit := pow10Big(int(drop))
	q, r := new(big.Int).QuoRem(v, unit, new(big.Int))
	if r.Sign() != 0 {
		switch mode {
		case roundHalfAway:
			r2 := new(big.Int).Abs(r)
			r2.Lsh(r2, 1)
			if r2.Cmp(unit) >= 0 {
				q.Add(q, big.NewInt(int64(v.Sign())))
			}
		case roundFloor:
			if v.Sign() < 0 {
				q.Sub(q, big.NewInt(1))
			}
		case roundCeil:
			if v.Sign() > 0 {
				q.Add(q, big.NewInt(1))
			}
		}
	}
	// q is at scale d; bring it to scale 16.
	if d > numScale {
		q = rescaleBig(q, d, numScale)
	} else {
		q.Mul(q, pow10Big(int(numScale-d)))
	}
	return toNum(q, 38, errNumericOverflow)
}
