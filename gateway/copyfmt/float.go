package copyfmt

import "math"

// Decimal text to float without strconv's general machinery, for the
// plain forms a bulk load is made of ([-]digits[.digits][e[±]digits]):
// with at most 19 significant digits m and a decimal exponent e in
// [-22, 22], float64(m) and 10^|e| are exact, so one multiplication or
// division is correctly rounded (Clinger's fast path). Everything else
// (more digits, larger exponents, inf, nan, hex, spaces) reports !ok and
// goes to strconv.ParseFloat or the type's parser, which decide.

// pow10 holds the powers of ten exact in float64.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// decimal scans all of b as [-+]digits[.digits][(e|E)[-+]digits] into a
// mantissa below 2^53 and a power of ten in [-22, 22].
func decimal(b []byte) (m uint64, exp int, neg, ok bool) {
	m, exp, neg, end, ok := scanDecimal(b, 0)
	if !ok || end != len(b) {
		return 0, 0, false, false
	}
	return m, exp, neg, true
}

// scanDecimal scans a number at b[i:] and returns where it ends. At most
// 19 digits are taken, so the mantissa cannot overflow while it is
// accumulated.
func scanDecimal(b []byte, i int) (m uint64, exp int, neg bool, end int, ok bool) {
	if i < len(b) && (b[i] == '-' || b[i] == '+') {
		neg = b[i] == '-'
		i++
	}
	start := i
	for ; i < len(b); i++ {
		c := b[i] - '0'
		if c > 9 {
			break
		}
		m = m*10 + uint64(c)
	}
	digits := i - start
	if i < len(b) && b[i] == '.' {
		i++
		frac := i
		for ; i < len(b); i++ {
			c := b[i] - '0'
			if c > 9 {
				break
			}
			m = m*10 + uint64(c)
		}
		exp = frac - i
		digits += i - frac
	}
	if digits == 0 || digits > 19 {
		return 0, 0, false, 0, false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		eneg := false
		if i < len(b) && (b[i] == '-' || b[i] == '+') {
			eneg = b[i] == '-'
			i++
		}
		estart := i
		e := 0
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			if e > 1000 {
				return 0, 0, false, 0, false
			}
			e = e*10 + int(b[i]-'0')
		}
		if i == estart {
			return 0, 0, false, 0, false
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	if exp < -22 || exp > 22 || m >= 1<<53 {
		return 0, 0, false, 0, false
	}
	return m, exp, neg, i, true
}

// fastFloat64 parses b when Clinger's fast path applies. A zero here is
// an exact zero: the exponents that could underflow are not taken.
func fastFloat64(b []byte) (float64, bool) {
	m, exp, neg, ok := decimal(b)
	if !ok {
		return 0, false
	}
	return clinger(m, exp, neg)
}

// clinger is m × 10^exp, exact inputs, one rounding.
func clinger(m uint64, exp int, neg bool) (float64, bool) {
	f := float64(m)
	if exp < 0 {
		f /= pow10[-exp]
	} else {
		f *= pow10[exp]
	}
	if neg {
		f = -f
	}
	return f, true
}

// fastFloat32 is fastFloat64 rounded to float32, refused when that
// second rounding could differ from rounding the decimal directly: the
// float64 must not be a float32 midpoint (the only case where double
// rounding errs), and must lie in float32's normal range.
func fastFloat32(b []byte) (float32, bool) {
	f, ok := fastFloat64(b)
	if !ok {
		return 0, false
	}
	return to32(f)
}

// to32 rounds f to float32 when that is the correctly rounded float32 of
// the decimal f was rounded from (see fastFloat32).
func to32(f float64) (float32, bool) {
	a := math.Abs(f)
	if a == 0 {
		return float32(f), true
	}
	if a < 0x1p-126 || a > math.MaxFloat32 {
		return 0, false
	}
	if math.Float64bits(f)&(1<<29-1) == 1<<28 {
		return 0, false
	}
	return float32(f), true
}
