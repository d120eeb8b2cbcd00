package expr

import (
	"context"
	"math"
	"math/big"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/decimal128"

	"github.com/lancegate/lancegate/executor/pgtype"
)

// Arithmetic on numeric. Addition and subtraction of two scale-16 values
// stay in 128 bits; everything else goes through math/big (see
// numeric.go). Results are unconstrained numeric (scale 16), rounded half
// away from zero as PostgreSQL rounds.

func init() {
	nn := []pgtype.Type{pgtype.Numeric, pgtype.Numeric}
	for _, op := range []byte{'+', '-', '*', '/', '%'} {
		register(&Function{Name: string(op), Args: nn, Result: pgtype.Numeric, Kernel: numericKernel(op)})
	}
	register(
		&Function{Name: "mod", Args: nn, Result: pgtype.Numeric, Kernel: numericKernel('%')},
		&Function{Name: "-", Args: nn[:1], Result: pgtype.Numeric, Kernel: numericUnary(func(v *big.Int) *big.Int { return v.Neg(v) })},
		&Function{Name: "+", Args: nn[:1], Result: pgtype.Numeric, Kernel: numericUnary(func(v *big.Int) *big.Int { return v })},
		&Function{Name: "abs", Args: nn[:1], Result: pgtype.Numeric, Kernel: numericUnary(func(v *big.Int) *big.Int { return v.Abs(v) })},
	)
}

// numericKernel is a binary numeric operator.
func numericKernel(op byte) kernelFunc {
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		a, b := args[0], args[1]
		sa, sb := numericScale(a), numericScale(b)
		x, y := values[decimal128.Num](a), values[decimal128.Num](b)
		xc, yc := isConst(a, n), isConst(b, n)
		valid, nulls := andValidity(env.Mem, args, n)
		buf, out := allocValues[decimal128.Num](env.Mem, n)
		one := pow10Big(numScale)
		for i := range out {
			if valid != nil && !validAt(valid, i) {
				out[i] = decimal128.Num{}
				continue
			}
			p, q := x[0], y[0]
			if !xc {
				p = x[i]
			}
			if !yc {
				q = y[i]
			}
			if (op == '+' || op == '-') && sa == numScale && sb == numScale {
				if r, ok := addNum(p, q, op == '-'); ok {
					out[i] = r
					continue
				}
			}
			P := rescaleBig(p.BigInt(), sa, numScale)
			Q := rescaleBig(q.BigInt(), sb, numScale)
			var r *big.Int
			switch op {
			case '+':
				r = P.Add(P, Q)
			case '-':
				r = P.Sub(P, Q)
			case '*':
				r = divRound(P.Mul(P, Q), one)
			case '/':
				if Q.Sign() == 0 {
					buf.Release()
					releaseBuf(valid)
					return nil, errDivZero()
				}
				r = divRound(P.Mul(P, one), Q)
			case '%':
				if Q.Sign() == 0 {
					buf.Release()
					releaseBuf(valid)
					return nil, errDivZero()
				}
				r = P.Rem(P, Q)
			}
			v, err := toNum(r, 38, errNumericOverflow)
			if err != nil {
				buf.Release()
				releaseBuf(valid)
				return nil, err
			}
			out[i] = v
		}
		return fixedArray(numericTypeOf(pgtype.Numeric), n, valid, nulls, buf), nil
	}
}

// addNum adds (or subtracts) two values of the same scale in 128 bits,
// reporting false when the result may leave 38 digits.
func addNum(p, q decimal128.Num, sub bool) (decimal128.Num, bool) {
	if sub {
		q = q.Negate()
	}
	r := p.Add(q)
	// Same-sign operands with a result of the other sign wrapped around.
	if p.Sign() == q.Sign() && p.Sign() != 0 && r.Sign() != p.Sign() {
		return r, false
	}
	return r, r.FitsInPrecision(38)
}

// numericUnary applies f to every value at scale 16.
func numericUnary(f func(v *big.Int) *big.Int) kernelFunc {
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		a := args[0]
		s := numericScale(a)
		x := values[decimal128.Num](a)
		valid, nulls := copyValidity(env.Mem, a)
		buf, out := allocValues[decimal128.Num](env.Mem, n)
		for i := range out {
			if valid != nil && !validAt(valid, i) {
				continue
			}
			v, err := toNum(f(rescaleBig(x[i].BigInt(), s, numScale)), 38, errNumericOverflow)
			if err != nil {
				buf.Release()
				releaseBuf(valid)
				return nil, err
			}
			out[i] = v
		}
		return fixedArray(numericTypeOf(pgtype.Numeric), n, valid, nulls, buf), nil
	}
}

// numericViaFloat computes a numeric function through float64 (sqrt,
// exp, ln, power): exact enough for 15 digits, which is what float8
// gives; PostgreSQL computes these exactly.
func numericViaFloat(f func(args []float64) (float64, error), nargs int) kernelFunc {
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		valid, nulls := andValidity(env.Mem, args, n)
		buf, out := allocValues[decimal128.Num](env.Mem, n)
		in := make([]float64, nargs)
		for i := range out {
			if valid != nil && !validAt(valid, i) {
				continue
			}
			for k, a := range args {
				j := i
				if isConst(a, n) {
					j = 0
				}
				in[k] = numToFloat(values[decimal128.Num](a)[j], numericScale(a))
			}
			r, err := f(in)
			if err == nil {
				var v decimal128.Num
				v, err = floatToNum(r, 17, 38, numScale)
				out[i] = v
			}
			if err != nil {
				buf.Release()
				releaseBuf(valid)
				return nil, err
			}
		}
		return fixedArray(numericTypeOf(pgtype.Numeric), n, valid, nulls, buf), nil
	}
}

// numericPower is numeric ^ numeric.
func numericPower(args []float64) (float64, error) {
	return powPG(args[0], args[1])
}

// powPG is PostgreSQL's dpow with its error cases.
func powPG(x, y float64) (float64, error) {
	if x == 0 && y < 0 {
		return 0, errPowZeroNegative()
	}
	if x < 0 && y != math.Trunc(y) {
		return 0, errPowNegative()
	}
	r := math.Pow(x, y)
	if math.IsInf(r, 0) && !math.IsInf(x, 0) && !math.IsInf(y, 0) {
		return 0, errFloatOverflow()
	}
	if r == 0 && x != 0 && !math.IsInf(y, 0) {
		return 0, errFloatUnderflow()
	}
	return r, nil
}
