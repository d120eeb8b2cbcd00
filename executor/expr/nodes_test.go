package expr_test

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

func TestThreeValuedLogic(t *testing.T) {
	env := newEnv(t)
	// All nine combinations of TRUE, FALSE and NULL.
	av := []any{true, true, true, false, false, false, nil, nil, nil}
	bv := []any{true, false, nil, true, false, nil, true, false, nil}
	rec := batch(env.Mem, []pgtype.Type{bln, bln}, av, bv)
	defer rec.Release()
	x, y := col(0, bln), col(1, bln)
	cases := []struct {
		e    expr.Expr
		want []any
	}{
		{&expr.BoolOp{Args: []expr.Expr{x, y}}, []any{true, false, nil, false, false, false, nil, false, nil}},
		{&expr.BoolOp{Or: true, Args: []expr.Expr{x, y}}, []any{true, true, true, true, false, nil, true, nil, nil}},
		{&expr.Not{Arg: x}, []any{false, false, false, true, true, true, nil, nil, nil}},
		{&expr.IsNull{Arg: x}, []any{false, false, false, false, false, false, true, true, true}},
		{&expr.IsNull{Arg: y, Not: true}, []any{true, true, false, true, true, false, true, true, false}},
		{&expr.IsDistinct{L: x, R: y}, []any{false, true, true, true, false, true, true, true, false}},
		{&expr.IsDistinct{L: x, R: y, Not: true}, []any{true, false, false, false, true, false, false, false, true}},
		{&expr.BoolOp{Args: []expr.Expr{x, lit(bln, true), y}}, []any{true, false, nil, false, false, false, nil, false, nil}},
		{&expr.BoolOp{Or: true, Args: []expr.Expr{x, lit(bln, nil)}}, []any{true, true, true, nil, nil, nil, nil, nil, nil}},
	}
	for _, c := range cases {
		got, code := evalOn(t, env, c.e, rec)
		if code != "" || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s = %v (%s); want %v", c.e, got, code, c.want)
		}
	}
}

func TestLazyEvaluation(t *testing.T) {
	env := newEnv(t)
	rec := batch(env.Mem, []pgtype.Type{i4}, []any{0, 5, nil, 20})
	defer rec.Release()
	x := col(0, i4)
	ten := lit(i4, 10)
	div := call(t, "/", ten, x)
	cases := []struct {
		name string
		e    expr.Expr
		want []any
	}{
		{"CASE guards division", &expr.Case{
			Whens: []expr.When{{Cond: call(t, "<>", x, lit(i4, 0)), Result: div}},
			Else:  lit(i4, -1), T: i4,
		}, []any{-1, 2, -1, 0}},
		{"CASE without ELSE", &expr.Case{
			Whens: []expr.When{{Cond: call(t, ">", x, lit(i4, 4)), Result: lit(txt, "big")}},
			T:     txt,
		}, []any{nil, "big", nil, "big"}},
		{"AND short-circuits", &expr.BoolOp{Args: []expr.Expr{call(t, "<>", x, lit(i4, 0)), call(t, ">", div, lit(i4, 1))}},
			[]any{false, true, nil, false}},
		{"OR short-circuits", &expr.BoolOp{Or: true, Args: []expr.Expr{call(t, "=", x, lit(i4, 0)), call(t, ">", div, lit(i4, 1))}},
			[]any{true, true, nil, false}},
		{"COALESCE is lazy", &expr.Coalesce{Args: []expr.Expr{
			&expr.Case{Whens: []expr.When{{Cond: call(t, "=", x, lit(i4, 0)), Result: lit(i4, 7)}}, T: i4}, div,
		}, T: i4}, []any{7, 2, nil, 0}},
		{"division by zero under NULL", call(t, "/", col(0, i4), &expr.Case{
			Whens: []expr.When{{Cond: &expr.IsNull{Arg: x}, Result: lit(i4, 0)}}, Else: lit(i4, 1), T: i4,
		}), []any{0, 5, nil, 20}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, code := evalOn(t, env, c.e, rec)
			if code != "" {
				t.Fatalf("%s: error %s", c.e, code)
			}
			for i := range c.want {
				if !equalValue(got[i], c.want[i]) {
					t.Fatalf("%s = %v; want %v", c.e, got, c.want)
				}
			}
		})
	}
	// The error does surface for a non-null row.
	if _, code := evalOn(t, env, div, rec); code != sqlstate.DivisionByZero {
		t.Errorf("10 / x over a zero = %s; want 22012", code)
	}
}

func TestInList(t *testing.T) {
	env := newEnv(t)
	rec := batch(env.Mem, []pgtype.Type{i4}, []any{1, 2, nil})
	defer rec.Release()
	x := col(0, i4)
	one, two, three, null := lit(i4, 1), lit(i4, 2), lit(i4, 3), lit(i4, nil)
	cases := []struct {
		e    *expr.In
		want []any
	}{
		{&expr.In{Arg: x, List: []expr.Expr{one, three}}, []any{true, false, nil}},
		{&expr.In{Arg: x, List: []expr.Expr{one, null}}, []any{true, nil, nil}},
		{&expr.In{Arg: x, List: []expr.Expr{one, three}, Not: true}, []any{false, true, nil}},
		{&expr.In{Arg: x, List: []expr.Expr{one, null}, Not: true}, []any{false, nil, nil}},
		{&expr.In{Arg: x, List: []expr.Expr{two, x}}, []any{true, true, nil}},
	}
	for _, c := range cases {
		got, code := evalOn(t, env, c.e, rec)
		if code != "" || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s = %v (%s); want %v", c.e, got, code, c.want)
		}
	}
}

func TestLike(t *testing.T) {
	env := newEnv(t)
	cases := []struct {
		s, pat string
		esc    rune
		ilike  bool
		want   any
		code   sqlstate.Code
	}{
		{"abc", "a%", '\\', false, true, ""},
		{"abc", "%c", '\\', false, true, ""},
		{"abc", "%b%", '\\', false, true, ""},
		{"abc", "_b_", '\\', false, true, ""},
		{"abc", "__", '\\', false, false, ""},
		{"abc", "abc", '\\', false, true, ""},
		{"abc", "ABC", '\\', false, false, ""},
		{"abc", "ABC", '\\', true, true, ""},
		{"ÀBC", "àb%", '\\', true, true, ""},
		{"héllo", "h_llo", '\\', false, true, ""},
		{"100%", "100\\%", '\\', false, true, ""},
		{"1000", "100\\%", '\\', false, false, ""},
		{"a_c", "a\\_c", '\\', false, true, ""},
		{"abc", "a\\_c", '\\', false, false, ""},
		{"a%c", "a#%c", '#', false, true, ""},
		{"a\\c", "a\\c", 0, false, true, ""},
		{"abc", "ab\\", '\\', false, nil, "22025"},
		{"", "%", '\\', false, true, ""},
		{"", "_", '\\', false, false, ""},
		{"abcabc", "%bc%bc", '\\', false, true, ""},
		{"abcabd", "%bc%bc", '\\', false, false, ""},
		{"xaybzc", "%a%b%c", '\\', false, true, ""},
		{"aaa", "%a%a%a%a", '\\', false, false, ""},
		{"mississippi", "%iss%ppi", '\\', false, true, ""},
		{"ab", "a%%b", '\\', false, true, ""},
	}
	for _, c := range cases {
		e := &expr.Like{Arg: lit(txt, c.s), Pattern: lit(txt, c.pat), Escape: c.esc, ILike: c.ilike}
		got, code := eval1(t, env, e)
		if code != c.code || code == "" && got != c.want {
			t.Errorf("%q LIKE %q (escape %q, ilike %v) = %v (%s); want %v (%s)", c.s, c.pat, c.esc, c.ilike, got, code, c.want, c.code)
		}
		// NOT LIKE negates.
		if c.code == "" {
			got, _ := eval1(t, env, &expr.Like{Arg: lit(txt, c.s), Pattern: lit(txt, c.pat), Escape: c.esc, ILike: c.ilike, Not: true})
			if got != !c.want.(bool) {
				t.Errorf("%q NOT LIKE %q = %v", c.s, c.pat, got)
			}
		}
	}
	// A column and a NULL.
	rec := batch(env.Mem, []pgtype.Type{txt}, []any{"apple", nil, "banana"})
	defer rec.Release()
	got, _ := evalOn(t, env, &expr.Like{Arg: col(0, txt), Pattern: lit(txt, "%an%"), Escape: '\\'}, rec)
	if !reflect.DeepEqual(got, []any{false, nil, true}) {
		t.Errorf("LIKE over a column = %v", got)
	}
}

func TestCasts(t *testing.T) {
	v3 := pgtype.VectorOf(3)
	f4arr := pgtype.Type{OID: pgtype.OIDFloat4Array, Mod: -1}
	cases := []struct {
		name   string
		arg    *expr.Const
		to     pgtype.Type
		assign bool
		want   any
		code   sqlstate.Code
	}{
		{"int8 to int4", lit(i8, 42), i4, false, 42, ""},
		{"int8 to int4 overflow", lit(i8, int64(1)<<40), i4, false, nil, "22003"},
		{"int4 to int2 overflow", lit(i4, 40000), i2, false, nil, "22003"},
		{"float8 to int4 rounds half even", lit(f8, 2.5), i4, false, 2, ""},
		{"float8 to int4 3.5", lit(f8, 3.5), i4, false, 4, ""},
		{"float8 to int4 -2.5", lit(f8, -2.5), i4, false, -2, ""},
		{"float8 to int4 overflow", lit(f8, 3e9), i4, false, nil, "22003"},
		{"float8 NaN to int8", lit(f8, nanF()), i8, false, nil, "22003"},
		{"numeric to int4 half away", lit(num, "2.5"), i4, false, 3, ""},
		{"numeric to int4 negative", lit(num, "-2.5"), i4, false, -3, ""},
		{"numeric to int2 overflow", lit(num, "40000"), i2, false, nil, "22003"},
		{"int4 to numeric", lit(i4, 7), num, false, "7", ""},
		{"float8 to numeric 15 digits", lit(f8, 0.1), num, false, "0.1", ""},
		{"float4 to numeric 6 digits", lit(f4, 0.1), num, false, "0.1", ""},
		{"numeric to float8", lit(num, "0.1"), f8, false, 0.1, ""},
		{"numeric(5,2) rounds", lit(num, "123.456"), pgtype.NumericOf(5, 2), false, "123.46", ""},
		{"numeric(5,2) overflow", lit(num, "1234.5"), pgtype.NumericOf(5, 2), false, nil, "22003"},
		{"float8 to float4 overflow", lit(f8, 1e300), f4, false, nil, "22003"},
		{"int4 to float8", lit(i4, 3), f8, false, 3.0, ""},
		{"bool to int4", lit(bln, true), i4, false, 1, ""},
		{"int4 to bool", lit(i4, 0), bln, false, false, ""},
		{"bool to text", lit(bln, true), txt, false, "true", ""},
		{"int to text", lit(i4, -12), txt, false, "-12", ""},
		{"float to text", lit(f8, 1.5), txt, false, "1.5", ""},
		{"text to int", lit(txt, " 42 "), i4, false, 42, ""},
		{"text to int bad", lit(txt, "abc"), i4, false, nil, "22P02"},
		{"unknown to numeric", textLit("1.25"), num, false, "1.25", ""},
		{"text to bool", textLit("yes"), bln, false, true, ""},
		{"varchar explicit truncates", lit(txt, "abcdef"), pgtype.VarcharOf(3), false, "abc", ""},
		{"varchar explicit characters", lit(txt, "héllo"), pgtype.VarcharOf(2), false, "hé", ""},
		{"varchar assignment fails", lit(txt, "abcdef"), pgtype.VarcharOf(3), true, nil, "22001"},
		{"varchar assignment trailing spaces", lit(txt, "ab   "), pgtype.VarcharOf(2), true, "ab", ""},
		{"varchar fits", lit(txt, "ab"), pgtype.VarcharOf(3), true, "ab", ""},
		{"char pads", lit(txt, "ab"), pgtype.Type{OID: pgtype.OIDBpchar, Mod: 4 + 4}, false, "ab  ", ""},
		{"char to text trims", lit(pgtype.Type{OID: pgtype.OIDBpchar, Mod: 8}, "ab  "), txt, false, "ab", ""},
		{"text to vector", textLit("[1,2,3]"), vec, false, []float32{1, 2, 3}, ""},
		{"text to vector(3)", textLit("[1,2,3]"), v3, false, []float32{1, 2, 3}, ""},
		{"text to vector(3) wrong dims", textLit("[1,2]"), v3, false, nil, "22000"},
		{"vector to vector(3) wrong dims", lit(vec, []float32{1, 2}), v3, true, nil, "22000"},
		{"vector to vector(3)", lit(vec, []float32{1, 2, 3}), v3, true, []float32{1, 2, 3}, ""},
		{"vector(3) to vector", lit(v3, []float32{1, 2, 3}), vec, false, []float32{1, 2, 3}, ""},
		{"real[] to vector", retype(lit(pgtype.Vector, []float32{1, 2}), f4arr), vec, false, []float32{1, 2}, ""},
		{"vector to text", lit(vec, []float32{1.5, 2}), txt, false, "[1.5,2]", ""},
		{"date to timestamp", lit(date, 1), ts, false, int64(86400000000), ""},
		{"timestamp to date", lit(ts, int64(86400000000+5)), date, false, 1, ""},
		{"timestamp to date before 1970", lit(ts, int64(-1)), date, false, -1, ""},
		{"NULL casts", lit(i4, nil), txt, false, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := newEnv(t)
			e := &expr.Cast{Arg: c.arg, To: c.to, Assign: c.assign}
			got, code := eval1(t, env, e)
			if code != c.code {
				t.Fatalf("%s = %v, error %q; want %v, error %q", e, got, code, c.want, c.code)
			}
			if code == "" && !equalValue(got, c.want) {
				t.Fatalf("%s = %#v; want %#v", e, got, c.want)
			}
		})
	}
}

func TestTimeZoneCasts(t *testing.T) {
	env := newEnv(t)
	loc, err := timeLoad("Europe/Paris")
	if err != nil {
		t.Skip(err)
	}
	env.Text.TimeZone = loc
	// 2024-07-02 00:00 in Paris is 2024-07-01 22:00 UTC.
	const day = int64(19906) // 2024-07-02
	got, code := eval1(t, env, &expr.Cast{Arg: lit(date, day), To: tstz})
	want := day*86400000000 - 2*3600000000
	if code != "" || got != want {
		t.Errorf("date to timestamptz in Paris = %v (%s); want %d", got, code, want)
	}
	back, _ := eval1(t, env, &expr.Cast{Arg: lit(tstz, want), To: ts})
	if back != day*86400000000 {
		t.Errorf("timestamptz to timestamp in Paris = %v; want %d", back, day*86400000000)
	}
	d, _ := eval1(t, env, &expr.Cast{Arg: lit(tstz, want), To: date})
	if d != day {
		t.Errorf("timestamptz to date in Paris = %v; want %d", d, day)
	}
}

func TestStrings_explain(t *testing.T) {
	e := &expr.BoolOp{Args: []expr.Expr{
		call(t, ">", col(0, i4), lit(i4, 3)),
		&expr.Like{Arg: col(1, txt), Pattern: lit(txt, "a%")},
	}}
	s := e.String()
	for _, want := range []string{"c0 > 3", "LIKE", "AND"} {
		if !strings.Contains(s, want) {
			t.Errorf("String() = %q; want it to contain %q", s, want)
		}
	}
}

// retype gives a constant's value another PostgreSQL type (real[] values
// are list<float32>, like vectors).
func retype(c *expr.Const, t pgtype.Type) *expr.Const { return &expr.Const{Value: c.Value, T: t} }

func nanF() float64 { return math.NaN() }

func timeLoad(name string) (*time.Location, error) { return time.LoadLocation(name) }
