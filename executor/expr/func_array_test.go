package expr_test

import (
	"context"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

var (
	i4a  = pgtype.Type{OID: pgtype.OIDInt4Array, Mod: -1}
	i8a  = pgtype.Type{OID: pgtype.OIDInt8Array, Mod: -1}
	txta = pgtype.Type{OID: pgtype.OIDTextArray, Mod: -1}
	i2v  = pgtype.Type{OID: pgtype.OIDInt2Vector, Mod: -1}
)

// arr is an array constant parsed from its text form ("" for NULL).
func arr(t pgtype.Type, text string) *expr.Const {
	if text == "" {
		return &expr.Const{T: t}
	}
	v, err := pgtype.ParseText(t, text, nil)
	if err != nil {
		panic(err)
	}
	return &expr.Const{Value: v, T: t}
}

func TestArrayFunctions(t *testing.T) {
	runCases(t, []fcase{
		{name: "eq", fn: "=", args: a(arr(i4a, "{1,2}"), arr(i4a, "{1,2}")), want: true},
		{name: "eq null elements", fn: "=", args: a(arr(i4a, "{1,NULL}"), arr(i4a, "{1,NULL}")), want: true},
		{name: "ne", fn: "<>", args: a(arr(i4a, "{1,2}"), arr(i4a, "{1}")), want: true},
		{name: "lt shorter", fn: "<", args: a(arr(i4a, "{1,2}"), arr(i4a, "{1,2,0}")), want: true},
		{name: "gt element", fn: ">", args: a(arr(txta, "{b}"), arr(txta, "{a,z}")), want: true},
		{name: "eq unknown", fn: "=", args: a(arr(i4a, "{1,2}"), textLit("{1,2}")), want: true},
		{name: "eq int4 int8", fn: "=", args: a(arr(i4a, "{1,2}"), arr(i8a, "{1,2}")), want: true},
		{name: "contains", fn: "@>", args: a(arr(i4a, "{1,2,3}"), arr(i4a, "{3,1}")), want: true},
		{name: "contains null", fn: "@>", args: a(arr(i4a, "{1,NULL}"), arr(i4a, "{NULL}")), want: false},
		{name: "contained", fn: "<@", args: a(arr(i4a, "{1}"), arr(i4a, "{2}")), want: false},
		{name: "overlap", fn: "&&", args: a(arr(txta, "{a,b}"), arr(txta, "{c,b}")), want: true},
		{name: "array_length", fn: "array_length", args: a(arr(i4a, "{1,2,3}"), lit(i4, 1)), want: int64(3)},
		{name: "array_length empty", fn: "array_length", args: a(arr(i4a, "{}"), lit(i4, 1)), want: nil, nonStrict: true},
		{name: "array_upper int2vector", fn: "array_upper", args: a(arr(i2v, "1 2 3"), lit(i4, 1)), want: int64(2)},
		{name: "array_lower int2vector", fn: "array_lower", args: a(arr(i2v, "1 2 3"), lit(i4, 1)), want: int64(0)},
		{name: "cardinality", fn: "cardinality", args: a(arr(txta, "{a,NULL}")), want: int64(2)},
		{name: "array_to_string", fn: "array_to_string", args: a(arr(i4a, "{1,NULL,3}"), lit(txt, "-")), want: "1-3"},
		{name: "array_to_string null", fn: "array_to_string", args: a(arr(i4a, "{1,NULL,3}"), lit(txt, "-"), lit(txt, "?")), want: "1-?-3", nonStrict: true},
		{name: "array_position", fn: "array_position", args: a(arr(txta, "{a,b,b}"), lit(txt, "b")), want: int64(2), nonStrict: true},
		{name: "array_dims", fn: "array_dims", args: a(arr(i4a, "{5,6}")), want: "[1:2]"},
	})
}

// evalText evaluates e on rec and returns its values as PostgreSQL text
// (nil for NULL).
func evalText(t *testing.T, env *expr.Env, e expr.Expr, rec arrow.Record) []any {
	t.Helper()
	v, err := (&expr.Cast{Arg: e, To: pgtype.Text}).Eval(context.Background(), env, rec)
	if err != nil {
		t.Fatalf("%s: %v", e, err)
	}
	defer v.Release()
	out := make([]any, v.Len())
	for i := range out {
		if v.IsValid(i) {
			out[i] = v.(*array.String).Value(i)
		}
	}
	return out
}

func TestArrayResults(t *testing.T) {
	cases := []struct {
		name string
		e    func(t *testing.T) expr.Expr
		want any
	}{
		{"cat", func(t *testing.T) expr.Expr { return call(t, "array_cat", arr(i4a, "{1,2}"), arr(i4a, "{3}")) }, "{1,2,3}"},
		{"cat null", func(t *testing.T) expr.Expr { return call(t, "array_cat", arr(i4a, ""), arr(i4a, "{3}")) }, "{3}"},
		{"append", func(t *testing.T) expr.Expr { return call(t, "array_append", arr(txta, "{a}"), lit(txt, "b c")) }, `{a,"b c"}`},
		{"prepend", func(t *testing.T) expr.Expr { return call(t, "array_prepend", lit(i4, 0), arr(i4a, "{1}")) }, "{0,1}"},
		{"remove", func(t *testing.T) expr.Expr { return call(t, "array_remove", arr(i4a, "{1,2,1}"), lit(i4, 1)) }, "{2}"},
		{"concat op", func(t *testing.T) expr.Expr { return call(t, "||", arr(i4a, "{1}"), lit(i4, 2)) }, "{1,2}"},
		{"string_to_array", func(t *testing.T) expr.Expr {
			return call(t, "string_to_array", lit(txt, "a,,b"), lit(txt, ","), lit(txt, ""))
		}, "{a,NULL,b}"},
		{"ctor", func(t *testing.T) expr.Expr {
			return &expr.ArrayExpr{Elems: []expr.Expr{lit(i8, 1), lit(i8, nil)}, T: i8a}
		}, "{1,NULL}"},
		{"subscript", func(t *testing.T) expr.Expr {
			return &expr.Subscript{Arr: arr(txta, "{a,b}"), Index: lit(i4, 2)}
		}, "b"},
		{"subscript out of range", func(t *testing.T) expr.Expr {
			return &expr.Subscript{Arr: arr(txta, "{a,b}"), Index: lit(i4, 3)}
		}, nil},
		{"subscript int2vector", func(t *testing.T) expr.Expr {
			return &expr.Subscript{Arr: arr(i2v, "7 8"), Index: lit(i4, 0)}
		}, "7"},
		{"slice", func(t *testing.T) expr.Expr {
			return &expr.Slice{Arr: arr(i4a, "{1,2,3,4}"), Lo: lit(i4, 2), Hi: lit(i4, nil)}
		}, "{2,3,4}"},
		{"slice empty", func(t *testing.T) expr.Expr {
			return &expr.Slice{Arr: arr(i4a, "{1,2,3,4}"), Lo: lit(i4, 3), Hi: lit(i4, 2)}
		}, "{}"},
		{"cast int8[] to int4[]", func(t *testing.T) expr.Expr {
			return &expr.Cast{Arg: arr(i8a, "{1,NULL}"), To: i4a}
		}, "{1,NULL}"},
		{"cast text to int4[]", func(t *testing.T) expr.Expr {
			return &expr.Cast{Arg: lit(txt, "{3, 4}"), To: i4a}
		}, "{3,4}"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := newEnv(t)
			rec := oneRow()
			defer rec.Release()
			got := evalText(t, env, c.e(t), rec)
			if !equalValue(got[0], c.want) {
				t.Errorf("got %#v; want %#v", got[0], c.want)
			}
		})
	}
}

func TestArrayCastErrors(t *testing.T) {
	env := newEnv(t)
	rec := oneRow()
	defer rec.Release()
	_, err := (&expr.Cast{Arg: lit(txt, "{1,x}"), To: i4a}).Eval(context.Background(), env, rec)
	if sqlstate.CodeOf(err) != sqlstate.InvalidTextRepresentation {
		t.Fatalf("error %v", err)
	}
	_, err = (&expr.Cast{Arg: arr(i8a, "{99999999999}"), To: i4a}).Eval(context.Background(), env, rec)
	if sqlstate.CodeOf(err) != sqlstate.NumericValueOutOfRange {
		t.Fatalf("error %v", err)
	}
	if !expr.ImplicitCast(i4a, i8a) || expr.ImplicitCast(i8a, i4a) || !expr.AssignCast(i8a, i4a) {
		t.Fatal("array cast contexts do not follow the element casts")
	}
	if !expr.ImplicitCast(i2v, pgtype.Type{OID: pgtype.OIDInt2Array, Mod: -1}) {
		t.Fatal("int2vector is not implicitly int2[]")
	}
}

// TestArrayQuantified checks x op ANY/ALL (array) over columns, with
// PostgreSQL's NULL rules.
func TestArrayQuantified(t *testing.T) {
	env := newEnv(t)
	xs := lit(i4, 1)
	rows := []struct {
		arr      string
		any, all any
	}{
		{"{1,2}", true, false},
		{"{2,3}", false, false},
		{"{2,NULL}", nil, false},
		{"{1,NULL}", true, nil},
		{"{}", false, true},
		{"", nil, nil},
	}
	consts := make([]*expr.Const, len(rows))
	for i, r := range rows {
		consts[i] = arr(i4a, r.arr)
	}
	var arrs []arrow.Array
	for _, c := range consts {
		a := columnOf(env.Mem, c)
		sl := array.NewSlice(a, 0, 1)
		a.Release()
		arrs = append(arrs, sl)
	}
	col0, err := array.Concatenate(arrs, env.Mem)
	releaseArrays(arrs)
	if err != nil {
		t.Fatal(err)
	}
	defer col0.Release()
	rec := array.NewRecord(arrow.NewSchema([]arrow.Field{{Name: "a", Type: col0.DataType(), Nullable: true}}, nil), []arrow.Array{col0}, int64(len(rows)))
	defer rec.Release()
	for _, all := range []bool{false, true} {
		test := call(t, "=", col(0, i4), col(1, i4))
		q := &expr.ArrayQuantified{Arg: xs, Arr: col(0, i4a), Test: test, All: all}
		got, code := evalOn(t, env, q, rec)
		if code != "" {
			t.Fatalf("error %s", code)
		}
		for i, r := range rows {
			want := r.any
			if all {
				want = r.all
			}
			if !equalValue(got[i], want) {
				t.Errorf("1 = %s(%q) = %v; want %v", map[bool]string{false: "ANY", true: "ALL"}[all], r.arr, got[i], want)
			}
		}
	}
}

func releaseArrays(as []arrow.Array) {
	for _, a := range as {
		a.Release()
	}
}

// TestArrayQuantifiedConstArray checks x op ANY/ALL over one array (a
// constant or parameter) and a column of x.
func TestArrayQuantifiedConstArray(t *testing.T) {
	env := newEnv(t)
	rec := batch(env.Mem, []pgtype.Type{i4}, []any{1, 2, nil, 5})
	defer rec.Release()
	for _, c := range []struct {
		arr  string
		all  bool
		want []any
	}{
		{"{1,2}", false, []any{true, true, nil, false}},
		{"{1,NULL}", false, []any{true, nil, nil, nil}},
		{"{1,1}", true, []any{true, false, nil, false}},
		{"{}", false, []any{false, false, false, false}},
		{"{}", true, []any{true, true, true, true}},
		{"", false, []any{nil, nil, nil, nil}},
	} {
		test := call(t, "=", col(0, i4), col(1, i4))
		q := &expr.ArrayQuantified{Arg: col(0, i4), Arr: arr(i4a, c.arr), Test: test, All: c.all}
		got, code := evalOn(t, env, q, rec)
		if code != "" {
			t.Fatalf("%s: error %s", c.arr, code)
		}
		for i := range c.want {
			if !equalValue(got[i], c.want[i]) {
				t.Errorf("x = %s(%q) row %d = %v; want %v", map[bool]string{false: "ANY", true: "ALL"}[c.all], c.arr, i, got[i], c.want[i])
			}
		}
	}
}
