package expr_test

import (
	"testing"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

var unk = pgtype.Unknown

// TestResolve pins overload resolution to PostgreSQL 15 with pgvector
// (pg-compat.md §3.3 and §5.5).
func TestResolve(t *testing.T) {
	ts := func(x ...pgtype.Type) []pgtype.Type { return x }
	cases := []struct {
		name     string
		fn       string
		args     []pgtype.Type
		wantArgs []pgtype.Type
		result   pgtype.Type
		code     sqlstate.Code
		msg      string
	}{
		{name: "$1 + 1", fn: "+", args: ts(unk, i4), wantArgs: ts(i4, i4), result: i4},
		{name: "$1 + 1.5", fn: "+", args: ts(unk, num), wantArgs: ts(num, num), result: num},
		{name: "$1 || 'x'", fn: "||", args: ts(unk, unk), wantArgs: ts(txt, txt), result: txt},
		{name: "$1 = $2", fn: "=", args: ts(unk, unk), wantArgs: ts(txt, txt), result: bln},
		{name: "$1 + $2", fn: "+", args: ts(unk, unk), code: "42725", msg: "operator is not unique: unknown + unknown"},
		{name: "-$1", fn: "-", args: ts(unk), code: "42725", msg: "operator is not unique: - unknown"},
		{name: "id = $1", fn: "=", args: ts(i8, unk), wantArgs: ts(i8, i8), result: bln},
		{name: "$1 = id", fn: "=", args: ts(unk, i8), wantArgs: ts(i8, i8), result: bln},
		{name: "price > $1", fn: ">", args: ts(pgtype.NumericOf(10, 2), unk), wantArgs: ts(num, num), result: bln},
		{name: "created_at > $1", fn: ">", args: ts(tstz, unk), wantArgs: ts(tstz, tstz), result: bln},
		{name: "name LIKE-ish text op", fn: "~", args: ts(txt, unk), wantArgs: ts(txt, txt), result: bln},
		{name: "embedding <-> $1", fn: "<->", args: ts(pgtype.VectorOf(3), unk), wantArgs: ts(vec, vec), result: f8},
		{name: "$1 <-> embedding", fn: "<->", args: ts(unk, pgtype.VectorOf(3)), wantArgs: ts(vec, vec), result: f8},
		{name: "l2_distance(embedding, $1)", fn: "l2_distance", args: ts(pgtype.VectorOf(3), unk), wantArgs: ts(vec, vec), result: f8},
		{name: "vector_dims($1)", fn: "vector_dims", args: ts(unk), code: "42725", msg: "function vector_dims(unknown) is not unique"},
		{name: "1 - v", fn: "-", args: ts(i4, pgtype.VectorOf(3)), code: "42883", msg: "operator does not exist: integer - vector"},
		{name: "true = 1", fn: "=", args: ts(bln, i4), code: "42883", msg: "operator does not exist: boolean = integer"},
		{name: "abs($1)", fn: "abs", args: ts(unk), wantArgs: ts(f8), result: f8},
		{name: "upper($1)", fn: "upper", args: ts(unk), wantArgs: ts(txt), result: txt},
		{name: "unknown function", fn: "foo", args: ts(i4), code: "42883", msg: "function foo(integer) does not exist"},
		{name: "int4 + int8", fn: "+", args: ts(i4, i8), wantArgs: ts(i8, i8), result: i8},
		{name: "int2 + int2", fn: "+", args: ts(i2, i2), wantArgs: ts(i2, i2), result: i2},
		{name: "int2 + int4", fn: "+", args: ts(i2, i4), wantArgs: ts(i4, i4), result: i4},
		{name: "float8 + numeric", fn: "+", args: ts(f8, num), wantArgs: ts(f8, f8), result: f8},
		{name: "float4 + int4", fn: "+", args: ts(f4, i4), wantArgs: ts(f4, f8), result: f8},
		{name: "float4 + numeric", fn: "+", args: ts(f4, num), wantArgs: ts(f4, f8), result: f8},
		{name: "float4 + float4", fn: "+", args: ts(f4, f4), wantArgs: ts(f4, f4), result: f4},
		{name: "int4 / numeric", fn: "/", args: ts(i4, num), wantArgs: ts(num, num), result: num},
		{name: "varchar = text", fn: "=", args: ts(pgtype.VarcharOf(10), unk), wantArgs: ts(txt, txt), result: bln},
		{name: "varchar || varchar", fn: "||", args: ts(pgtype.Varchar, pgtype.Varchar), wantArgs: ts(txt, txt), result: txt},
		{name: "sign(int4)", fn: "sign", args: ts(i4), wantArgs: ts(f8), result: f8},
		{name: "round(numeric, int)", fn: "round", args: ts(num, i4), wantArgs: ts(num, i4), result: num},
		{name: "round(float8, int)", fn: "round", args: ts(f8, i4), code: "42883"},
		{name: "date_trunc of date", fn: "date_trunc", args: ts(txt, date), wantArgs: ts(txt, tstz), result: tstz},
		{name: "now() - '1 day'", fn: "-", args: ts(tstz, unk), wantArgs: ts(tstz, tstz), result: pgtype.Interval},
		{name: "substring(text from int for int)", fn: "substring", args: ts(pgtype.Varchar, i4, i4), wantArgs: ts(txt, i4, i4), result: txt},
		{name: "greatest", fn: "greatest", args: ts(i4, i8, unk), wantArgs: ts(i8, i8, i8), result: i8},
		{name: "greatest text", fn: "greatest", args: ts(unk, unk), wantArgs: ts(txt, txt), result: txt},
		{name: "greatest mismatch", fn: "greatest", args: ts(i4, txt), code: "42804"},
		{name: "concat any", fn: "concat", args: ts(i4, bln, unk), wantArgs: ts(txt, txt, txt), result: txt},
		{name: "text || int", fn: "||", args: ts(txt, i4), wantArgs: ts(txt, txt), result: txt},
		{name: "vector + vector", fn: "+", args: ts(pgtype.VectorOf(3), pgtype.VectorOf(3)), wantArgs: ts(vec, vec), result: vec},
		{name: "vector <-> int", fn: "<->", args: ts(vec, i4), code: "42883", msg: "operator does not exist: vector <-> integer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := expr.Resolve(c.fn, c.args)
			if c.code != "" {
				if sqlstate.CodeOf(err) != c.code {
					t.Fatalf("Resolve(%s, %v) = %v, %v; want error %s", c.fn, c.args, f, err, c.code)
				}
				if c.msg != "" && err.Error() != c.msg {
					t.Fatalf("Resolve(%s, %v) error %q; want %q", c.fn, c.args, err.Error(), c.msg)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve(%s, %v): %v", c.fn, c.args, err)
			}
			if len(f.Args) != len(c.wantArgs) {
				t.Fatalf("Resolve(%s, %v) args %v; want %v", c.fn, c.args, f.Args, c.wantArgs)
			}
			for i := range f.Args {
				if f.Args[i].OID != c.wantArgs[i].OID {
					t.Fatalf("Resolve(%s, %v) args %v; want %v", c.fn, c.args, f.Args, c.wantArgs)
				}
			}
			if f.Result.OID != c.result.OID {
				t.Fatalf("Resolve(%s, %v) result %s; want %s", c.fn, c.args, f.Result, c.result)
			}
		})
	}
}

func TestResolveAggregate(t *testing.T) {
	cases := []struct {
		fn     string
		args   []pgtype.Type
		result pgtype.Type
		code   sqlstate.Code
	}{
		{"count", nil, i8, ""},
		{"count", []pgtype.Type{txt}, i8, ""},
		{"sum", []pgtype.Type{i2}, i8, ""},
		{"sum", []pgtype.Type{i4}, i8, ""},
		{"sum", []pgtype.Type{i8}, num, ""},
		{"sum", []pgtype.Type{f4}, f4, ""},
		{"sum", []pgtype.Type{f8}, f8, ""},
		{"sum", []pgtype.Type{pgtype.NumericOf(10, 2)}, num, ""},
		{"sum", []pgtype.Type{pgtype.VectorOf(3)}, vec, ""},
		{"avg", []pgtype.Type{i4}, num, ""},
		{"avg", []pgtype.Type{i8}, num, ""},
		{"avg", []pgtype.Type{f4}, f8, ""},
		{"avg", []pgtype.Type{num}, num, ""},
		{"min", []pgtype.Type{txt}, txt, ""},
		{"max", []pgtype.Type{pgtype.Varchar}, txt, ""},
		{"max", []pgtype.Type{tstz}, tstz, ""},
		{"bool_and", []pgtype.Type{bln}, bln, ""},
		{"every", []pgtype.Type{bln}, bln, ""},
		{"sum", []pgtype.Type{txt}, pgtype.Type{}, "42883"},
		{"sum", []pgtype.Type{unk}, pgtype.Type{}, "42725"},
		{"nosuch", []pgtype.Type{i4}, pgtype.Type{}, "42883"},
	}
	for _, c := range cases {
		a, err := expr.ResolveAggregate(c.fn, c.args)
		if c.code != "" {
			if sqlstate.CodeOf(err) != c.code {
				t.Errorf("ResolveAggregate(%s, %v) = %v, %v; want %s", c.fn, c.args, a, err, c.code)
			}
			continue
		}
		if err != nil || a.Result.OID != c.result.OID {
			t.Errorf("ResolveAggregate(%s, %v) = %v, %v; want result %s", c.fn, c.args, a, err, c.result)
		}
	}
}

func TestCastRules(t *testing.T) {
	cases := []struct {
		from, to                 pgtype.Type
		implicit, assign, anyway bool
	}{
		{i4, i8, true, true, true},
		{i8, i4, false, true, true},
		{i4, num, true, true, true},
		{num, f8, true, true, true},
		{f8, num, false, true, true},
		{f8, i4, false, true, true},
		{i4, txt, false, true, true},
		{txt, i4, false, false, true},
		{unk, i4, true, true, true},
		{pgtype.Varchar, txt, true, true, true},
		{txt, pgtype.VarcharOf(3), true, true, true},
		{bln, i4, false, false, true},
		{i4, bln, false, false, true},
		{bln, i8, false, false, false},
		{date, tstz, true, true, true},
		{tstz, date, false, true, true},
		{vec, pgtype.Type{OID: pgtype.OIDFloat4Array, Mod: -1}, true, true, true},
		{pgtype.Type{OID: pgtype.OIDFloat4Array, Mod: -1}, vec, false, true, true},
		{i4, vec, false, false, false},
		{txt, vec, false, false, true},
		{vec, pgtype.VectorOf(3), true, true, true},
	}
	for _, c := range cases {
		if got := expr.ImplicitCast(c.from, c.to); got != c.implicit {
			t.Errorf("ImplicitCast(%s, %s) = %v; want %v", c.from, c.to, got, c.implicit)
		}
		if got := expr.AssignCast(c.from, c.to); got != c.assign {
			t.Errorf("AssignCast(%s, %s) = %v; want %v", c.from, c.to, got, c.assign)
		}
		if got := expr.CanCast(c.from, c.to); got != c.anyway {
			t.Errorf("CanCast(%s, %s) = %v; want %v", c.from, c.to, got, c.anyway)
		}
	}
}

func TestCommonType(t *testing.T) {
	cases := []struct {
		in   []pgtype.Type
		want pgtype.Type
		code sqlstate.Code
	}{
		{[]pgtype.Type{i4, i8}, i8, ""},
		{[]pgtype.Type{i4, num}, num, ""},
		{[]pgtype.Type{unk, unk}, txt, ""},
		{[]pgtype.Type{unk, i4}, i4, ""},
		{[]pgtype.Type{f8, num, i4}, f8, ""},
		{[]pgtype.Type{txt, pgtype.Varchar}, txt, ""},
		{[]pgtype.Type{date, tstz}, tstz, ""},
		{[]pgtype.Type{i4, txt}, pgtype.Type{}, "42804"},
		{[]pgtype.Type{bln, i4}, pgtype.Type{}, "42804"},
	}
	for _, c := range cases {
		got, err := expr.CommonType("CASE", c.in)
		if c.code != "" {
			if sqlstate.CodeOf(err) != c.code {
				t.Errorf("CommonType(%v) = %v, %v; want %s", c.in, got, err, c.code)
			}
			continue
		}
		if err != nil || got.OID != c.want.OID {
			t.Errorf("CommonType(%v) = %v, %v; want %s", c.in, got, err, c.want)
		}
	}
}
