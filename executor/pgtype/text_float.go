package pgtype

import (
	"math"
	"strconv"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// parseFloat8 is float8in: white space, then what strtod accepts (a
// decimal with optional exponent, NaN, [+-]Infinity, [+-]inf, hex), then
// white space. Overflow and underflow to zero are 22003.
func parseFloat8(s string) (float64, error) {
	return parseFloat(s, 64, "double precision")
}

// parseFloat4 is float4in, which reads with strtof (no double rounding).
func parseFloat4(s string) (float32, error) {
	v, err := parseFloat(s, 32, "real")
	return float32(v), err
}

func parseFloat(s string, bits int, typeName string) (float64, error) {
	t := trimSpace(s)
	n, nonZero := scanFloat(t)
	if n == 0 || n != len(t) {
		return 0, syntaxError(typeName, s)
	}
	v, err := parseFloatToken(t, bits)
	if err != nil {
		return 0, syntaxError(typeName, s)
	}
	if math.IsInf(v, 0) && !isInfWord(t) || v == 0 && nonZero {
		return 0, sqlstate.New(sqlstate.NumericValueOutOfRange, "\"%s\" is out of range for type %s", t, typeName)
	}
	return v, nil
}

// parseFloatToken converts a token scanFloat accepted. Overflow yields an
// infinity and no error, as strtod does.
func parseFloatToken(tok string, bits int) (float64, error) {
	if hasHexPrefix(tok) && !hasByte(tok, 'p', 'P') {
		// strtod reads hex without a binary exponent; strconv needs one.
		tok += "p0"
	}
	v, err := strconv.ParseFloat(tok, bits)
	if err != nil && !math.IsInf(v, 0) {
		return 0, err
	}
	return v, nil
}

func hasHexPrefix(s string) bool {
	if s[0] == '+' || s[0] == '-' {
		s = s[1:]
	}
	return len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')
}

func hasByte(s string, a, b byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == a || s[i] == b {
			return true
		}
	}
	return false
}

// scanFloat returns the length of the longest prefix of s that strtod
// would read as a number (0 if none), and whether its mantissa has a
// non-zero digit (so that a zero result means underflow).
func scanFloat(s string) (n int, nonZero bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	if w := infNaNLen(s[i:]); w > 0 {
		return i + w, false
	}
	if len(s)-i > 2 && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') {
		if n, nz := scanHexFloat(s, i+2); n > 0 {
			return n, nz
		}
	}
	digits := 0
	for ; i < len(s) && isDigit(s[i]); i++ {
		digits++
		nonZero = nonZero || s[i] != '0'
	}
	if i < len(s) && s[i] == '.' {
		i++
		for ; i < len(s) && isDigit(s[i]); i++ {
			digits++
			nonZero = nonZero || s[i] != '0'
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			i = j
		}
	}
	return i, nonZero
}

func scanHexFloat(s string, i int) (n int, nonZero bool) {
	digits := 0
	for ; i < len(s) && isHex(s[i]); i++ {
		digits++
		nonZero = nonZero || s[i] != '0'
	}
	if i < len(s) && s[i] == '.' {
		i++
		for ; i < len(s) && isHex(s[i]); i++ {
			digits++
			nonZero = nonZero || s[i] != '0'
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(s) && (s[i] == 'p' || s[i] == 'P') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			i = j
		}
	}
	return i, nonZero
}

func isHex(c byte) bool { return isDigit(c) || (c|0x20) >= 'a' && (c|0x20) <= 'f' }

// infNaNLen returns the length of a leading "infinity", "inf" or "nan"
// (any case), or 0.
func infNaNLen(s string) int {
	for _, w := range [...]string{"infinity", "inf", "nan"} {
		if len(s) >= len(w) && equalFoldASCII(s[:len(w)], w) {
			return len(w)
		}
	}
	return 0
}

func isInfWord(tok string) bool {
	if tok[0] == '+' || tok[0] == '-' {
		tok = tok[1:]
	}
	return infNaNLen(tok) > 0
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

// AppendFloat8 appends float8out's form of v. With extraFloatDigits > 0
// (the default 1, or pgjdbc's 3) it is the shortest string that reads
// back as v, in scientific notation when the decimal exponent is < -4 or
// >= 15 (1e-05, 1.234567890123456e+15); otherwise %.*g with 15 +
// extraFloatDigits significant digits (at least 1). NaN, Infinity and
// -Infinity are spelled so.
func AppendFloat8(dst []byte, v float64, extraFloatDigits int) []byte {
	if a, ok := appendSpecial(dst, v); ok {
		return a
	}
	if extraFloatDigits > 0 {
		if a := math.Abs(v); a == 0 || a >= 1e-4 && a < 1e15 {
			return strconv.AppendFloat(dst, v, 'f', -1, 64)
		}
		return strconv.AppendFloat(dst, v, 'e', -1, 64)
	}
	return strconv.AppendFloat(dst, v, 'g', max(15+extraFloatDigits, 1), 64)
}

// AppendFloat4 appends float4out's form of v: AppendFloat8's rules with
// float4 shortest digits, scientific notation from exponent 6 on
// (1.234567e+06), and 6 + extraFloatDigits digits when that is <= 0.
func AppendFloat4(dst []byte, v float32, extraFloatDigits int) []byte {
	if a, ok := appendSpecial(dst, float64(v)); ok {
		return a
	}
	if extraFloatDigits > 0 {
		if a := float32(math.Abs(float64(v))); a == 0 || a >= 1e-4 && a < 1e6 {
			return strconv.AppendFloat(dst, float64(v), 'f', -1, 32)
		}
		return strconv.AppendFloat(dst, float64(v), 'e', -1, 32)
	}
	return strconv.AppendFloat(dst, float64(v), 'g', max(6+extraFloatDigits, 1), 32)
}

func appendSpecial(dst []byte, v float64) ([]byte, bool) {
	switch {
	case v != v:
		return append(dst, "NaN"...), true
	case v > math.MaxFloat64:
		return append(dst, "Infinity"...), true
	case v < -math.MaxFloat64:
		return append(dst, "-Infinity"...), true
	}
	return dst, false
}
