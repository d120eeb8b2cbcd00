package pgtype

import (
	"math/bits"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// Numeric values are Arrow decimal128 values: an integer with the scale
// of the Arrow type (the typmod's for numeric(p,s), 16 for an
// unconstrained numeric). PostgreSQL keeps a display scale per value
// instead; FixedScale says which of the two the text and binary forms
// show.

// maxNumericExponent is NUMERIC_MAX_PRECISION, the largest exponent
// numeric_in accepts.
const maxNumericExponent = 1000

// parseNumeric is numeric_in followed by apply_typmod: the value is
// rounded half away from zero to the scale of t's Arrow type and must fit
// its precision.
func parseNumeric(t Type, s string) (scalar.Scalar, error) {
	at, err := t.Arrow()
	if err != nil {
		return nil, err
	}
	dt := at.(*arrow.Decimal128Type)
	v, err := parseDecimal(t, s, dt)
	if err != nil {
		return nil, err
	}
	return scalar.NewDecimal128Scalar(v, dt), nil
}

func parseDecimal(t Type, s string, dt *arrow.Decimal128Type) (decimal128.Num, error) {
	str := trimSpace(s)
	i := 0
	neg := false
	if i < len(str) && (str[i] == '+' || str[i] == '-') {
		neg = str[i] == '-'
		i++
	}
	if w := infNaNLen(str[i:]); w > 0 && i+w == len(str) {
		return decimal128.Num{}, sqlstate.New(sqlstate.FeatureNotSupported, "numeric value \"%s\" cannot be stored", str)
	}
	// Mantissa: digits with at most one point, at least one digit.
	start := i
	frac, point := 0, false
	for ; i < len(str); i++ {
		c := str[i]
		switch {
		case isDigit(c):
			if point {
				frac++
			}
			continue
		case c == '.' && !point:
			point = true
			continue
		}
		break
	}
	mant := str[start:i]
	if len(mant) == btoi(point) { // no digit at all
		return decimal128.Num{}, syntaxError("numeric", s)
	}
	exp := 0
	if i < len(str) && (str[i] == 'e' || str[i] == 'E') {
		i++
		eneg := false
		if i < len(str) && (str[i] == '+' || str[i] == '-') {
			eneg = str[i] == '-'
			i++
		}
		if i >= len(str) || !isDigit(str[i]) {
			return decimal128.Num{}, syntaxError("numeric", s)
		}
		for ; i < len(str) && isDigit(str[i]); i++ {
			exp = exp*10 + int(str[i]-'0')
			if exp > maxNumericExponent {
				return decimal128.Num{}, syntaxError("numeric", s)
			}
		}
		if eneg {
			exp = -exp
		}
	}
	if i != len(str) {
		return decimal128.Num{}, syntaxError("numeric", s)
	}

	// Significant digits, without the point and leading zeros.
	var buf [40]byte
	digits := buf[:0]
	dropped := byte('0') // first digit dropped by rounding
	shift := exp - frac + int(dt.Scale)
	keep := -1 // digits of the mantissa to keep, once known
	seen := 0  // significant digits seen
	for j := 0; j < len(mant); j++ {
		c := mant[j]
		if c == '.' || (c == '0' && seen == 0) {
			continue
		}
		seen++
		if keep < 0 {
			// The number of significant digits is known only at the end;
			// count the remaining ones first.
			keep = countDigits(mant[j:]) + shift
		}
		if seen > keep {
			if seen == keep+1 {
				dropped = c
			}
			continue
		}
		if len(digits) == cap(digits) {
			return decimal128.Num{}, numericOverflow(t, dt)
		}
		digits = append(digits, c)
	}
	if keep > 0 && len(digits) < keep { // shift > 0: append zeros
		for len(digits) < keep {
			if len(digits) == cap(digits) {
				return decimal128.Num{}, numericOverflow(t, dt)
			}
			digits = append(digits, '0')
		}
	}
	if dropped >= '5' {
		digits = roundUp(digits)
	}
	for len(digits) > 0 && digits[0] == '0' {
		digits = digits[1:]
	}
	if len(digits) > int(min(dt.Precision, decimal128.MaxPrecision)) {
		return decimal128.Num{}, numericOverflow(t, dt)
	}
	v := digitsToNum(digits)
	if neg {
		v = v.Negate()
	}
	return v, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			n++
		}
	}
	return n
}

// roundUp adds one to a decimal digit string, growing it on carry.
func roundUp(d []byte) []byte {
	for i := len(d) - 1; i >= 0; i-- {
		if d[i] != '9' {
			d[i]++
			return d
		}
		d[i] = '0'
	}
	d = append(d, 0)
	copy(d[1:], d)
	d[0] = '1'
	return d
}

// digitsToNum converts at most 38 decimal digits.
func digitsToNum(d []byte) decimal128.Num {
	var hi, lo uint64
	for _, c := range d {
		h, l := bits.Mul64(lo, 10)
		var carry uint64
		lo, carry = bits.Add64(l, uint64(c-'0'), 0)
		hi = hi*10 + h + carry
	}
	return decimal128.New(int64(hi), lo)
}

// numericOverflow is apply_typmod's error for numeric(p,s), or
// make_result's for an unconstrained numeric beyond decimal128.
func numericOverflow(t Type, dt *arrow.Decimal128Type) error {
	if t.Mod < 4 {
		return sqlstate.New(sqlstate.NumericValueOutOfRange, "value overflows numeric format")
	}
	e := sqlstate.New(sqlstate.NumericValueOutOfRange, "numeric field overflow")
	if maxDigits := dt.Precision - dt.Scale; maxDigits != 0 {
		return e.WithDetail("A field with precision %d, scale %d must round to an absolute value less than 10^%d.", dt.Precision, dt.Scale, maxDigits)
	}
	return e.WithDetail("A field with precision %d, scale %d must round to an absolute value less than 1.", dt.Precision, dt.Scale)
}

// FixedScale reports whether numeric values of t show exactly the scale
// of their Arrow type, as numeric(p,s) does ('1.5'::numeric(5,2) is
// 1.50). An unconstrained numeric is stored with a fixed scale too, but
// shows only the decimals its value needs, so that sum(bigint) prints 6
// and '1.5'::numeric prints 1.5.
func FixedScale(t Type) bool { return t.OID != OIDNumeric || t.Mod >= 4 }

// DecimalDigits appends the decimal digits of |v| to dst (no leading
// zeros; "0" for zero) and reports whether v is negative.
func DecimalDigits(dst []byte, v decimal128.Num) ([]byte, bool) {
	hi, lo := uint64(v.HighBits()), v.LowBits()
	neg := int64(hi) < 0
	if neg {
		lo = ^lo + 1
		hi = ^hi
		if lo == 0 {
			hi++
		}
	}
	// At most 39 digits: up to two chunks of 19 below the top one.
	const chunk = 1e19
	var rems [2]uint64
	n := 0
	for hi != 0 {
		var r uint64
		hi, r = hi/chunk, hi%chunk
		lo, r = bits.Div64(r, lo, chunk)
		rems[n] = r
		n++
	}
	var buf [20]byte
	dst = append(dst, appendUintTo(buf[:0], lo)...)
	for n > 0 {
		n--
		b := appendUintTo(buf[:0], rems[n])
		for k := len(b); k < 19; k++ {
			dst = append(dst, '0')
		}
		dst = append(dst, b...)
	}
	return dst, neg
}

func appendUintTo(dst []byte, v uint64) []byte {
	var b [20]byte
	i := len(b)
	for v >= 10 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	i--
	b[i] = byte('0' + v)
	return append(dst, b[i:]...)
}

// DisplayScale returns the number of decimals numeric_out shows for the
// decimal digits of |v| (as DecimalDigits writes them) stored with scale:
// scale itself when fixed, else scale less the trailing zeros (never
// below 0).
func DisplayScale(digits []byte, scale int32, fixed bool) int32 {
	if fixed || scale <= 0 {
		return max(scale, 0)
	}
	if len(digits) == 1 && digits[0] == '0' {
		return 0
	}
	ds := scale
	for i := len(digits) - 1; i >= 0 && ds > 0 && digits[i] == '0'; i-- {
		ds--
	}
	return ds
}

// AppendNumeric appends numeric_out's form of the decimal v stored with
// scale: an optional minus, the integer digits ("0" if none), and
// DisplayScale decimals after a point.
func AppendNumeric(dst []byte, v decimal128.Num, scale int32, fixed bool) []byte {
	var buf [48]byte
	digits, neg := DecimalDigits(buf[:0], v)
	return AppendDecimalDigits(dst, digits, neg, scale, DisplayScale(digits, scale, fixed))
}

// AppendDecimalDigits appends the text form of the value whose decimal
// digits (of the magnitude, stored with scale) are digits, showing
// dscale decimals.
func AppendDecimalDigits(dst, digits []byte, neg bool, scale, dscale int32) []byte {
	if neg {
		dst = append(dst, '-')
	}
	if scale <= 0 {
		dst = append(dst, digits...)
		if len(digits) != 1 || digits[0] != '0' {
			for i := scale; i < 0; i++ {
				dst = append(dst, '0')
			}
		}
		scale = 0
	} else {
		intLen := len(digits) - int(scale)
		if intLen > 0 {
			dst = append(dst, digits[:intLen]...)
			digits = digits[intLen:]
		} else {
			dst = append(dst, '0')
		}
		if dscale > 0 {
			dst = append(dst, '.')
			n := int32(0)
			for ; n < dscale && intLen < 0; n, intLen = n+1, intLen+1 {
				dst = append(dst, '0')
			}
			for i := 0; n < dscale && i < len(digits); n, i = n+1, i+1 {
				dst = append(dst, digits[i])
			}
			for ; n < dscale; n++ {
				dst = append(dst, '0')
			}
		}
		return dst
	}
	if dscale > 0 {
		dst = append(dst, '.')
		for n := int32(0); n < dscale; n++ {
			dst = append(dst, '0')
		}
	}
	return dst
}
