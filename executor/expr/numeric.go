package expr

import (
	"math"
	"math/big"
	"strconv"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/decimal128"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// numeric values are Arrow decimal128 (pgtype maps numeric(p,s) to
// decimal128(p,s) and unconstrained numeric to decimal128(38,16)). Every
// numeric function computes at scale 16 and returns unconstrained
// numeric; inputs of other scales are rescaled first. Exact steps (mul,
// div, rescaling) go through math/big, which numeric columns can afford:
// the hot aggregate paths accumulate in int128 instead.

// numScale is the scale of unconstrained numeric.
const numScale = 16

var (
	pow10Table [77]*big.Int
	numLimit   = new(big.Int) // 10^38: the exclusive bound of decimal128(38, s)
)

func init() {
	p := big.NewInt(1)
	for i := range pow10Table {
		pow10Table[i] = new(big.Int).Set(p)
		p.Mul(p, big.NewInt(10))
	}
	numLimit.Set(pow10Table[38])
}

// pow10Big returns 10^n (shared; do not modify).
func pow10Big(n int) *big.Int {
	if n < len(pow10Table) {
		return pow10Table[n]
	}
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// numericScale returns the scale of a decimal array.
func numericScale(a arrow.Array) int32 {
	if d, ok := a.DataType().(*arrow.Decimal128Type); ok {
		return d.Scale
	}
	return 0
}

// rescaleBig returns v (at scale from) at scale to, rounding half away
// from zero when the scale drops.
func rescaleBig(v *big.Int, from, to int32) *big.Int {
	switch {
	case from == to:
		return v
	case from < to:
		return new(big.Int).Mul(v, pow10Big(int(to-from)))
	}
	return divRound(v, pow10Big(int(from-to)))
}

// divRound returns x / y rounded half away from zero.
func divRound(x, y *big.Int) *big.Int {
	q, r := new(big.Int).QuoRem(x, y, new(big.Int))
	if r.Sign() == 0 {
		return q
	}
	r2 := new(big.Int).Abs(r)
	r2.Lsh(r2, 1)
	if r2.Cmp(new(big.Int).Abs(y)) >= 0 {
		if (x.Sign() < 0) != (y.Sign() < 0) {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

// fitsPrecision reports whether |v| < 10^prec.
func fitsPrecision(v *big.Int, prec int32) bool {
	return new(big.Int).Abs(v).Cmp(pow10Big(int(prec))) < 0
}

func errNumericOverflow() error {
	return sqlstate.New(sqlstate.NumericValueOutOfRange, "value overflows numeric format")
}

// errNumericField is the 22003 of storing a value in numeric(p,s).
func errNumericField(p, s int32) error {
	return sqlstate.New(sqlstate.NumericValueOutOfRange, "numeric field overflow").
		WithDetail("A field with precision %d, scale %d must round to an absolute value less than %s.", p, s, tenPow(p-s))
}

func tenPow(e int32) string {
	if e <= 0 {
		return "1"
	}
	return "10^" + strconv.Itoa(int(e))
}

// toNum converts a big integer at the target scale into a decimal128 of
// precision prec, or fails with err.
func toNum(v *big.Int, prec int32, err func() error) (decimal128.Num, error) {
	if !fitsPrecision(v, prec) {
		return decimal128.Num{}, err()
	}
	return decimal128.FromBigInt(v), nil
}

// numericTypeOf returns the decimal type of a numeric type.
func numericTypeOf(t pgtype.Type) *arrow.Decimal128Type {
	dt, err := t.Arrow()
	if err != nil {
		return &arrow.Decimal128Type{Precision: 38, Scale: numScale}
	}
	return dt.(*arrow.Decimal128Type)
}

// numToFloat converts a decimal at scale s to float64 (through its
// decimal text, so that 0.1 becomes the float nearest to 0.1, as
// PostgreSQL's numeric_float8 does).
func numToFloat(v decimal128.Num, s int32) float64 {
	f, err := strconv.ParseFloat(v.ToString(s), 64)
	if err != nil {
		return v.ToFloat64(s)
	}
	return f
}

// floatToNum converts a float to a decimal at scale s and precision p
// (PostgreSQL's float8_numeric: 15 significant digits for float8, 6 for
// float4), rounding half away from zero; NaN and infinities are 22003
// here because decimal128 cannot hold them.
func floatToNum(f float64, digits int, p, s int32) (decimal128.Num, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return decimal128.Num{}, sqlstate.New(sqlstate.FeatureNotSupported, "cannot convert %s to numeric", strconv.FormatFloat(f, 'g', -1, 64))
	}
	txt := strconv.FormatFloat(f, 'e', digits-1, 64)
	r, ok := new(big.Rat).SetString(txt)
	if !ok {
		return decimal128.Num{}, errNumericOverflow()
	}
	r.Mul(r, new(big.Rat).SetInt(pow10Big(int(s))))
	v := divRound(r.Num(), r.Denom())
	if p == 38 && s == numScale {
		return toNum(v, 38, errNumericOverflow)
	}
	return toNum(v, p, func() error { return errNumericField(p, s) })
}
