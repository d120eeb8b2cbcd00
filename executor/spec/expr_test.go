package spec_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/spec"
)

// checkRoundTrip round-trips exprs and the Env and checks that every
// decoded expression has the original's type and rendering and computes
// the same values on random batches.
func checkRoundTrip(t *testing.T, r *rand.Rand, exprs []expr.Expr) {
	t.Helper()
	mem := checkedMem(t)
	env := testEnv(mem)
	wenv, err := spec.EncodeEnv(env, paramTypes)
	if err != nil {
		t.Fatalf("EncodeEnv: %v", err)
	}
	denv, err := jsonTrip(t, wenv).Decode(mem)
	if err != nil {
		t.Fatalf("Env.Decode: %v", err)
	}
	got, dec := roundTrip(t, mem, exprs)
	defer dec.Close()
	recs := []arrow.Record{randBatch(r, mem, 1), randBatch(r, mem, 37)}
	defer func() {
		for _, rec := range recs {
			rec.Release()
		}
	}()
	for i, x := range exprs {
		if got[i].String() != x.String() {
			t.Fatalf("String:\noriginal %s\ndecoded  %s", x, got[i])
		}
		if got[i].Type() != x.Type() {
			t.Fatalf("%s: type %s after decoding, want %s", x, got[i].Type(), x.Type())
		}
		for _, rec := range recs {
			evalBoth(t, x, env, got[i], denv, rec)
		}
	}
}

func TestRoundTripRandom(t *testing.T) {
	for seed := range uint64(40) {
		r := rand.New(rand.NewPCG(seed, 7))
		g := &gen{r: r}
		exprs := make([]expr.Expr, 25)
		for i := range exprs {
			exprs[i] = g.expr(4)
		}
		checkRoundTrip(t, r, exprs)
	}
}

func TestRoundTripCases(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var exprs []expr.Expr
	// A constant and a NULL of each type, and each column and parameter.
	for i, ty := range schema {
		exprs = append(exprs, col(i), lit(ty, randValue(r, ty)), lit(ty, nil))
	}
	for i, ty := range paramTypes {
		exprs = append(exprs, &expr.Param{Index: i, T: ty})
	}
	exprs = append(exprs,
		lit(tFloat8, -0.0), lit(tFloat8, 0.1), lit(tFloat4, 1.0/3), lit(tNumAny, "12345678901234567890.1234567890123456"),
		lit(tInt8, int64(-1<<63)), lit(tTS, int64(-1)), lit(tVec, []float32{1e-30, -3.5, 7}),
		&expr.Const{Value: scalar.NewStringScalar("untyped"), T: pgtype.Unknown},
		&expr.Const{Value: scalar.MakeNullScalar(arrow.PrimitiveTypes.Int32), T: tInt4}, // an invalid scalar
		&expr.Const{T: pgtype.Interval},                                                 // NULL of a type without an Arrow mapping
		&expr.Param{Index: 20, T: tInt4},                                                // no such parameter: the same error
	)
	x4, x8, f8, num, txt := col(0), col(1), col(2), col(3), col(4)
	ts, tstz, vec, vc := col(6), col(7), col(9), col(13)
	exprs = append(exprs,
		call(t, "+", x4, lit(tInt4, int64(1))),
		call(t, "+", x4, x8),
		call(t, "*", num, f8),
		call(t, "/", x8, call(t, "-", x4, lit(tInt4, int64(3)))),
		call(t, "=", txt, &expr.Cast{Arg: &expr.Const{Value: scalar.NewStringScalar("abc"), T: pgtype.Unknown}, To: tText}),
		call(t, "<->", vec, &expr.Cast{Arg: lit(tText, "[1,2,3]"), To: tVec}),
		call(t, "<->", vec, &expr.Param{Index: 4, T: tVec}),
		call(t, "lower", txt),
		call(t, "abs", f8),
		call(t, "abs", num),
		call(t, "greatest", x4, x8, lit(tInt4, int64(5))),
		call(t, "least", num, x4),
		call(t, "greatest", vc, vc),
		call(t, "nullif", x4, lit(tInt4, int64(0))),
		call(t, "concat", txt, x4, f8, vec, ts),
		call(t, "concat_ws", lit(tText, ","), txt, x8, &expr.Param{Index: 1, T: tText}),
		call(t, "||", txt, x4),
		call(t, "||", txt, vc),
		call(t, "now"),
		call(t, "date_trunc", lit(tText, "day"), tstz),
		&expr.Cast{Arg: lit(tText, "[1,2,3]"), To: tVec},
		&expr.Cast{Arg: lit(tText, "[1,2]"), To: tVec}, // 22000
		&expr.Cast{Arg: txt, To: pgtype.VarcharOf(5), Assign: true},
		&expr.Cast{Arg: txt, To: pgtype.VarcharOf(5)},
		&expr.Cast{Arg: f8, To: tNum},
		&expr.Cast{Arg: tstz, To: tText},
		&expr.Cast{Arg: f8, To: tText},
		&expr.Cast{Arg: col(10), To: tText},
		&expr.Coalesce{Args: []expr.Expr{x4, lit(tInt4, nil), lit(tInt4, int64(9))}, T: tInt4},
		&expr.Case{Whens: []expr.When{
			{Cond: col(5), Result: txt},
			{Cond: call(t, ">", x4, lit(tInt4, int64(0))), Result: lit(tText, "pos")},
		}, Else: lit(tText, nil), T: tText},
		&expr.Case{Whens: []expr.When{{Cond: &expr.IsNull{Arg: x4}, Result: lit(tInt4, int64(0))}}, T: tInt4},
		&expr.In{Arg: x4, List: []expr.Expr{lit(tInt4, int64(1)), lit(tInt4, nil), &expr.Param{Index: 0, T: tInt4}}},
		&expr.In{Arg: txt, List: []expr.Expr{lit(tText, "abc"), txt}, Not: true},
		&expr.Like{Arg: txt, Pattern: lit(tText, `x\%y`), Escape: '\\'},
		&expr.Like{Arg: txt, Pattern: lit(tText, "X!%Y"), Escape: '!', ILike: true},
		&expr.Like{Arg: txt, Pattern: lit(tText, "a%"), Not: true},
		&expr.IsDistinct{L: x4, R: lit(tInt4, nil)},
		&expr.IsDistinct{L: vec, R: vec, Not: true},
		&expr.IsNull{Arg: vec, Not: true},
		&expr.BoolOp{Args: []expr.Expr{col(5), &expr.Not{Arg: col(5)}}},
		&expr.BoolOp{Or: true, Args: []expr.Expr{col(5), lit(tBool, nil), lit(tBool, true)}},
	)
	checkRoundTrip(t, r, exprs)
}

func TestWireForm(t *testing.T) {
	enc := spec.NewEncoder()
	x := call(t, "<->", col(9), &expr.Cast{Arg: lit(tText, "[1,2,3]"), To: tVec})
	w, err := enc.Expr(x)
	if err != nil {
		t.Fatal(err)
	}
	if w.Kind != spec.KindCall || w.Name != "<->" || len(w.ArgTypes) != 2 || w.ArgTypes[0].OID != pgtype.OIDVector ||
		w.Args[1].Kind != spec.KindCast || *w.Args[1].Type != (spec.Type{OID: pgtype.OIDVector, Mod: 3}) ||
		w.Args[1].Args[0].Kind != spec.KindConst || w.Args[1].Args[0].Index != 0 {
		t.Fatalf("unexpected wire form %+v", w)
	}
	if w, _ := enc.Expr(lit(tInt4, nil)); !w.Null {
		t.Errorf("a nil constant is not Null on the wire: %+v", w)
	}
	// No constants: no record.
	if b, err := spec.NewEncoder().Consts(memory.NewGoAllocator()); b != nil || err != nil {
		t.Errorf("Consts without constants = %d bytes, %v", len(b), err)
	}
}

func TestAggRoundTrip(t *testing.T) {
	mem := checkedMem(t)
	type aggCase struct {
		name     string
		args     []expr.Expr
		distinct bool
		filter   expr.Expr
	}
	cases := []aggCase{
		{"count", nil, false, nil},
		{"count", []expr.Expr{col(4)}, true, call(t, ">", col(0), lit(tInt4, int64(0)))},
		{"COUNT", []expr.Expr{col(9)}, false, nil},
		{"sum", []expr.Expr{col(0)}, false, nil},
		{"sum", []expr.Expr{col(1)}, true, col(5)},
		{"sum", []expr.Expr{col(9)}, false, nil},
		{"avg", []expr.Expr{col(3)}, false, nil},
		{"avg", []expr.Expr{col(2)}, false, nil},
		{"min", []expr.Expr{col(7)}, false, nil},
		{"max", []expr.Expr{call(t, "lower", col(4))}, false, &expr.IsNull{Arg: col(8), Not: true}},
		{"bool_and", []expr.Expr{col(5)}, false, nil},
		{"every", []expr.Expr{col(5)}, false, nil},
	}
	enc := spec.NewEncoder()
	var calls []expr.AggCall
	var wire []*spec.Agg
	for _, c := range cases {
		types := make([]pgtype.Type, len(c.args))
		for i, a := range c.args {
			types[i] = a.Type()
		}
		agg, err := expr.ResolveAggregate(c.name, types)
		if err != nil {
			t.Fatalf("ResolveAggregate(%s): %v", c.name, err)
		}
		args := make([]expr.Expr, len(c.args))
		for i, a := range c.args {
			args[i] = castTo(a, agg.Args[i])
		}
		if len(args) == 0 {
			args = nil
		}
		ac := expr.AggCall{Agg: agg, Args: args, Distinct: c.distinct, Filter: c.filter}
		w, err := enc.AggCall(ac)
		if err != nil {
			t.Fatalf("encode %s: %v", ac.String(), err)
		}
		calls = append(calls, ac)
		wire = append(wire, w)
	}
	consts, err := enc.Consts(mem)
	if err != nil {
		t.Fatal(err)
	}
	type payload struct {
		Aggs   []*spec.Agg
		Consts []byte
	}
	p := jsonTrip(t, &payload{wire, consts})
	dec, err := spec.NewDecoder(p.Consts, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	r := rand.New(rand.NewPCG(3, 4))
	rec := randBatch(r, mem, 50)
	defer rec.Release()
	env := testEnv(mem)
	for i, w := range p.Aggs {
		got, err := dec.AggCall(w)
		if err != nil {
			t.Fatalf("decode %s: %v", calls[i].String(), err)
		}
		want := calls[i]
		if got.String() != want.String() || got.Agg.Name != want.Agg.Name || got.Agg.Result != want.Agg.Result ||
			len(got.Agg.Args) != len(want.Agg.Args) || got.Distinct != want.Distinct || (got.Filter == nil) != (want.Filter == nil) {
			t.Fatalf("decoded %s (%v → %s), want %s (%v → %s)", got.String(), got.Agg.Args, got.Agg.Result,
				want.String(), want.Agg.Args, want.Agg.Result)
		}
		for j := range want.Agg.Args {
			if got.Agg.Args[j] != want.Agg.Args[j] {
				t.Fatalf("%s: argument types %v, want %v", want.String(), got.Agg.Args, want.Agg.Args)
			}
		}
		for j := range want.Args {
			evalBoth(t, want.Args[j], env, got.Args[j], env, rec)
		}
		if want.Filter != nil {
			evalBoth(t, want.Filter, env, got.Filter, env, rec)
		}
		// The decoded aggregate computes.
		acc, err := got.NewAccumulator()
		if err != nil {
			t.Fatalf("%s: NewAccumulator: %v", got.String(), err)
		}
		acc.Grow(1)
		res, err := acc.Result(mem)
		if err != nil {
			t.Fatalf("%s: Result: %v", got.String(), err)
		}
		res.Release()
	}
}

// opaque is an expression node of another package.
type opaque struct{}

func (opaque) Type() pgtype.Type { return tInt4 }
func (opaque) Eval(context.Context, *expr.Env, arrow.Record) (arrow.Array, error) {
	return nil, errors.New("opaque")
}
func (opaque) String() string { return "opaque" }

func TestUnsupported(t *testing.T) {
	plus, err := expr.Resolve("+", []pgtype.Type{tInt4, tInt4})
	if err != nil {
		t.Fatal(err)
	}
	minus, err := expr.Resolve("-", []pgtype.Type{tInt4, tInt4})
	if err != nil {
		t.Fatal(err)
	}
	fake := *plus
	fake.Kernel = minus.Kernel // "+" computing a difference
	renamed := *plus
	renamed.Name = "no_such_function"
	wrongResult := *plus
	wrongResult.Result = tInt8
	cases := []expr.Expr{
		opaque{},
		call(t, "+", col(0), opaque{}),
		&expr.Case{Whens: []expr.When{{Cond: col(5), Result: col(0)}}, Else: opaque{}, T: tInt4},
		&expr.Call{Func: &fake, Args: []expr.Expr{col(0), col(0)}},
		&expr.Call{Func: &renamed, Args: []expr.Expr{col(0), col(0)}},
		&expr.Call{Func: &wrongResult, Args: []expr.Expr{col(0), col(0)}},
		&expr.Call{Func: plus, Args: []expr.Expr{col(0)}},
		&expr.Call{Args: []expr.Expr{col(0)}},
	}
	for _, x := range cases {
		_, err := spec.NewEncoder().Expr(x)
		if !errors.Is(err, spec.ErrUnsupported) {
			t.Errorf("Expr(%#v) = %v; want ErrUnsupported", x, err)
		}
	}
	sum, err := expr.ResolveAggregate("sum", []pgtype.Type{tInt4})
	if err != nil {
		t.Fatal(err)
	}
	badSum := *sum
	badSum.Result = tFloat8
	for _, c := range []expr.AggCall{
		{Agg: sum, Args: []expr.Expr{opaque{}}},
		{Agg: sum, Args: []expr.Expr{col(0)}, Filter: opaque{}},
		{Agg: &badSum, Args: []expr.Expr{col(0)}},
		{Agg: sum},
		{},
	} {
		if _, err := spec.NewEncoder().AggCall(c); !errors.Is(err, spec.ErrUnsupported) {
			t.Errorf("AggCall(%+v) = %v; want ErrUnsupported", c, err)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	mem := checkedMem(t)
	enc := spec.NewEncoder()
	if _, err := enc.Expr(lit(tInt4, int64(1))); err != nil {
		t.Fatal(err)
	}
	consts, err := enc.Consts(mem)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := spec.NewDecoder(consts, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	i4 := &spec.Type{OID: pgtype.OIDInt4, Mod: -1}
	txt := &spec.Type{OID: pgtype.OIDText, Mod: -1}
	c0 := &spec.Expr{Kind: spec.KindColumn, Type: i4}
	cases := map[string]*spec.Expr{
		"nil":               nil,
		"unknown kind":      {Kind: "frobnicate"},
		"no type":           {Kind: spec.KindColumn},
		"negative column":   {Kind: spec.KindColumn, Index: -1, Type: i4},
		"const index":       {Kind: spec.KindConst, Index: 1, Type: i4},
		"const type":        {Kind: spec.KindConst, Index: 0, Type: txt},
		"unknown function":  {Kind: spec.KindCall, Name: "nope", ArgTypes: []spec.Type{*i4}, Type: i4, Args: []*spec.Expr{c0}},
		"arity":             {Kind: spec.KindCall, Name: "+", ArgTypes: []spec.Type{*i4, *i4}, Type: i4, Args: []*spec.Expr{c0}},
		"result type":       {Kind: spec.KindCall, Name: "+", ArgTypes: []spec.Type{*i4, *i4}, Type: txt, Args: []*spec.Expr{c0, c0}},
		"argument type":     {Kind: spec.KindCall, Name: "lower", ArgTypes: []spec.Type{*i4}, Type: txt, Args: []*spec.Expr{c0}},
		"odd case":          {Kind: spec.KindCase, Type: i4, Args: []*spec.Expr{c0}},
		"empty and":         {Kind: spec.KindAnd},
		"not arity":         {Kind: spec.KindNot, Args: []*spec.Expr{c0, c0}},
		"nil argument":      {Kind: spec.KindNot, Args: []*spec.Expr{nil}},
		"distinct arity":    {Kind: spec.KindIsDistinct, Args: []*spec.Expr{c0}},
		"bad escape":        {Kind: spec.KindLike, Args: []*spec.Expr{c0, c0}, Escape: -5},
		"empty coalesce":    {Kind: spec.KindCoalesce, Type: i4},
		"nested bad":        {Kind: spec.KindCast, Type: txt, Args: []*spec.Expr{{Kind: "?"}}},
		"huge param index":  {Kind: spec.KindParam, Index: 1 << 40, Type: i4},
		"case else invalid": {Kind: spec.KindCase, Type: i4, Args: []*spec.Expr{c0, c0}, Else: &spec.Expr{}},
		"numeric modifier":  {Kind: spec.KindColumn, Type: &spec.Type{OID: pgtype.OIDNumeric, Mod: 1 << 30}},
		"vector modifier":   {Kind: spec.KindParam, Type: &spec.Type{OID: pgtype.OIDVector, Mod: 0}},
		"negative modifier": {Kind: spec.KindCast, Type: &spec.Type{OID: pgtype.OIDText, Mod: -7}, Args: []*spec.Expr{c0}},
		"arg type modifier": {Kind: spec.KindCall, Name: "+", ArgTypes: []spec.Type{*i4, {OID: pgtype.OIDInt4, Mod: -9}}, Type: i4, Args: []*spec.Expr{c0, c0}},
	}
	for name, x := range cases {
		if got, err := dec.Expr(x); err == nil {
			t.Errorf("%s: decoded %s, want an error", name, got)
		}
	}
	for name, a := range map[string]*spec.Agg{
		"nil":             nil,
		"unknown":         {Name: "nope", Result: *i4},
		"arity":           {Name: "sum", ArgTypes: []spec.Type{*i4}, Result: spec.Type{OID: pgtype.OIDInt8, Mod: -1}},
		"result":          {Name: "sum", ArgTypes: []spec.Type{*i4}, Result: *i4, Args: []*spec.Expr{c0}},
		"bad filter":      {Name: "count", Result: spec.Type{OID: pgtype.OIDInt8, Mod: -1}, Filter: &spec.Expr{Kind: "?"}},
		"bad argument":    {Name: "count", ArgTypes: []spec.Type{*i4}, Result: spec.Type{OID: pgtype.OIDInt8, Mod: -1}, Args: []*spec.Expr{{}}},
		"not a aggregate": {Name: "lower", ArgTypes: []spec.Type{*txt}, Result: *txt, Args: []*spec.Expr{c0}},
	} {
		if got, err := dec.AggCall(a); err == nil {
			t.Errorf("agg %s: decoded %s, want an error", name, got.String())
		}
	}
	for name, b := range map[string][]byte{
		"garbage":   []byte("not arrow"),
		"truncated": consts[:len(consts)/2],
	} {
		if d, err := spec.NewDecoder(b, mem); err == nil {
			d.Close()
			t.Errorf("NewDecoder(%s) succeeded", name)
		}
	}
	// Constants without a record.
	empty, err := spec.NewDecoder(nil, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer empty.Close()
	if _, err := empty.Expr(&spec.Expr{Kind: spec.KindConst, Type: i4}); err == nil || !strings.Contains(err.Error(), "constant") {
		t.Errorf("constant without a record: %v", err)
	}
}
