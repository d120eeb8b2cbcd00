package expr_test

import (
	"math"
	"reflect"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// fcase is one function call with constant arguments and PostgreSQL's
// result: a value, NULL (nil) or an error code.
type fcase struct {
	name string
	fn   string
	args []*expr.Const
	want any
	code sqlstate.Code
	// nonStrict marks functions whose result is not NULL for a NULL
	// argument (concat), which the column form cannot check generically.
	nonStrict bool
}

var (
	i2   = pgtype.Int2
	i4   = pgtype.Int4
	i8   = pgtype.Int8
	f4   = pgtype.Float4
	f8   = pgtype.Float8
	num  = pgtype.Numeric
	txt  = pgtype.Text
	vec  = pgtype.Vector
	bln  = pgtype.Bool
	date = pgtype.Date
	ts   = pgtype.Timestamp
	tstz = pgtype.TimestampTZ
)

func a(cs ...*expr.Const) []*expr.Const { return cs }

// runCases checks each case twice: with constant arguments (evaluated
// once for the batch), and with the arguments as columns of three rows
// (value, NULL, value) to exercise the column loops and NULL handling.
func runCases(t *testing.T, cases []fcase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := newEnv(t)
			args := make([]expr.Expr, len(c.args))
			for i, x := range c.args {
				args[i] = x
			}
			e, err := tryCall(c.fn, args...)
			if err != nil {
				if c.code != "" && sqlstate.CodeOf(err) == c.code {
					return
				}
				t.Fatalf("resolve %s: %v", c.fn, err)
			}
			got, code := eval1(t, env, e)
			checkResult(t, "const", got, code, c.want, c.code)

			// Column form.
			cols := make([]expr.Expr, len(c.args))
			arrs := make([]arrow.Array, len(c.args))
			fields := make([]arrow.Field, len(c.args))
			for i, x := range c.args {
				arrs[i] = columnOf(env.Mem, x)
				defer arrs[i].Release()
				fields[i] = arrow.Field{Name: "c", Type: arrs[i].DataType(), Nullable: true}
				cols[i] = &expr.Column{Index: i, T: x.T}
			}
			rec := array.NewRecord(arrow.NewSchema(fields, nil), arrs, 3)
			defer rec.Release()
			ce, err := tryCall(c.fn, cols...)
			if err != nil {
				t.Fatalf("resolve %s over columns: %v", c.fn, err)
			}
			vals, code := evalOn(t, env, ce, rec)
			if code != "" || c.code != "" {
				checkResult(t, "columns", nil, code, nil, c.code)
				return
			}
			checkResult(t, "columns row 0", vals[0], "", c.want, "")
			checkResult(t, "columns row 2", vals[2], "", c.want, "")
			if !c.nonStrict && len(c.args) > 0 && vals[1] != nil {
				t.Errorf("columns row 1 (NULL arguments) = %v; want NULL", vals[1])
			}
		})
	}
}

// columnOf returns [v, NULL, v] for a constant v.
func columnOf(mem memory.Allocator, c *expr.Const) arrow.Array {
	dt, err := c.T.Arrow()
	if err != nil {
		panic(err)
	}
	var one arrow.Array
	if c.Value == nil {
		one = array.MakeArrayOfNull(mem, dt, 1)
	} else {
		one, err = scalar.MakeArrayFromScalar(c.Value, 1, mem)
		if err != nil {
			panic(err)
		}
	}
	defer one.Release()
	null := array.MakeArrayOfNull(mem, one.DataType(), 1)
	defer null.Release()
	out, err := array.Concatenate([]arrow.Array{one, null, one}, mem)
	if err != nil {
		panic(err)
	}
	return out
}

func checkResult(t *testing.T, form string, got any, code sqlstate.Code, want any, wantCode sqlstate.Code) {
	t.Helper()
	if code != wantCode {
		t.Fatalf("%s: got error %q, value %v; want error %q, value %v", form, code, got, wantCode, want)
	}
	if wantCode != "" {
		return
	}
	if !equalValue(got, want) {
		t.Errorf("%s: got %#v; want %#v", form, got, want)
	}
}

func equalValue(got, want any) bool {
	switch w := want.(type) {
	case float64:
		g, ok := got.(float64)
		if !ok {
			return false
		}
		if math.IsNaN(w) {
			return math.IsNaN(g)
		}
		return g == w || math.Abs(g-w) <= 1e-12*math.Abs(w)
	case int:
		return reflect.DeepEqual(got, int64(w))
	}
	return reflect.DeepEqual(got, want)
}

func TestArithmetic(t *testing.T) {
	runCases(t, []fcase{
		{name: "int4 add", fn: "+", args: a(lit(i4, 1), lit(i4, 2)), want: 3},
		{name: "int4 overflow", fn: "+", args: a(lit(i4, math.MaxInt32), lit(i4, 1)), code: "22003"},
		{name: "int8 overflow", fn: "+", args: a(lit(i8, int64(math.MaxInt64)), lit(i8, 1)), code: "22003"},
		{name: "int8 sub overflow", fn: "-", args: a(lit(i8, int64(math.MinInt64)), lit(i8, 1)), code: "22003"},
		{name: "int2 mul overflow", fn: "*", args: a(lit(i2, 300), lit(i2, 300)), code: "22003"},
		{name: "int4 mul", fn: "*", args: a(lit(i4, -46340), lit(i4, 46340)), want: -2147395600},
		{name: "int4 mul overflow", fn: "*", args: a(lit(i4, 65536), lit(i4, 32768)), code: "22003"},
		{name: "int8 mul overflow", fn: "*", args: a(lit(i8, int64(1)<<32), lit(i8, int64(1)<<31)), code: "22003"},
		{name: "int8 mul big", fn: "*", args: a(lit(i8, int64(1)<<31), lit(i8, int64(1)<<31)), want: int64(1) << 62},
		{name: "division truncates", fn: "/", args: a(lit(i4, 7), lit(i4, 2)), want: 3},
		{name: "negative division truncates", fn: "/", args: a(lit(i4, -7), lit(i4, 2)), want: -3},
		{name: "modulo sign of dividend", fn: "%", args: a(lit(i4, -7), lit(i4, 3)), want: -1},
		{name: "modulo", fn: "%", args: a(lit(i4, 7), lit(i4, -3)), want: 1},
		{name: "mod function", fn: "mod", args: a(lit(i8, 7), lit(i8, 3)), want: 1},
		{name: "division by zero", fn: "/", args: a(lit(i4, 1), lit(i4, 0)), code: "22012"},
		{name: "modulo by zero", fn: "%", args: a(lit(i4, 1), lit(i4, 0)), code: "22012"},
		{name: "min / -1", fn: "/", args: a(lit(i4, math.MinInt32), lit(i4, -1)), code: "22003"},
		{name: "min % -1", fn: "%", args: a(lit(i4, math.MinInt32), lit(i4, -1)), want: 0},
		{name: "negate min", fn: "-", args: a(lit(i4, math.MinInt32)), code: "22003"},
		{name: "negate", fn: "-", args: a(lit(i8, 5)), want: -5},
		{name: "abs min", fn: "abs", args: a(lit(i2, math.MinInt16)), code: "22003"},
		{name: "abs", fn: "abs", args: a(lit(i4, -5)), want: 5},
		{name: "float8 add", fn: "+", args: a(lit(f8, 1.5), lit(f8, 2.25)), want: 3.75},
		{name: "float8 overflow", fn: "*", args: a(lit(f8, 1e308), lit(f8, 10.0)), code: "22003"},
		{name: "float8 underflow", fn: "*", args: a(lit(f8, 1e-308), lit(f8, 1e-308)), code: "22003"},
		{name: "float8 infinity stays", fn: "+", args: a(lit(f8, math.Inf(1)), lit(f8, 1.0)), want: math.Inf(1)},
		{name: "float8 division by zero", fn: "/", args: a(lit(f8, 1.0), lit(f8, 0.0)), code: "22012"},
		{name: "float4 div", fn: "/", args: a(lit(f4, 1.0), lit(f4, 4.0)), want: 0.25},
		{name: "float8 negate", fn: "-", args: a(lit(f8, 2.5)), want: -2.5},
		{name: "numeric add", fn: "+", args: a(lit(num, "1.5"), lit(num, "2.25")), want: "3.75"},
		{name: "numeric sub", fn: "-", args: a(lit(num, "1.5"), lit(num, "2.25")), want: "-0.75"},
		{name: "numeric mul", fn: "*", args: a(lit(num, "2"), lit(num, "3.5")), want: "7"},
		{name: "numeric div", fn: "/", args: a(lit(num, "10"), lit(num, "4")), want: "2.5"},
		{name: "numeric div rounds", fn: "/", args: a(lit(num, "2"), lit(num, "3")), want: "0.6666666666666667"},
		{name: "numeric mod", fn: "%", args: a(lit(num, "7.5"), lit(num, "2")), want: "1.5"},
		{name: "numeric division by zero", fn: "/", args: a(lit(num, "1"), lit(num, "0")), code: "22012"},
		{name: "numeric negate", fn: "-", args: a(lit(num, "1.25")), want: "-1.25"},
		{name: "numeric of other scale", fn: "+", args: a(lit(pgtype.NumericOf(10, 2), "1.25"), lit(num, "1")), want: "2.25"},
		{name: "power float8", fn: "^", args: a(lit(f8, 2.0), lit(f8, 10.0)), want: 1024.0},
		{name: "power zero negative", fn: "power", args: a(lit(f8, 0.0), lit(f8, -1.0)), code: "2201F"},
		{name: "power complex", fn: "power", args: a(lit(f8, -8.0), lit(f8, 0.5)), code: "2201F"},
		{name: "power numeric", fn: "^", args: a(lit(num, "2"), lit(num, "3")), want: "8"},
		{name: "date plus days", fn: "+", args: a(lit(date, 19000), lit(i4, 5)), want: 19005},
		{name: "date minus date", fn: "-", args: a(lit(date, 19005), lit(date, 19000)), want: 5},
		{name: "null operand", fn: "+", args: a(lit(i4, nil), lit(i4, 1)), want: nil},
	})
}

func TestMath(t *testing.T) {
	runCases(t, []fcase{
		{name: "round float8 half even", fn: "round", args: a(lit(f8, 2.5)), want: 2.0},
		{name: "round float8 3.5", fn: "round", args: a(lit(f8, 3.5)), want: 4.0},
		{name: "round numeric half away", fn: "round", args: a(lit(num, "2.5")), want: "3"},
		{name: "round numeric negative", fn: "round", args: a(lit(num, "-2.5")), want: "-3"},
		{name: "round numeric digits", fn: "round", args: a(lit(num, "1.2345"), lit(i4, 2)), want: "1.23"},
		{name: "round numeric digits up", fn: "round", args: a(lit(num, "1.2355"), lit(i4, 3)), want: "1.236"},
		{name: "round numeric negative digits", fn: "round", args: a(lit(num, "1234.5"), lit(i4, -2)), want: "1200"},
		{name: "trunc numeric", fn: "trunc", args: a(lit(num, "-1.7")), want: "-1"},
		{name: "trunc numeric digits", fn: "trunc", args: a(lit(num, "1.789"), lit(i4, 1)), want: "1.7"},
		{name: "floor numeric", fn: "floor", args: a(lit(num, "-1.5")), want: "-2"},
		{name: "ceil numeric", fn: "ceil", args: a(lit(num, "1.2")), want: "2"},
		{name: "ceiling float8", fn: "ceiling", args: a(lit(f8, -1.5)), want: -1.0},
		{name: "floor float8", fn: "floor", args: a(lit(f8, -1.5)), want: -2.0},
		{name: "trunc float8", fn: "trunc", args: a(lit(f8, -1.5)), want: -1.0},
		{name: "sqrt", fn: "sqrt", args: a(lit(f8, 16.0)), want: 4.0},
		{name: "sqrt negative", fn: "sqrt", args: a(lit(f8, -1.0)), code: "2201F"},
		{name: "sqrt numeric", fn: "sqrt", args: a(lit(num, "2.25")), want: "1.5"},
		{name: "exp", fn: "exp", args: a(lit(f8, 0.0)), want: 1.0},
		{name: "exp overflow", fn: "exp", args: a(lit(f8, 1000.0)), code: "22003"},
		{name: "ln zero", fn: "ln", args: a(lit(f8, 0.0)), code: "2201E"},
		{name: "ln negative", fn: "ln", args: a(lit(f8, -1.0)), code: "2201E"},
		{name: "log10", fn: "log", args: a(lit(f8, 100.0)), want: 2.0},
		{name: "log base", fn: "log", args: a(lit(num, "2"), lit(num, "8")), want: "3"},
		{name: "sign float8", fn: "sign", args: a(lit(f8, -3.2)), want: -1.0},
		{name: "sign numeric", fn: "sign", args: a(lit(num, "3.2")), want: "1"},
		{name: "abs float8", fn: "abs", args: a(lit(f8, -1.5)), want: 1.5},
		{name: "abs numeric", fn: "abs", args: a(lit(num, "-1.5")), want: "1.5"},
		{name: "pi", fn: "pi", want: math.Pi},
		{name: "greatest", fn: "greatest", args: a(lit(i4, 1), lit(i4, nil), lit(i4, 3)), want: 3, nonStrict: true},
		{name: "greatest mixed types", fn: "greatest", args: a(lit(i4, 1), lit(num, "2.5")), want: "2.5"},
		{name: "least text", fn: "least", args: a(lit(txt, "b"), lit(txt, "a")), want: "a"},
		{name: "greatest all null", fn: "greatest", args: a(lit(i4, nil), lit(i4, nil)), want: nil},
		{name: "greatest float NaN", fn: "greatest", args: a(lit(f8, math.NaN()), lit(f8, 1.0)), want: math.NaN()},
		{name: "nullif equal", fn: "nullif", args: a(lit(i4, 1), lit(i4, 1)), want: nil},
		{name: "nullif different", fn: "nullif", args: a(lit(i4, 1), lit(i4, 2)), want: 1},
	})
}

func TestComparison(t *testing.T) {
	runCases(t, []fcase{
		{name: "case sensitive", fn: "=", args: a(lit(txt, "a"), lit(txt, "A")), want: false},
		{name: "trailing space significant", fn: "=", args: a(lit(txt, "a"), lit(txt, "a ")), want: false},
		{name: "byte order", fn: "<", args: a(lit(txt, "B"), lit(txt, "a")), want: true},
		{name: "utf8 byte order", fn: "<", args: a(lit(txt, "z"), lit(txt, "é")), want: true},
		{name: "prefix sorts first", fn: "<", args: a(lit(txt, "ab"), lit(txt, "abc")), want: true},
		{name: "not equal", fn: "<>", args: a(lit(i8, 1), lit(i8, 2)), want: true},
		{name: "bang equal", fn: "!=", args: a(lit(i8, 1), lit(i8, 1)), want: false},
		{name: "int ge", fn: ">=", args: a(lit(i4, 3), lit(i4, 3)), want: true},
		{name: "NaN equals NaN", fn: "=", args: a(lit(f8, math.NaN()), lit(f8, math.NaN())), want: true},
		{name: "NaN above infinity", fn: ">", args: a(lit(f8, math.NaN()), lit(f8, math.Inf(1))), want: true},
		{name: "minus zero", fn: "=", args: a(lit(f8, math.Copysign(0, -1)), lit(f8, 0.0)), want: true},
		{name: "numeric scales", fn: "=", args: a(lit(pgtype.NumericOf(10, 2), "1.50"), lit(num, "1.5")), want: true},
		{name: "bool order", fn: "<", args: a(lit(bln, false), lit(bln, true)), want: true},
		{name: "date", fn: "<", args: a(lit(date, 1), lit(date, 2)), want: true},
		{name: "null", fn: "<", args: a(lit(i4, 1), lit(i4, nil)), want: nil},
		{name: "vector equal", fn: "=", args: a(lit(vec, []float32{1, 2}), lit(vec, []float32{1, 2})), want: true},
		{name: "vector order", fn: "<", args: a(lit(vec, []float32{1, 2}), lit(vec, []float32{1, 3})), want: true},
		{name: "vector shorter first", fn: "<", args: a(lit(vec, []float32{1, 2}), lit(vec, []float32{1, 2, 0})), want: true},
		{name: "cross-type int", fn: "=", args: a(lit(i4, 5), lit(i8, 5)), want: true},
		{name: "int and numeric", fn: "<", args: a(lit(i4, 1), lit(num, "1.5")), want: true},
		{name: "regex", fn: "~", args: a(lit(txt, "pg_class"), lit(txt, "^pg_")), want: true},
		{name: "regex case insensitive", fn: "~*", args: a(lit(txt, "PG_class"), lit(txt, "^pg_")), want: true},
		{name: "regex negated", fn: "!~", args: a(lit(txt, "items"), lit(txt, "^pg_")), want: true},
		{name: "bad regex", fn: "~", args: a(lit(txt, "x"), lit(txt, "(")), code: "2201B"},
	})
}

func TestStrings(t *testing.T) {
	runCases(t, []fcase{
		{name: "length counts characters", fn: "length", args: a(lit(txt, "héllo")), want: 5},
		{name: "char_length", fn: "char_length", args: a(lit(txt, "héllo")), want: 5},
		{name: "octet_length", fn: "octet_length", args: a(lit(txt, "héllo")), want: 6},
		{name: "lower", fn: "lower", args: a(lit(txt, "HeLLo")), want: "hello"},
		{name: "upper", fn: "upper", args: a(lit(txt, "héllo")), want: "HÉLLO"},
		{name: "substring from 0 for 6", fn: "substring", args: a(lit(txt, "TABLE_NAME"), lit(i4, 0), lit(i4, 6)), want: "TABLE"},
		{name: "substring from 2", fn: "substring", args: a(lit(txt, "hello"), lit(i4, 2)), want: "ello"},
		{name: "substring before start", fn: "substr", args: a(lit(txt, "hello"), lit(i4, -1), lit(i4, 3)), want: "h"},
		{name: "substring past end", fn: "substring", args: a(lit(txt, "hello"), lit(i4, 4), lit(i4, 10)), want: "lo"},
		{name: "substring characters", fn: "substring", args: a(lit(txt, "héllo"), lit(i4, 2), lit(i4, 2)), want: "él"},
		{name: "substring negative length", fn: "substring", args: a(lit(txt, "hello"), lit(i4, 1), lit(i4, -1)), code: "22011"},
		{name: "position", fn: "position", args: a(lit(txt, "héllo"), lit(txt, "lo")), want: 4},
		{name: "strpos missing", fn: "strpos", args: a(lit(txt, "hello"), lit(txt, "z")), want: 0},
		{name: "btrim chars", fn: "btrim", args: a(lit(txt, "xxhixx"), lit(txt, "x")), want: "hi"},
		{name: "trim quotes", fn: "trim", args: a(lit(txt, `"TABLE"`), lit(txt, `"`)), want: "TABLE"},
		{name: "btrim spaces", fn: "btrim", args: a(lit(txt, "  hi  ")), want: "hi"},
		{name: "ltrim", fn: "ltrim", args: a(lit(txt, "  hi  ")), want: "hi  "},
		{name: "rtrim chars", fn: "rtrim", args: a(lit(txt, "hixyx"), lit(txt, "xy")), want: "hi"},
		{name: "replace", fn: "replace", args: a(lit(txt, "abcabc"), lit(txt, "b"), lit(txt, "XY")), want: "aXYcaXYc"},
		{name: "replace empty", fn: "replace", args: a(lit(txt, "abc"), lit(txt, ""), lit(txt, "X")), want: "abc"},
		{name: "left", fn: "left", args: a(lit(txt, "abcde"), lit(i4, 2)), want: "ab"},
		{name: "left negative", fn: "left", args: a(lit(txt, "abcde"), lit(i4, -2)), want: "abc"},
		{name: "right", fn: "right", args: a(lit(txt, "abcde"), lit(i4, 2)), want: "de"},
		{name: "right negative", fn: "right", args: a(lit(txt, "abcde"), lit(i4, -2)), want: "cde"},
		{name: "lpad fill", fn: "lpad", args: a(lit(txt, "hi"), lit(i4, 5), lit(txt, "xy")), want: "xyxhi"},
		{name: "lpad truncates", fn: "lpad", args: a(lit(txt, "hello"), lit(i4, 3)), want: "hel"},
		{name: "rpad", fn: "rpad", args: a(lit(txt, "hi"), lit(i4, 5)), want: "hi   "},
		{name: "repeat", fn: "repeat", args: a(lit(txt, "ab"), lit(i4, 3)), want: "ababab"},
		{name: "repeat negative", fn: "repeat", args: a(lit(txt, "ab"), lit(i4, -1)), want: ""},
		{name: "reverse", fn: "reverse", args: a(lit(txt, "héllo")), want: "olléh"},
		{name: "starts_with", fn: "starts_with", args: a(lit(txt, "alphabet"), lit(txt, "alph")), want: true},
		{name: "split_part", fn: "split_part", args: a(lit(txt, "a,b,c"), lit(txt, ","), lit(i4, 2)), want: "b"},
		{name: "split_part from end", fn: "split_part", args: a(lit(txt, "a,b,c"), lit(txt, ","), lit(i4, -1)), want: "c"},
		{name: "split_part beyond", fn: "split_part", args: a(lit(txt, "a,b,c"), lit(txt, ","), lit(i4, 5)), want: ""},
		{name: "split_part zero", fn: "split_part", args: a(lit(txt, "a,b,c"), lit(txt, ","), lit(i4, 0)), code: "22023"},
		{name: "concat operator", fn: "||", args: a(lit(txt, "a"), lit(txt, "b")), want: "ab"},
		{name: "concat operator null", fn: "||", args: a(lit(txt, "a"), lit(txt, nil)), want: nil},
		{name: "concat operator with int", fn: "||", args: a(textLit("n"), lit(i4, 1)), want: "n1"},
		{name: "concat skips nulls", fn: "concat", args: a(lit(txt, "a"), lit(txt, nil), lit(txt, "b")), want: "ab", nonStrict: true},
		{name: "concat any types", fn: "concat", args: a(lit(txt, "a"), lit(i4, 1), lit(bln, true)), want: "a1true", nonStrict: true},
		{name: "concat_ws", fn: "concat_ws", args: a(lit(txt, ","), lit(txt, "a"), lit(txt, nil), lit(txt, "b")), want: "a,b", nonStrict: true},
		{name: "md5", fn: "md5", args: a(lit(txt, "abc")), want: "900150983cd24fb0d6963f7d28e17f72"},
		{name: "initcap", fn: "initcap", args: a(lit(txt, "hello wORLD")), want: "Hello World"},
		{name: "ascii", fn: "ascii", args: a(lit(txt, "A")), want: 65},
		{name: "chr", fn: "chr", args: a(lit(i4, 233)), want: "é"},
		{name: "chr zero", fn: "chr", args: a(lit(i4, 0)), code: "54000"},
	})
}

func TestVectorFunctions(t *testing.T) {
	v := func(xs ...float32) *expr.Const { return lit(vec, xs) }
	v3 := func(xs ...float32) *expr.Const { return lit(pgtype.VectorOf(3), xs) }
	runCases(t, []fcase{
		{name: "l2", fn: "<->", args: a(v(1, 2, 3), v(4, 5, 6)), want: math.Sqrt(27)},
		{name: "l2 fixed", fn: "l2_distance", args: a(v3(1, 2, 3), v3(4, 5, 6)), want: math.Sqrt(27)},
		{name: "l2 float32 sums", fn: "<->", args: a(v(0.1), v(0.3)), want: l2f32(0.1, 0.3)},
		{name: "l2 dims", fn: "<->", args: a(v(1, 2, 3), v(1, 2)), code: "22000"},
		{name: "cosine", fn: "<=>", args: a(v(1, 0), v(0, 1)), want: 1.0},
		{name: "cosine same", fn: "cosine_distance", args: a(v(1, 2), v(2, 4)), want: 0.0},
		{name: "cosine zero vector", fn: "<=>", args: a(v(0, 0), v(1, 1)), want: math.NaN()},
		{name: "negative inner product", fn: "<#>", args: a(v(1, 2, 3), v(4, 5, 6)), want: -32.0},
		{name: "inner product", fn: "inner_product", args: a(v(1, 2, 3), v(4, 5, 6)), want: 32.0},
		{name: "l1", fn: "<+>", args: a(v(1, 2, 3), v(4, 6, 8)), want: 12.0},
		{name: "l1 function", fn: "l1_distance", args: a(v(1, 2, 3), v(4, 6, 8)), want: 12.0},
		{name: "dims", fn: "vector_dims", args: a(v(1, 2, 3)), want: 3},
		{name: "dims fixed", fn: "vector_dims", args: a(v3(1, 2, 3)), want: 3},
		{name: "norm", fn: "vector_norm", args: a(v(3, 4)), want: 5.0},
		{name: "normalize", fn: "l2_normalize", args: a(v(3, 4)), want: []float32{0.6, 0.8}},
		{name: "normalize zero", fn: "l2_normalize", args: a(v(0, 0)), want: []float32{0, 0}},
		{name: "add", fn: "+", args: a(v(1, 2), v(3, 4)), want: []float32{4, 6}},
		{name: "sub", fn: "-", args: a(v(1, 2), v(3, 4)), want: []float32{-2, -2}},
		{name: "mul", fn: "*", args: a(v(1, 2), v(3, 4)), want: []float32{3, 8}},
		{name: "add dims", fn: "+", args: a(v(1, 2), v(3)), code: "22000"},
		{name: "mul overflow", fn: "*", args: a(v(3e38), v(10)), code: "22003"},
	})
}

func TestDateTime(t *testing.T) {
	// 2024-07-02 10:30:15.123456 UTC.
	const us = int64(1719916215123456)
	day := us / 86400000000
	runCases(t, []fcase{
		{name: "now", fn: "now", want: us},
		{name: "current_date", fn: "current_date", want: day},
		{name: "date_trunc month", fn: "date_trunc", args: a(lit(txt, "month"), lit(ts, us)), want: int64(1719792000000000)},
		{name: "date_trunc hour tz", fn: "date_trunc", args: a(lit(txt, "hour"), lit(tstz, us)), want: int64(1719914400000000)},
		{name: "date_trunc week", fn: "date_trunc", args: a(lit(txt, "week"), lit(ts, us)), want: int64(1719792000000000)},
		{name: "date_trunc bad unit", fn: "date_trunc", args: a(lit(txt, "fortnight"), lit(ts, us)), code: "22023"},
		{name: "date_part year", fn: "date_part", args: a(lit(txt, "year"), lit(ts, us)), want: 2024.0},
		{name: "date_part second", fn: "date_part", args: a(lit(txt, "second"), lit(ts, us)), want: 15.123456},
		{name: "date_part dow", fn: "date_part", args: a(lit(txt, "dow"), lit(tstz, us)), want: 2.0},
		{name: "date_part doy of date", fn: "date_part", args: a(lit(txt, "doy"), lit(date, day)), want: 184.0},
		{name: "extract epoch", fn: "extract", args: a(lit(txt, "epoch"), lit(tstz, us)), want: "1719916215.123456"},
		{name: "extract quarter", fn: "extract", args: a(lit(txt, "quarter"), lit(ts, us)), want: "3"},
	})
}

// l2f32 is pgvector's one-dimensional L2 distance: the difference and its
// square in float32, the square root in float64.
func l2f32(x, y float32) float64 {
	d := x - y
	return math.Sqrt(float64(d * d))
}
