package codec

import (
	"encoding/binary"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// numeric's binary form is PostgreSQL's NumericVar: int16 ndigits, int16
// weight, int16 sign, int16 dscale, then ndigits base-10000 digits, most
// significant first; the value is Σ digit[i] × 10000^(weight-i). Leading
// and trailing zero digits are not sent, and zero has no digits at all:
// 0.00 is 0000 0000 0000 0002.

const (
	numericPos  = 0x0000
	numericNeg  = 0x4000
	numericNaN  = 0xC000
	numericPInf = 0xD000
	numericNInf = 0xF000

	// numericMaxDigits bounds ndigits as numeric_recv does
	// (NUMERIC_MAX_PRECISION + NUMERIC_MAX_RESULT_SCALE).
	numericMaxDigits = 1000 + 2000
	// numericDscaleMask is NUMERIC_DSCALE_MASK.
	numericDscaleMask = 0x3FFF
)

type numericEncoder struct {
	validity
	vals   []decimal128.Num
	scale  int32
	fixed  bool
	binary bool
}

var _ Encoder = (*numericEncoder)(nil)

func newNumericEncoder(arr arrow.Array, t pgtype.Type, format int16) Encoder {
	a, ok := arr.(*array.Decimal128)
	if !ok {
		return nil
	}
	return &numericEncoder{
		validity: validityOf(arr),
		vals:     a.Values(),
		scale:    a.DataType().(*arrow.Decimal128Type).Scale,
		fixed:    pgtype.FixedScale(t),
		binary:   format == FormatBinary,
	}
}

// Append implements Encoder.
func (e *numericEncoder) Append(dst []byte, row int) []byte {
	if e.null(row) {
		return appendNull(dst)
	}
	if e.binary {
		return appendNumericBinary(dst, e.vals[row], e.scale, e.fixed)
	}
	dst, m := beginField(dst)
	return endField(pgtype.AppendNumeric(dst, e.vals[row], e.scale, e.fixed), m)
}

var pow10 = [4]uint16{1, 10, 100, 1000}

// appendNumericBinary writes the field (length included) of v stored with
// scale.
func appendNumericBinary(dst []byte, v decimal128.Num, scale int32, fixed bool) []byte {
	var buf [48]byte
	digits, neg := pgtype.DecimalDigits(buf[:0], v)
	dscale := pgtype.DisplayScale(digits, scale, fixed)
	if len(digits) == 1 && digits[0] == '0' {
		dst = append(dst, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0)
		return binary.BigEndian.AppendUint16(dst, uint16(dscale))
	}
	// Digit k has decimal exponent emax-k; base-10000 digit w collects the
	// exponents 4w…4w+3.
	emax := len(digits) - 1 - int(scale)
	emin := -int(scale)
	wmax, wmin := emax>>2, emin>>2
	var groups [16]uint16 // 39 digits span at most 11 groups
	for k, c := range digits {
		e := emax - k
		w := e >> 2
		groups[w-wmin] += uint16(c-'0') * pow10[e-w<<2]
	}
	hi := wmax // the top group holds the leading non-zero digit
	lo := wmin
	for lo < hi && groups[lo-wmin] == 0 {
		lo++
	}
	n := hi - lo + 1
	dst = appendLen(dst, 8+2*n)
	sign := uint16(numericPos)
	if neg {
		sign = numericNeg
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	dst = binary.BigEndian.AppendUint16(dst, uint16(int16(hi)))
	dst = binary.BigEndian.AppendUint16(dst, sign)
	dst = binary.BigEndian.AppendUint16(dst, uint16(dscale))
	for w := hi; w >= lo; w-- {
		dst = binary.BigEndian.AppendUint16(dst, groups[w-wmin])
	}
	return dst
}

// decodeNumeric is numeric_recv: the value is truncated to its dscale,
// then rounded to t's scale and checked against its precision by the
// text input path, so both formats round and fail alike.
func decodeNumeric(t pgtype.Type, data []byte) (scalar.Scalar, error) {
	if len(data) < 8 {
		return nil, badBinary()
	}
	ndigits := int(int16(binary.BigEndian.Uint16(data)))
	weight := int(int16(binary.BigEndian.Uint16(data[2:])))
	sign := binary.BigEndian.Uint16(data[4:])
	dscale := int(binary.BigEndian.Uint16(data[6:]))
	if ndigits < 0 || ndigits > numericMaxDigits {
		return nil, sqlstate.New(sqlstate.InvalidBinaryRepresentation, "invalid length in external \"numeric\" value")
	}
	if len(data) != 8+2*ndigits {
		return nil, badBinary()
	}
	switch sign {
	case numericPos, numericNeg:
	case numericNaN, numericPInf, numericNInf:
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "numeric NaN and infinity cannot be stored")
	default:
		return nil, sqlstate.New(sqlstate.InvalidBinaryRepresentation, "invalid sign in external \"numeric\" value")
	}
	if dscale&numericDscaleMask != dscale {
		return nil, sqlstate.New(sqlstate.InvalidBinaryRepresentation, "invalid scale in external \"numeric\" value")
	}
	digit := func(i int) int {
		if i < 0 || i >= ndigits {
			return 0
		}
		return int(binary.BigEndian.Uint16(data[8+2*i:]))
	}
	for i := 0; i < ndigits; i++ {
		if digit(i) >= 10000 {
			return nil, sqlstate.New(sqlstate.InvalidBinaryRepresentation, "invalid digit in external \"numeric\" value")
		}
	}
	// Leading zero digits would make the text long for nothing.
	for ndigits > 0 && digit(0) == 0 {
		data = data[2:]
		ndigits--
		weight--
	}
	s := make([]byte, 0, 8+4*max(weight+1, 0)+dscale)
	if sign == numericNeg {
		s = append(s, '-')
	}
	if weight < 0 || ndigits == 0 {
		s = append(s, '0')
	} else {
		for i := 0; i <= weight; i++ {
			s = append4(s, digit(i), i == 0)
		}
	}
	if dscale > 0 {
		s = append(s, '.')
		end := len(s) + dscale
		for i := weight + 1; len(s) < end; i++ {
			s = append4(s, digit(i), false)
		}
		s = s[:end]
	}
	return pgtype.ParseText(t, string(s), nil)
}

// append4 writes a base-10000 digit as four decimal digits, or without
// leading zeros when trim.
func append4(s []byte, d int, trim bool) []byte {
	b := [4]byte{byte('0' + d/1000), byte('0' + d/100%10), byte('0' + d/10%10), byte('0' + d%10)}
	i := 0
	for trim && i < 3 && b[i] == '0' {
		i++
	}
	return append(s, b[i:]...)
}
