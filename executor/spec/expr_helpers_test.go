package spec_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/exectest"
	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/spec"
)

var (
	tInt2   = pgtype.Int2
	tInt4   = pgtype.Int4
	tInt8   = pgtype.Int8
	tFloat4 = pgtype.Float4
	tFloat8 = pgtype.Float8
	tNum    = pgtype.NumericOf(10, 2)
	tNumAny = pgtype.Numeric
	tText   = pgtype.Text
	tVarch  = pgtype.VarcharOf(8)
	tBool   = pgtype.Bool
	tTS     = pgtype.Timestamp
	tTSTZ   = pgtype.TimestampTZ
	tDate   = pgtype.Date
	tVec    = pgtype.VectorOf(3)
	tBytea  = pgtype.Bytea
)

// schema is the column types of the test batches, column i of type
// schema[i].
var schema = []pgtype.Type{tInt4, tInt8, tFloat8, tNum, tText, tBool, tTS, tTSTZ, tDate, tVec, tBytea, tInt2, tFloat4, tVarch, tNumAny}

// paramTypes are the types of $1…$n in the test Env.
var paramTypes = []pgtype.Type{tInt4, tText, tFloat8, tNum, tVec, tTSTZ, tBool, tInt8}

// checkedMem returns a checked allocator that must be back at zero when
// the test ends.
func checkedMem(t testing.TB) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// lit is a constant of type t (nil: NULL), on the Go heap.
func lit(t pgtype.Type, v any) *expr.Const {
	if v == nil {
		return &expr.Const{T: t}
	}
	a := exectest.Array(memory.NewGoAllocator(), t, []any{v})
	defer a.Release()
	sc, err := scalar.GetScalar(a, 0)
	if err != nil {
		panic(err)
	}
	return &expr.Const{Value: sc, T: t}
}

func col(i int) *expr.Column {
	return &expr.Column{Index: i, T: schema[i], Name: fmt.Sprintf("c%d", i)}
}

// castTo casts x to t unless it already has t's OID.
func castTo(x expr.Expr, t pgtype.Type) expr.Expr {
	if x.Type().OID == t.OID {
		return x
	}
	return &expr.Cast{Arg: x, To: t}
}

// tryCall resolves name for the arguments and casts them as the planner
// does.
func tryCall(name string, args ...expr.Expr) (expr.Expr, error) {
	types := make([]pgtype.Type, len(args))
	for i, a := range args {
		types[i] = a.Type()
	}
	f, err := expr.Resolve(name, types)
	if err != nil {
		return nil, err
	}
	cast := make([]expr.Expr, len(args))
	for i, a := range args {
		cast[i] = castTo(a, f.Args[i])
	}
	return &expr.Call{Func: f, Args: cast}, nil
}

func call(t testing.TB, name string, args ...expr.Expr) expr.Expr {
	t.Helper()
	e, err := tryCall(name, args...)
	if err != nil {
		t.Fatalf("Resolve(%s): %v", name, err)
	}
	return e
}

// randValue returns a random Go value of type t (never nil).
func randValue(r *rand.Rand, t pgtype.Type) any {
	switch t.OID {
	case pgtype.OIDBool:
		return r.IntN(2) == 0
	case pgtype.OIDInt2, pgtype.OIDInt4:
		return int64(r.IntN(201) - 100)
	case pgtype.OIDInt8:
		if r.IntN(8) == 0 {
			return int64(math.MaxInt64 - r.IntN(3))
		}
		return int64(r.IntN(20001) - 10000)
	case pgtype.OIDFloat4, pgtype.OIDFloat8:
		switch r.IntN(10) {
		case 0:
			return math.NaN()
		case 1:
			return math.Inf(1 - 2*r.IntN(2))
		case 2:
			return math.Copysign(0, -1)
		case 3:
			return 0.1
		}
		return (r.Float64() - 0.5) * 1000
	case pgtype.OIDNumeric:
		return fmt.Sprintf("%d.%02d", r.IntN(20001)-10000, r.IntN(100))
	case pgtype.OIDText, pgtype.OIDVarchar:
		words := []string{"", "a", "abc", "ABC", "Héllo", "x%y", "a_b", `back\slash`, "long text value", "Grüße!"}
		return words[r.IntN(len(words))]
	case pgtype.OIDBytea:
		b := make([]byte, r.IntN(6))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return string(b)
	case pgtype.OIDDate:
		return int64(r.IntN(40000) - 10000)
	case pgtype.OIDTimestamp, pgtype.OIDTimestampTZ:
		return int64(r.IntN(2_000_000_000))*1_000_000 + int64(r.IntN(1_000_000))
	case pgtype.OIDVector:
		v := make([]float32, max(t.Mod, 1))
		for i := range v {
			v[i] = float32(r.IntN(2001)-1000) / 8
		}
		return v
	}
	panic(fmt.Sprintf("randValue: %s", t))
}

// randBatch returns n rows of the schema, about a fifth of them NULL.
func randBatch(r *rand.Rand, mem memory.Allocator, n int) arrow.Record {
	arrs := make([]arrow.Array, len(schema))
	fields := make([]arrow.Field, len(schema))
	for i, t := range schema {
		vals := make([]any, n)
		for j := range vals {
			if r.IntN(5) != 0 {
				vals[j] = randValue(r, t)
			}
		}
		arrs[i] = exectest.Array(mem, t, vals)
		f, err := pgtype.Field(fmt.Sprintf("c%d", i), t, true)
		if err != nil {
			panic(err)
		}
		fields[i] = f
	}
	rec := array.NewRecord(arrow.NewSchema(fields, nil), arrs, int64(n))
	for _, a := range arrs {
		a.Release()
	}
	return rec
}

// testEnv is the Env expressions are evaluated in: parameters of
// paramTypes (one NULL), a non-UTC zone, a time with nanoseconds.
func testEnv(mem memory.Allocator) *expr.Env {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	params := []any{int64(42), "Héllo", 2.5, nil, []float32{1, -2, 0.5}, int64(1_700_000_000_123_456), true, int64(-7)}
	env := &expr.Env{
		Mem:  mem,
		Text: &pgtype.TextOptions{TimeZone: berlin, ExtraFloatDigits: 0, ByteaHex: false},
		Now:  time.Date(2024, 7, 2, 10, 30, 15, 123456789, berlin),
	}
	for i, t := range paramTypes {
		if params[i] == nil {
			env.Params = append(env.Params, nil)
			continue
		}
		env.Params = append(env.Params, lit(t, params[i]).Value)
	}
	return env
}

// jsonTrip passes v through encoding/json into a new value of its type.
func jsonTrip[T any](t testing.TB, v *T) *T {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	out := new(T)
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("json.Unmarshal: %v", err)
	}
	return out
}

// sameArrays reports whether two results are equal value for value (NaNs
// equal, floats bit for bit otherwise).
func sameArrays(a, b arrow.Array) bool {
	if array.Equal(a, b) {
		return true
	}
	return array.ApproxEqual(a, b, array.WithNaNsEqual(true), array.WithAbsTolerance(0))
}

// evalBoth evaluates two expressions over rec, in their Envs, and fails
// the test unless they agree (same values or the same error).
func evalBoth(t testing.TB, a expr.Expr, envA *expr.Env, b expr.Expr, envB *expr.Env, rec arrow.Record) {
	t.Helper()
	ctx := context.Background()
	ra, errA := a.Eval(ctx, envA, rec)
	rb, errB := b.Eval(ctx, envB, rec)
	if ra != nil {
		defer ra.Release()
	}
	if rb != nil {
		defer rb.Release()
	}
	switch {
	case errA != nil || errB != nil:
		if errA == nil || errB == nil || errA.Error() != errB.Error() {
			t.Fatalf("%s: original: %v; decoded: %v", a, errA, errB)
		}
	case !arrow.TypeEqual(ra.DataType(), rb.DataType()) || !sameArrays(ra, rb):
		t.Fatalf("%s:\noriginal %s\ndecoded  %s", a, ra, rb)
	}
}

// roundTrip encodes exprs with one Encoder, passes everything through
// JSON and decodes it with a Decoder on mem. The caller closes the
// Decoder.
func roundTrip(t testing.TB, mem memory.Allocator, exprs []expr.Expr) ([]expr.Expr, *spec.Decoder) {
	t.Helper()
	enc := spec.NewEncoder()
	wire := make([]*spec.Expr, len(exprs))
	for i, x := range exprs {
		w, err := enc.Expr(x)
		if err != nil {
			t.Fatalf("encode %s: %v", x, err)
		}
		wire[i] = w
	}
	consts, err := enc.Consts(mem)
	if err != nil {
		t.Fatalf("Consts: %v", err)
	}
	type payload struct {
		Exprs  []*spec.Expr
		Consts []byte
	}
	p := jsonTrip(t, &payload{wire, consts})
	dec, err := spec.NewDecoder(p.Consts, mem)
	if err != nil {
		t.Fatalf("NewDecoder: %v", err)
	}
	out := make([]expr.Expr, len(exprs))
	for i, w := range p.Exprs {
		if out[i], err = dec.Expr(w); err != nil {
			dec.Close()
			t.Fatalf("decode %s: %v", exprs[i], err)
		}
	}
	return out, dec
}

// gen builds random, well-typed expressions over the schema the way the
// binder does: functions through expr.Resolve with casts to their
// argument types.
type gen struct {
	r *rand.Rand
}

var (
	castTargets = []pgtype.Type{tText, tInt4, tInt8, tFloat8, tNum, tNumAny, tVec, pgtype.VarcharOf(5), tBool, tDate, tTS, tTSTZ, tFloat4, tBytea}
	funcs       = []struct {
		name  string
		arity int
	}{
		{"+", 2}, {"-", 2}, {"*", 2}, {"/", 2}, {"%", 2}, {"-", 1},
		{"=", 2}, {"<>", 2}, {"<", 2}, {">=", 2},
		{"<->", 2}, {"<=>", 2}, {"<#>", 2}, {"l2_distance", 2}, {"vector_dims", 1},
		{"lower", 1}, {"upper", 1}, {"length", 1}, {"abs", 1}, {"round", 1}, {"round", 2}, {"sqrt", 1},
		{"||", 2}, {"concat", 1}, {"concat", 3}, {"concat_ws", 3}, {"greatest", 2}, {"greatest", 3}, {"least", 2},
		{"nullif", 2}, {"substr", 2}, {"replace", 3}, {"now", 0}, {"date_trunc", 2}, {"floor", 1},
	}
)

func (g *gen) leaf() expr.Expr {
	switch g.r.IntN(4) {
	case 0, 1:
		return col(g.r.IntN(len(schema)))
	case 2:
		t := schema[g.r.IntN(len(schema))]
		if g.r.IntN(5) == 0 {
			return lit(t, nil)
		}
		return lit(t, randValue(g.r, t))
	}
	i := g.r.IntN(len(paramTypes))
	return &expr.Param{Index: i, T: paramTypes[i]}
}

// expr returns a random expression of nesting depth at most depth.
func (g *gen) expr(depth int) expr.Expr {
	if depth <= 0 || g.r.IntN(4) == 0 {
		return g.leaf()
	}
	switch g.r.IntN(9) {
	case 0, 1, 2:
		for range 20 {
			f := funcs[g.r.IntN(len(funcs))]
			args := make([]expr.Expr, f.arity)
			for i := range args {
				args[i] = g.expr(depth - 1)
			}
			if f.name == "date_trunc" {
				args[0] = lit(tText, []string{"day", "hour", "month"}[g.r.IntN(3)])
			}
			if e, err := tryCall(f.name, args...); err == nil {
				return e
			}
		}
		return g.leaf()
	case 3:
		x, to := g.expr(depth-1), castTargets[g.r.IntN(len(castTargets))]
		if !expr.CanCast(x.Type(), to) && g.r.IntN(10) != 0 {
			return x // mostly casts the binder would build; a few it would refuse
		}
		return &expr.Cast{Arg: x, To: to, Assign: g.r.IntN(2) == 0}
	case 4:
		first := g.expr(depth - 1)
		t := first.Type()
		c := &expr.Case{T: t}
		for i := range 1 + g.r.IntN(3) {
			res := first
			if i > 0 {
				res = g.of(t, depth-1)
			}
			c.Whens = append(c.Whens, expr.When{Cond: g.boolean(depth - 1), Result: res})
		}
		if g.r.IntN(2) == 0 {
			c.Else = g.of(t, depth-1)
		}
		return c
	case 5:
		first := g.expr(depth - 1)
		c := &expr.Coalesce{T: first.Type(), Args: []expr.Expr{first}}
		for range 1 + g.r.IntN(2) {
			c.Args = append(c.Args, g.of(first.Type(), depth-1))
		}
		return c
	}
	return g.boolean(depth)
}

// of returns a random expression of type t's OID: a random expression
// cast to t when the binder could cast it, else a constant of t.
func (g *gen) of(t pgtype.Type, depth int) expr.Expr {
	x := g.expr(depth)
	if x.Type().OID == t.OID {
		return x
	}
	if expr.CanCast(x.Type(), t) {
		return &expr.Cast{Arg: x, To: t}
	}
	if _, err := t.Arrow(); err != nil || t.OID == pgtype.OIDUnknown {
		return lit(t, nil)
	}
	return lit(t, randValue(g.r, t))
}

// boolean returns a random boolean expression.
func (g *gen) boolean(depth int) expr.Expr {
	if depth <= 0 {
		return col(5)
	}
	switch g.r.IntN(9) {
	case 0:
		return &expr.IsNull{Arg: g.expr(depth - 1), Not: g.r.IntN(2) == 0}
	case 1:
		l := g.expr(depth - 1)
		return &expr.IsDistinct{L: l, R: g.of(l.Type(), depth-1), Not: g.r.IntN(2) == 0}
	case 2:
		in := &expr.In{Arg: g.expr(depth - 1), Not: g.r.IntN(2) == 0}
		for range 1 + g.r.IntN(3) {
			in.List = append(in.List, g.of(in.Arg.Type(), depth-1))
		}
		return in
	case 3:
		pats := []string{"a%", "%b%", "_b_", `x\%y`, "x!%y", "%", "ABC", "h_llo"}
		esc := []rune{0, '\\', '!', 'ü'}[g.r.IntN(4)]
		return &expr.Like{Arg: g.of(tText, depth-1), Pattern: lit(tText, pats[g.r.IntN(len(pats))]),
			Escape: esc, ILike: g.r.IntN(2) == 0, Not: g.r.IntN(2) == 0}
	case 4:
		b := &expr.BoolOp{Or: g.r.IntN(2) == 0}
		for range 2 + g.r.IntN(2) {
			b.Args = append(b.Args, g.boolean(depth-1))
		}
		return b
	case 5:
		return &expr.Not{Arg: g.boolean(depth - 1)}
	case 6:
		return col(5)
	}
	for range 20 {
		l := g.expr(depth - 1)
		op := []string{"=", "<", ">=", "<>"}[g.r.IntN(4)]
		if e, err := tryCall(op, l, g.of(l.Type(), depth-1)); err == nil {
			return e
		}
	}
	return col(5)
}

// oneRowBatch is a batch of one row and no columns.
func oneRowBatch() arrow.Record { return array.NewRecord(arrow.NewSchema(nil, nil), nil, 1) }
