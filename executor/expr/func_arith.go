package expr

import (
	"context"
	"math"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// Arithmetic on int2, int4, int8, float4 and float8 with PostgreSQL's
// checks: integer overflow is 22003 ("integer out of range"), division
// by zero 22012, a float result that overflows to infinity (from finite
// operands) or underflows to zero is 22003. Each loop computes every row
// and folds an overflow indicator branch-free; only when it fires does a
// second pass look for a non-null row that really overflowed, so a value
// hidden under a NULL never raises an error.

type integer interface{ ~int16 | ~int32 | ~int64 }

type float interface{ ~float32 | ~float64 }

func errIntRange(t pgtype.Type) error {
	switch t.OID {
	case pgtype.OIDInt2:
		return sqlstate.New(sqlstate.NumericValueOutOfRange, "smallint out of range")
	case pgtype.OIDInt8:
		return sqlstate.New(sqlstate.NumericValueOutOfRange, "bigint out of range")
	}
	return sqlstate.New(sqlstate.NumericValueOutOfRange, "integer out of range")
}

func errDivZero() error { return sqlstate.New(sqlstate.DivisionByZero, "division by zero") }

func errFloatOverflow() error {
	return sqlstate.New(sqlstate.NumericValueOutOfRange, "value out of range: overflow")
}

func errFloatUnderflow() error {
	return sqlstate.New(sqlstate.NumericValueOutOfRange, "value out of range: underflow")
}

type kernelFunc = func(context.Context, *Env, []arrow.Array, int) (arrow.Array, error)

func init() {
	for _, t := range []pgtype.Type{pgtype.Int2, pgtype.Int4, pgtype.Int8} {
		tt := []pgtype.Type{t, t}
		register(
			&Function{Name: "+", Args: tt, Result: t, Kernel: intKernel(t, '+')},
			&Function{Name: "-", Args: tt, Result: t, Kernel: intKernel(t, '-')},
			&Function{Name: "*", Args: tt, Result: t, Kernel: intKernel(t, '*')},
			&Function{Name: "/", Args: tt, Result: t, Kernel: intKernel(t, '/')},
			&Function{Name: "%", Args: tt, Result: t, Kernel: intKernel(t, '%')},
			&Function{Name: "mod", Args: tt, Result: t, Kernel: intKernel(t, '%')},
			&Function{Name: "&", Args: tt, Result: t, Kernel: intKernel(t, '&')},
			&Function{Name: "|", Args: tt, Result: t, Kernel: intKernel(t, '|')},
			&Function{Name: "#", Args: tt, Result: t, Kernel: intKernel(t, '#')},
			&Function{Name: "-", Args: tt[:1], Result: t, Kernel: intNegKernel(t)},
			&Function{Name: "+", Args: tt[:1], Result: t, Kernel: identity},
			&Function{Name: "abs", Args: tt[:1], Result: t, Kernel: intAbsKernel(t)},
		)
	}
	for _, t := range []pgtype.Type{pgtype.Float4, pgtype.Float8} {
		tt := []pgtype.Type{t, t}
		register(
			&Function{Name: "+", Args: tt, Result: t, Kernel: floatKernel(t, '+')},
			&Function{Name: "-", Args: tt, Result: t, Kernel: floatKernel(t, '-')},
			&Function{Name: "*", Args: tt, Result: t, Kernel: floatKernel(t, '*')},
			&Function{Name: "/", Args: tt, Result: t, Kernel: floatKernel(t, '/')},
			&Function{Name: "-", Args: tt[:1], Result: t, Kernel: floatNegKernel(t)},
			&Function{Name: "+", Args: tt[:1], Result: t, Kernel: identity},
		)
	}
}

// float48 registers PostgreSQL's cross-type float4/float8 operators
// (float48pl, float84lt, …): resolution prefers them, which makes
// float4 + int4 a float8, as in PostgreSQL. The kernel widens the float4
// operand and runs the float8 kernel.
func init() {
	for _, op := range []string{"+", "-", "*", "/", "=", "<>", "<", "<=", ">", ">="} {
		result := pgtype.Float8
		var k kernelFunc
		if c, ok := cmpByName[op]; ok {
			result, k = pgtype.Bool, cmpKernel(c)
		} else {
			k = floatKernel(pgtype.Float8, op[0])
		}
		k = widenFloat4(k)
		register(
			&Function{Name: op, Args: []pgtype.Type{pgtype.Float4, pgtype.Float8}, Result: result, Kernel: k},
			&Function{Name: op, Args: []pgtype.Type{pgtype.Float8, pgtype.Float4}, Result: result, Kernel: k},
		)
	}
}

var cmpByName = map[string]cmpOp{"=": cmpEQ, "<>": cmpNE, "<": cmpLT, "<=": cmpLE, ">": cmpGT, ">=": cmpGE}

// widenFloat4 converts float4 arguments to float8 before calling k.
func widenFloat4(k kernelFunc) kernelFunc {
	return func(ctx context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		wide := make([]arrow.Array, len(args))
		defer releaseAll(wide)
		for i, a := range args {
			if a.DataType().ID() != arrow.FLOAT32 {
				a.Retain()
				wide[i] = a
				continue
			}
			w, err := castNumber(env, a, pgtype.Float4, pgtype.Float8)
			if err != nil {
				return nil, err
			}
			wide[i] = w
		}
		return k(ctx, env, wide, n)
	}
}

func identity(_ context.Context, _ *Env, args []arrow.Array, _ int) (arrow.Array, error) {
	args[0].Retain()
	return args[0], nil
}

func intKernel(t pgtype.Type, op byte) kernelFunc {
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		switch t.OID {
		case pgtype.OIDInt2:
			return intArith[int16](env, t, op, args, n)
		case pgtype.OIDInt4:
			return intArith[int32](env, t, op, args, n)
		}
		return intArith[int64](env, t, op, args, n)
	}
}

func intArith[T integer](env *Env, t pgtype.Type, op byte, args []arrow.Array, n int) (arrow.Array, error) {
	a, b := args[0], args[1]
	x, y := values[T](a), values[T](b)
	xc, yc := isConst(a, n), isConst(b, n)
	buf, out := allocValues[T](env.Mem, n)
	valid, nulls := andValidity(env.Mem, args, n)
	fail := func(err error) (arrow.Array, error) {
		buf.Release()
		releaseBuf(valid)
		return nil, err
	}
	ok := func(i int) bool { return valid == nil || validAt(valid, i) }
	at := func(v []T, c bool, i int) T {
		if c {
			return v[0]
		}
		return v[i]
	}
	switch op {
	case '+', '-':
		var ovf T
		if op == '+' {
			ovf = addInts(x, y, out, xc, yc)
		} else {
			ovf = subInts(x, y, out, xc, yc)
		}
		if ovf < 0 {
			for i := range out {
				p, q, s := at(x, xc, i), at(y, yc, i), out[i]
				bad := (p^s)&(q^s) < 0
				if op == '-' {
					bad = (p^q)&(p^s) < 0
				}
				if bad && ok(i) {
					return fail(errIntRange(t))
				}
			}
		}
	case '*':
		if mulInts(x, y, out, xc, yc) {
			for i := range out {
				if mulOverflows(at(x, xc, i), at(y, yc, i)) && ok(i) {
					return fail(errIntRange(t))
				}
			}
		}
	case '/', '%':
		minT := minInt[T]()
		for i := range out {
			p, q := at(x, xc, i), at(y, yc, i)
			switch {
			case q == 0:
				if ok(i) {
					return fail(errDivZero())
				}
				out[i] = 0
			case q == -1:
				if op == '%' {
					out[i] = 0
				} else if p == minT && ok(i) {
					return fail(errIntRange(t))
				} else {
					out[i] = -p
				}
			case op == '/':
				out[i] = p / q
			default:
				out[i] = p % q
			}
		}
	case '&', '|', '#':
		// Bitwise and, or, xor (PostgreSQL's int2and, int4or, int8xor, …).
		for i := range out {
			p, q := at(x, xc, i), at(y, yc, i)
			switch op {
			case '&':
				out[i] = p & q
			case '|':
				out[i] = p | q
			default:
				out[i] = p ^ q
			}
		}
	}
	dt, _ := t.Arrow()
	return fixedArray(dt, n, valid, nulls, buf), nil
}

func minInt[T integer]() T {
	var z T
	switch any(z).(type) {
	case int16:
		m := int64(math.MinInt16)
		return T(m)
	case int32:
		m := int64(math.MinInt32)
		return T(m)
	}
	m := int64(math.MinInt64)
	return T(m)
}

// addInts writes x+y and returns a value that is negative when some row
// overflowed.
func addInts[T integer](x, y, out []T, xc, yc bool) T {
	var ovf T
	switch {
	case xc && yc:
		for i := range out {
			s := x[0] + y[0]
			out[i] = s
			ovf |= (x[0] ^ s) & (y[0] ^ s)
		}
	case xc:
		a := x[0]
		for i, b := range y[:len(out)] {
			s := a + b
			out[i] = s
			ovf |= (a ^ s) & (b ^ s)
		}
	case yc:
		b := y[0]
		for i, a := range x[:len(out)] {
			s := a + b
			out[i] = s
			ovf |= (a ^ s) & (b ^ s)
		}
	default:
		x, y = x[:len(out)], y[:len(out)]
		for i := range out {
			a, b := x[i], y[i]
			s := a + b
			out[i] = s
			ovf |= (a ^ s) & (b ^ s)
		}
	}
	return ovf
}

// subInts writes x−y and returns a value that is negative when some row
// overflowed.
func subInts[T integer](x, y, out []T, xc, yc bool) T {
	var ovf T
	switch {
	case xc && yc:
		for i := range out {
			s := x[0] - y[0]
			out[i] = s
			ovf |= (x[0] ^ y[0]) & (x[0] ^ s)
		}
	case xc:
		a := x[0]
		for i, b := range y[:len(out)] {
			s := a - b
			out[i] = s
			ovf |= (a ^ b) & (a ^ s)
		}
	case yc:
		b := y[0]
		for i, a := range x[:len(out)] {
			s := a - b
			out[i] = s
			ovf |= (a ^ b) & (a ^ s)
		}
	default:
		x, y = x[:len(out)], y[:len(out)]
		for i := range out {
			a, b := x[i], y[i]
			s := a - b
			out[i] = s
			ovf |= (a ^ b) & (a ^ s)
		}
	}
	return ovf
}

// mulInts writes x·y and reports whether some row may have overflowed
// (both factors outside the half-width range); mulOverflows decides.
func mulInts[T integer](x, y, out []T, xc, yc bool) bool {
	var big uint64
	var z T
	half := uint64(1) << (4*sizeOf(z) - 1) // 2^(bits/2 - 1)
	for i := range out {
		a, b := x[0], y[0]
		if !xc {
			a = x[i]
		}
		if !yc {
			b = y[i]
		}
		out[i] = a * b
		big |= (uint64(int64(a)) + half) | (uint64(int64(b)) + half)
	}
	return big >= 2*half
}

func sizeOf[T integer](T) int {
	var z T
	switch any(z).(type) {
	case int16:
		return 2
	case int32:
		return 4
	}
	return 8
}

// mulOverflows reports whether a·b overflows T.
func mulOverflows[T integer](a, b T) bool {
	if a == 0 || b == 0 {
		return false
	}
	p := a * b
	return p/b != a || (a == -1 && b == minInt[T]()) || (b == -1 && a == minInt[T]())
}

func intNegKernel(t pgtype.Type) kernelFunc {
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		switch t.OID {
		case pgtype.OIDInt2:
			return intUnary[int16](env, t, args[0], n, false)
		case pgtype.OIDInt4:
			return intUnary[int32](env, t, args[0], n, false)
		}
		return intUnary[int64](env, t, args[0], n, false)
	}
}

func intAbsKernel(t pgtype.Type) kernelFunc {
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		switch t.OID {
		case pgtype.OIDInt2:
			return intUnary[int16](env, t, args[0], n, true)
		case pgtype.OIDInt4:
			return intUnary[int32](env, t, args[0], n, true)
		}
		return intUnary[int64](env, t, args[0], n, true)
	}
}

// intUnary is negation, or abs when abs is set.
func intUnary[T integer](env *Env, t pgtype.Type, a arrow.Array, n int, abs bool) (arrow.Array, error) {
	x := values[T](a)[:n]
	buf, out := allocValues[T](env.Mem, n)
	minT := minInt[T]()
	hit := false
	for i, v := range x {
		r := -v
		if abs && v >= 0 {
			r = v
		}
		out[i] = r
		hit = hit || v == minT
	}
	if hit {
		for i, v := range x {
			if v == minT && a.IsValid(i) {
				buf.Release()
				return nil, errIntRange(t)
			}
		}
	}
	valid, nulls := copyValidity(env.Mem, a)
	dt, _ := t.Arrow()
	return fixedArray(dt, n, valid, nulls, buf), nil
}

func floatKernel(t pgtype.Type, op byte) kernelFunc {
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		if t.OID == pgtype.OIDFloat4 {
			return floatArith[float32](env, t, op, args, n)
		}
		return floatArith[float64](env, t, op, args, n)
	}
}

func floatArith[T float](env *Env, t pgtype.Type, op byte, args []arrow.Array, n int) (arrow.Array, error) {
	a, b := args[0], args[1]
	x, y := values[T](a), values[T](b)
	xc, yc := isConst(a, n), isConst(b, n)
	buf, out := allocValues[T](env.Mem, n)
	valid, nulls := andValidity(env.Mem, args, n)
	switch op {
	case '+':
		floatLoop(x, y, out, xc, yc, func(p, q T) T { return p + q })
	case '-':
		floatLoop(x, y, out, xc, yc, func(p, q T) T { return p - q })
	case '*':
		floatLoop(x, y, out, xc, yc, func(p, q T) T { return p * q })
	case '/':
		floatLoop(x, y, out, xc, yc, func(p, q T) T { return p / q })
	}
	// Checks, in one pass that branches only on suspicious results.
	for i, r := range out {
		inf := math.IsInf(float64(r), 0)
		if !inf && r != 0 && !(op == '/' && r != r) {
			continue
		}
		p, q := x[0], y[0]
		if !xc {
			p = x[i]
		}
		if !yc {
			q = y[i]
		}
		if valid != nil && !validAt(valid, i) {
			continue
		}
		pInf, qInf := math.IsInf(float64(p), 0), math.IsInf(float64(q), 0)
		var err error
		switch {
		case op == '/' && q == 0:
			err = errDivZero()
		case inf && !pInf && !qInf:
			err = errFloatOverflow()
		case r == 0 && op == '*' && p != 0 && q != 0:
			err = errFloatUnderflow()
		case r == 0 && op == '/' && p != 0 && !qInf:
			err = errFloatUnderflow()
		}
		if err != nil {
			buf.Release()
			releaseBuf(valid)
			return nil, err
		}
	}
	dt, _ := t.Arrow()
	return fixedArray(dt, n, valid, nulls, buf), nil
}

// floatLoop applies f row by row; f is a small literal the compiler
// inlines into each instantiation's loops.
func floatLoop[T float](x, y, out []T, xc, yc bool, f func(p, q T) T) {
	switch {
	case xc && yc:
		for i := range out {
			out[i] = f(x[0], y[0])
		}
	case xc:
		p := x[0]
		for i, q := range y[:len(out)] {
			out[i] = f(p, q)
		}
	case yc:
		q := y[0]
		for i, p := range x[:len(out)] {
			out[i] = f(p, q)
		}
	default:
		x, y = x[:len(out)], y[:len(out)]
		for i := range out {
			out[i] = f(x[i], y[i])
		}
	}
}

func floatNegKernel(t pgtype.Type) kernelFunc {
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		if t.OID == pgtype.OIDFloat4 {
			return floatMap[float32](env, t, args[0], n, func(v float32) float32 { return -v })
		}
		return floatMap[float64](env, t, args[0], n, func(v float64) float64 { return -v })
	}
}

// floatMap applies f to each value of a, keeping a's nulls.
func floatMap[T float](env *Env, t pgtype.Type, a arrow.Array, n int, f func(T) T) (arrow.Array, error) {
	x := values[T](a)[:n]
	buf, out := allocValues[T](env.Mem, n)
	for i, v := range x {
		out[i] = f(v)
	}
	valid, nulls := copyValidity(env.Mem, a)
	dt, _ := t.Arrow()
	return fixedArray(dt, n, valid, nulls, buf), nil
}
