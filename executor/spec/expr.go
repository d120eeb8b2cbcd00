package spec

// Expressions on the wire. An expr.Expr becomes a tree of *Expr, one node
// per expression node, tagged by Kind, that encoding/json carries as is.
//
// Constants do not travel as JSON: the Encoder gathers every constant
// value into one one-row Arrow record (a column per constant, of the
// scalar's own Arrow type), sent as Arrow IPC stream bytes beside the tree;
// a "const" node names its column. Arrow's own encoding keeps every value
// exact (float bits, NaN, decimal128 precision and scale, fixed-size
// vectors, timestamps with their zone, NULLs of any type), which a text
// or JSON form would not. A constant whose Value is nil travels as
// "null": true without a column. The decoder copies each constant onto
// the Go heap, so decoded expressions hold no allocator memory and outlive
// Decoder.Close, as planner-built constants do.
//
// Functions and aggregates travel by name, argument types and result type;
// their kernels are code and do not travel. The decoder resolves the name
// for the argument types again (expr.Resolve, expr.ResolveAggregate) and
// checks that the overload it finds takes arguments of the same OIDs and
// returns the same OID. This is safe because the argument types are the
// exact types the kernel was resolved for (the planner casts arguments to
// them): an exact match wins resolution at its first step, and the special
// resolvers (greatest, least, nullif, ||, concat, concat_ws) derive their
// kernels from the argument types alone, so the same types give the same
// overload on every node of the same build. The Encoder makes the same
// check before encoding, and refuses (ErrUnsupported) a Function that does
// not re-resolve to itself (a hand-built Function, say). A node running a
// different build whose registry lacks the function fails to decode rather
// than running something else.
//
// Decoding trusts nothing: every node, index, type modifier and function
// is checked (an error, never a panic), and the constants stream is
// checked before Arrow's IPC reader sees it (expr_ipc.go), since that
// reader allocates whatever sizes its input claims.

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"unicode/utf8"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
)

// ErrUnsupported is returned (wrapped) for an expression the Encoder
// cannot put on the wire: a node type of another package, a Function that
// does not re-resolve to the same overload, a constant Arrow cannot carry.
var ErrUnsupported = errors.New("spec: expression cannot be serialised")

// Kinds of Expr nodes.
const (
	KindColumn     = "column"      // Index, Name, Type
	KindConst      = "const"       // Index (constant column) or Null, Type
	KindParam      = "param"       // Index ($Index+1), Type
	KindCall       = "call"        // Name, ArgTypes, Type (result), Args
	KindCast       = "cast"        // Args[0], Type (target, with modifier), Assign
	KindCase       = "case"        // Args: cond1, result1, cond2, result2, …; Else; Type
	KindAnd        = "and"         // Args
	KindOr         = "or"          // Args
	KindNot        = "not"         // Args[0]
	KindIsNull     = "is_null"     // Args[0], Not
	KindIsDistinct = "is_distinct" // Args[0], Args[1], Not
	KindIn         = "in"          // Args[0] IN (Args[1:]), Not
	KindLike       = "like"        // Args[0] LIKE Args[1], Escape, ILike, Not
	KindCoalesce   = "coalesce"    // Args, Type
)

// Type is a pgtype.Type on the wire.
type Type struct {
	OID uint32 `json:"oid"`
	Mod int32  `json:"mod"`
}

func wireType(t pgtype.Type) Type     { return Type{OID: t.OID, Mod: t.Mod} }
func (t Type) pg() pgtype.Type        { return pgtype.Type{OID: t.OID, Mod: t.Mod} }
func wireTypePtr(t pgtype.Type) *Type { w := wireType(t); return &w }

// check validates a type from the wire: the OID is any (the receiving
// code decides what it supports), the modifier must be one PostgreSQL
// could give the type (numeric(p,s) with 1 ≤ p ≤ 1000 and 0 ≤ s ≤ p,
// varchar(n) and char(n) with 1 ≤ n ≤ 10485760, vector(n) with
// 1 ≤ n ≤ 16000, timestamp(p) with 0 ≤ p ≤ 6).
func (t Type) check() error {
	ok := t.Mod >= -1
	if t.Mod >= 0 {
		switch t.OID {
		case pgtype.OIDNumeric:
			m := t.Mod - 4
			p, sc := m>>16, m&0xffff
			ok = m >= 0 && p >= 1 && p <= 1000 && sc <= p
		case pgtype.OIDVarchar, pgtype.OIDBpchar:
			ok = t.Mod >= 5 && t.Mod <= 10485760+4
		case pgtype.OIDVector:
			ok = t.Mod >= 1 && t.Mod <= 16000
		case pgtype.OIDTimestamp, pgtype.OIDTimestampTZ:
			ok = t.Mod <= 6
		}
	}
	if !ok {
		return fmt.Errorf("spec: type %d with modifier %d", t.OID, t.Mod)
	}
	return nil
}

// checkTypes validates types from the wire.
func checkTypes(ts ...Type) error {
	for _, t := range ts {
		if err := t.check(); err != nil {
			return err
		}
	}
	return nil
}

func wireTypes(ts []pgtype.Type) []Type {
	if ts == nil {
		return nil
	}
	out := make([]Type, len(ts))
	for i, t := range ts {
		out[i] = wireType(t)
	}
	return out
}

func pgTypes(ts []Type) []pgtype.Type {
	if ts == nil {
		return nil
	}
	out := make([]pgtype.Type, len(ts))
	for i, t := range ts {
		out[i] = t.pg()
	}
	return out
}

// Expr is the serialisable form of an expr.Expr (see the Kind constants
// for the fields each kind uses).
type Expr struct {
	Kind string `json:"kind"`
	// Type is the node's type: the result type of a call, the target of
	// a cast, the type of a column, constant, parameter, CASE or COALESCE.
	Type *Type `json:"type,omitempty"`
	// Index is a column's position, a parameter's index (0 is $1) or a
	// constant's column in the constants record.
	Index int `json:"index,omitempty"`
	// Null marks a NULL constant that has no column.
	Null bool `json:"null,omitempty"`
	// Name is a column's name (for EXPLAIN) or a function's name.
	Name string `json:"name,omitempty"`
	// ArgTypes are a function's argument types (Function.Args).
	ArgTypes []Type  `json:"arg_types,omitempty"`
	Args     []*Expr `json:"args,omitempty"`
	// Else is a CASE's ELSE (nil: NULL).
	Else   *Expr `json:"else,omitempty"`
	Not    bool  `json:"not,omitempty"`
	Assign bool  `json:"assign,omitempty"`
	ILike  bool  `json:"ilike,omitempty"`
	// Escape is LIKE's escape character (0 for none).
	Escape rune `json:"escape,omitempty"`
}

// Agg is the serialisable form of an expr.AggCall.
type Agg struct {
	Name     string  `json:"name"`
	ArgTypes []Type  `json:"arg_types,omitempty"`
	Result   Type    `json:"result"`
	Args     []*Expr `json:"args,omitempty"`
	Distinct bool    `json:"distinct,omitempty"`
	Filter   *Expr   `json:"filter,omitempty"`
}

// Encoder turns bound expressions into their serialisable form, gathering
// their constants. One Encoder serves all the expressions of a fragment;
// Consts then returns the constants record they refer to.
type Encoder struct {
	consts []arrow.Array // one-value arrays on the Go heap
}

// NewEncoder returns an Encoder with no constants.
func NewEncoder() *Encoder { return &Encoder{} }

func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnsupported, fmt.Sprintf(format, args...))
}

// Expr encodes x.
func (e *Encoder) Expr(x expr.Expr) (*Expr, error) {
	switch x := x.(type) {
	case *expr.Column:
		return &Expr{Kind: KindColumn, Index: x.Index, Name: x.Name, Type: wireTypePtr(x.T)}, nil
	case *expr.Const:
		if x.Value == nil {
			return &Expr{Kind: KindConst, Null: true, Type: wireTypePtr(x.T)}, nil
		}
		a, err := constArray(x.Value)
		if err != nil {
			return nil, unsupported("constant of type %s: %v", x.T, err)
		}
		e.consts = append(e.consts, a)
		return &Expr{Kind: KindConst, Index: len(e.consts) - 1, Type: wireTypePtr(x.T)}, nil
	case *expr.Param:
		return &Expr{Kind: KindParam, Index: x.Index, Type: wireTypePtr(x.T)}, nil
	case *expr.Call:
		if err := checkFunction(x.Func, len(x.Args)); err != nil {
			return nil, err
		}
		args, err := e.exprs(x.Args)
		if err != nil {
			return nil, err
		}
		return &Expr{Kind: KindCall, Name: x.Func.Name, ArgTypes: wireTypes(x.Func.Args), Type: wireTypePtr(x.Func.Result), Args: args}, nil
	case *expr.Cast:
		args, err := e.exprs([]expr.Expr{x.Arg})
		if err != nil {
			return nil, err
		}
		return &Expr{Kind: KindCast, Args: args, Type: wireTypePtr(x.To), Assign: x.Assign}, nil
	case *expr.Case:
		if len(x.Whens) == 0 {
			return nil, unsupported("CASE without WHEN")
		}
		ins := make([]expr.Expr, 0, 2*len(x.Whens))
		for _, w := range x.Whens {
			ins = append(ins, w.Cond, w.Result)
		}
		args, err := e.exprs(ins)
		if err != nil {
			return nil, err
		}
		out := &Expr{Kind: KindCase, Args: args, Type: wireTypePtr(x.T)}
		if x.Else != nil {
			if out.Else, err = e.Expr(x.Else); err != nil {
				return nil, err
			}
		}
		return out, nil
	case *expr.BoolOp:
		args, err := e.exprs(x.Args)
		if err != nil {
			return nil, err
		}
		kind := KindAnd
		if x.Or {
			kind = KindOr
		}
		return &Expr{Kind: kind, Args: args}, nil
	case *expr.Not:
		args, err := e.exprs([]expr.Expr{x.Arg})
		if err != nil {
			return nil, err
		}
		return &Expr{Kind: KindNot, Args: args}, nil
	case *expr.IsNull:
		args, err := e.exprs([]expr.Expr{x.Arg})
		if err != nil {
			return nil, err
		}
		return &Expr{Kind: KindIsNull, Args: args, Not: x.Not}, nil
	case *expr.IsDistinct:
		args, err := e.exprs([]expr.Expr{x.L, x.R})
		if err != nil {
			return nil, err
		}
		return &Expr{Kind: KindIsDistinct, Args: args, Not: x.Not}, nil
	case *expr.In:
		args, err := e.exprs(append([]expr.Expr{x.Arg}, x.List...))
		if err != nil {
			return nil, err
		}
		return &Expr{Kind: KindIn, Args: args, Not: x.Not}, nil
	case *expr.Like:
		args, err := e.exprs([]expr.Expr{x.Arg, x.Pattern})
		if err != nil {
			return nil, err
		}
		return &Expr{Kind: KindLike, Args: args, Escape: x.Escape, ILike: x.ILike, Not: x.Not}, nil
	case *expr.Coalesce:
		args, err := e.exprs(x.Args)
		if err != nil {
			return nil, err
		}
		return &Expr{Kind: KindCoalesce, Args: args, Type: wireTypePtr(x.T)}, nil
	case nil:
		return nil, unsupported("nil expression")
	}
	return nil, unsupported("expression node %T", x)
}

func (e *Encoder) exprs(xs []expr.Expr) ([]*Expr, error) {
	out := make([]*Expr, len(xs))
	for i, x := range xs {
		var err error
		if out[i], err = e.Expr(x); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// AggCall encodes an aggregate call.
func (e *Encoder) AggCall(c expr.AggCall) (*Agg, error) {
	if c.Agg == nil {
		return nil, unsupported("aggregate call without an aggregate")
	}
	if len(c.Args) != len(c.Agg.Args) {
		return nil, unsupported("aggregate %s: %d arguments for %d argument types", c.Agg.Name, len(c.Args), len(c.Agg.Args))
	}
	g, err := expr.ResolveAggregate(c.Agg.Name, c.Agg.Args)
	if err != nil {
		return nil, unsupported("aggregate %s does not resolve again: %v", c.Agg.Name, err)
	}
	if err := sameSignature(g.Name, g.Args, g.Result, c.Agg.Name, c.Agg.Args, c.Agg.Result); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	args, err := e.exprs(c.Args)
	if err != nil {
		return nil, err
	}
	out := &Agg{Name: c.Agg.Name, ArgTypes: wireTypes(c.Agg.Args), Result: wireType(c.Agg.Result), Args: args, Distinct: c.Distinct}
	if c.Filter != nil {
		if out.Filter, err = e.Expr(c.Filter); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// checkFunction checks that f re-resolves to the same overload.
func checkFunction(f *expr.Function, nargs int) error {
	if f == nil {
		return unsupported("call without a function")
	}
	if len(f.Args) != nargs {
		return unsupported("function %s: %d arguments for %d argument types", f.Name, nargs, len(f.Args))
	}
	g, err := expr.Resolve(f.Name, f.Args)
	if err != nil {
		return unsupported("function %s does not resolve again: %v", f.Name, err)
	}
	if err := sameSignature(g.Name, g.Args, g.Result, f.Name, f.Args, f.Result); err != nil {
		return fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	if g.CalledOnNull != f.CalledOnNull || (g.Kernel == nil) != (f.Kernel == nil) ||
		f.Kernel != nil && reflect.ValueOf(g.Kernel).Pointer() != reflect.ValueOf(f.Kernel).Pointer() {
		return unsupported("function %s resolves again to a different implementation", f.Name)
	}
	return nil
}

// sameSignature checks that a resolved signature (name, args, result)
// matches the wire one in name and OIDs.
func sameSignature(gName string, gArgs []pgtype.Type, gResult pgtype.Type, name string, args []pgtype.Type, result pgtype.Type) error {
	if gName != name {
		return fmt.Errorf("%s resolves to %s", name, gName)
	}
	if len(gArgs) != len(args) {
		return fmt.Errorf("%s resolves to an overload of %d arguments, not %d", name, len(gArgs), len(args))
	}
	for i := range args {
		if gArgs[i].OID != args[i].OID {
			return fmt.Errorf("%s: argument %d resolves as %s, not %s", name, i+1, gArgs[i], args[i])
		}
	}
	if gResult.OID != result.OID {
		return fmt.Errorf("%s resolves to a result of type %s, not %s", name, gResult, result)
	}
	return nil
}

// constArray returns a one-value array of v on the Go heap.
func constArray(v scalar.Scalar) (a arrow.Array, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	if !v.IsValid() {
		return array.MakeArrayOfNull(memory.DefaultAllocator, v.DataType(), 1), nil
	}
	return scalar.MakeArrayFromScalar(v, 1, memory.DefaultAllocator)
}

// Consts returns the constants gathered so far as Arrow IPC stream bytes
// of a one-row record (a column per constant), or nil when there are none.
func (e *Encoder) Consts(mem memory.Allocator) ([]byte, error) {
	if len(e.consts) == 0 {
		return nil, nil
	}
	return oneRowIPC(e.consts, mem)
}

// oneRowIPC writes one-value arrays as a one-row record in an IPC stream.
func oneRowIPC(cols []arrow.Array, mem memory.Allocator) ([]byte, error) {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: fmt.Sprintf("c%d", i), Type: c.DataType(), Nullable: true}
	}
	schema := arrow.NewSchema(fields, nil)
	rec := array.NewRecord(schema, cols, 1)
	defer rec.Release()
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(schema), ipc.WithAllocator(mem))
	if err := w.Write(rec); err != nil {
		w.Close()
		return nil, fmt.Errorf("spec: writing constants: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("spec: writing constants: %w", err)
	}
	return buf.Bytes(), nil
}

// readOneRow reads an IPC stream of exactly one record of one row. It
// never panics on malformed input.
func readOneRow(data []byte, mem memory.Allocator) (rec arrow.Record, err error) {
	var r *ipc.Reader
	defer func() {
		if p := recover(); p != nil {
			if rec != nil {
				rec.Release()
				rec = nil
			}
			err = fmt.Errorf("spec: malformed Arrow IPC stream: %v", p)
		}
		if r != nil {
			r.Release()
		}
	}()
	if err := checkIPC(data); err != nil {
		return nil, err
	}
	r, err = ipc.NewReader(bytes.NewReader(data), ipc.WithAllocator(mem))
	if err != nil {
		return nil, fmt.Errorf("spec: malformed Arrow IPC stream: %w", err)
	}
	if !r.Next() {
		if err := r.Err(); err != nil {
			return nil, fmt.Errorf("spec: malformed Arrow IPC stream: %w", err)
		}
		return nil, errors.New("spec: Arrow IPC stream without a record")
	}
	rec = r.Record()
	rec.Retain()
	if rec.NumRows() != 1 {
		rec.Release()
		return nil, fmt.Errorf("spec: record of %d rows, want 1", rec.NumRows())
	}
	if r.Next() {
		rec.Release()
		return nil, errors.New("spec: Arrow IPC stream of more than one record")
	}
	if err := r.Err(); err != nil {
		rec.Release()
		return nil, fmt.Errorf("spec: malformed Arrow IPC stream: %w", err)
	}
	return rec, nil
}

// heapScalar returns the value of a one-row column as a scalar whose
// buffers live on the Go heap (nothing to release, valid after the column
// is released).
func heapScalar(col arrow.Array) (s scalar.Scalar, err error) {
	defer func() {
		if p := recover(); p != nil {
			s, err = nil, fmt.Errorf("spec: malformed value of type %s: %v", col.DataType(), p)
		}
	}()
	if col.Len() != 1 {
		return nil, fmt.Errorf("spec: column of %d values, want 1", col.Len())
	}
	if err := checkData(col.Data(), 0); err != nil {
		return nil, err
	}
	if col.IsNull(0) {
		return scalar.MakeNullScalar(col.DataType()), nil
	}
	cp, err := array.Concatenate([]arrow.Array{col}, memory.DefaultAllocator)
	if err != nil {
		return nil, fmt.Errorf("spec: value of type %s: %w", col.DataType(), err)
	}
	defer cp.Release()
	s, err = scalar.GetScalar(cp, 0)
	if err != nil {
		return nil, fmt.Errorf("spec: value of type %s: %w", col.DataType(), err)
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("spec: value of type %s: %w", col.DataType(), err)
	}
	return s, nil
}

// fits reports whether values of Arrow type dt may stand for values of t:
// t's own Arrow type, or one that evaluation converts to it (the
// representations expr's conform accepts), or anything for a type without
// an Arrow mapping.
func fits(dt arrow.DataType, t pgtype.Type) bool {
	want, err := t.Arrow()
	if err != nil || arrow.TypeEqual(dt, want) || dt.ID() == arrow.NULL {
		return true
	}
	switch t.OID {
	case pgtype.OIDVector:
		switch l := dt.(type) {
		case *arrow.ListType:
			return l.Elem().ID() == arrow.FLOAT32
		case *arrow.FixedSizeListType:
			return l.Elem().ID() == arrow.FLOAT32
		}
		return false
	case pgtype.OIDNumeric:
		return dt.ID() == arrow.DECIMAL128
	}
	return dt.ID() == want.ID() && (dt.ID() == arrow.TIMESTAMP || dt.ID() == arrow.STRING)
}

// Decoder turns serialised expressions back into bound ones. It holds the
// constants record until Close; decoded expressions do not refer to it.
type Decoder struct {
	rec    arrow.Record
	consts []scalar.Scalar // decoded on first use
}

// NewDecoder returns a Decoder over the constants record consts (the bytes
// of Encoder.Consts; empty when there are no constants), read with mem.
func NewDecoder(consts []byte, mem memory.Allocator) (*Decoder, error) {
	d := &Decoder{}
	if len(consts) == 0 {
		return d, nil
	}
	rec, err := readOneRow(consts, mem)
	if err != nil {
		return nil, err
	}
	d.rec = rec
	d.consts = make([]scalar.Scalar, rec.NumCols())
	return d, nil
}

// Close releases the constants record.
func (d *Decoder) Close() {
	if d.rec != nil {
		d.rec.Release()
		d.rec = nil
	}
}

func (d *Decoder) constant(i int) (scalar.Scalar, error) {
	if d.rec == nil || i < 0 || i >= len(d.consts) {
		return nil, fmt.Errorf("spec: constant %d does not exist", i)
	}
	if d.consts[i] == nil {
		s, err := heapScalar(d.rec.Column(i))
		if err != nil {
			return nil, err
		}
		d.consts[i] = s
	}
	return d.consts[i], nil
}

// maxIndex bounds column and parameter indexes (a sanity check on input).
const maxIndex = 1 << 20

// Expr decodes x, validating it: every malformed input is an error.
func (d *Decoder) Expr(x *Expr) (expr.Expr, error) {
	if x == nil {
		return nil, errors.New("spec: missing expression")
	}
	needType := func() (pgtype.Type, error) {
		if x.Type == nil {
			return pgtype.Type{}, fmt.Errorf("spec: %s without a type", x.Kind)
		}
		return x.Type.pg(), x.Type.check()
	}
	nargs := func(min, max int) error {
		if len(x.Args) < min || max >= 0 && len(x.Args) > max {
			return fmt.Errorf("spec: %s with %d arguments", x.Kind, len(x.Args))
		}
		return nil
	}
	switch x.Kind {
	case KindColumn:
		t, err := needType()
		if err != nil {
			return nil, err
		}
		if x.Index < 0 || x.Index >= maxIndex {
			return nil, fmt.Errorf("spec: column index %d out of range", x.Index)
		}
		return &expr.Column{Index: x.Index, T: t, Name: x.Name}, nil
	case KindConst:
		t, err := needType()
		if err != nil {
			return nil, err
		}
		if x.Null {
			return &expr.Const{T: t}, nil
		}
		v, err := d.constant(x.Index)
		if err != nil {
			return nil, err
		}
		if !fits(v.DataType(), t) {
			return nil, fmt.Errorf("spec: constant %d of Arrow type %s for type %s", x.Index, v.DataType(), t)
		}
		return &expr.Const{Value: v, T: t}, nil
	case KindParam:
		t, err := needType()
		if err != nil {
			return nil, err
		}
		if x.Index < 0 || x.Index >= maxIndex {
			return nil, fmt.Errorf("spec: parameter index %d out of range", x.Index)
		}
		return &expr.Param{Index: x.Index, T: t}, nil
	case KindCall:
		result, err := needType()
		if err != nil {
			return nil, err
		}
		if len(x.ArgTypes) != len(x.Args) {
			return nil, fmt.Errorf("spec: call of %s with %d arguments for %d argument types", x.Name, len(x.Args), len(x.ArgTypes))
		}
		if err := checkTypes(x.ArgTypes...); err != nil {
			return nil, err
		}
		argTypes := pgTypes(x.ArgTypes)
		g, err := expr.Resolve(x.Name, argTypes)
		if err != nil {
			return nil, fmt.Errorf("spec: function %s: %w", x.Name, err)
		}
		if err := sameSignature(g.Name, g.Args, g.Result, x.Name, argTypes, result); err != nil {
			return nil, fmt.Errorf("spec: %w", err)
		}
		args, err := d.exprs(x.Args)
		if err != nil {
			return nil, err
		}
		f := *g
		// The OIDs match; restore the modifiers the encoder saw.
		f.Args, f.Result = argTypes, result
		if f.Args == nil {
			f.Args = g.Args
		}
		return &expr.Call{Func: &f, Args: args}, nil
	case KindCast:
		t, err := needType()
		if err != nil {
			return nil, err
		}
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		arg, err := d.Expr(x.Args[0])
		if err != nil {
			return nil, err
		}
		return &expr.Cast{Arg: arg, To: t, Assign: x.Assign}, nil
	case KindCase:
		t, err := needType()
		if err != nil {
			return nil, err
		}
		if len(x.Args) == 0 || len(x.Args)%2 != 0 {
			return nil, fmt.Errorf("spec: case with %d arguments", len(x.Args))
		}
		args, err := d.exprs(x.Args)
		if err != nil {
			return nil, err
		}
		c := &expr.Case{T: t, Whens: make([]expr.When, len(args)/2)}
		for i := range c.Whens {
			c.Whens[i] = expr.When{Cond: args[2*i], Result: args[2*i+1]}
		}
		if x.Else != nil {
			if c.Else, err = d.Expr(x.Else); err != nil {
				return nil, err
			}
		}
		return c, nil
	case KindAnd, KindOr:
		if err := nargs(1, -1); err != nil {
			return nil, err
		}
		args, err := d.exprs(x.Args)
		if err != nil {
			return nil, err
		}
		return &expr.BoolOp{Or: x.Kind == KindOr, Args: args}, nil
	case KindNot, KindIsNull:
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		arg, err := d.Expr(x.Args[0])
		if err != nil {
			return nil, err
		}
		if x.Kind == KindNot {
			return &expr.Not{Arg: arg}, nil
		}
		return &expr.IsNull{Arg: arg, Not: x.Not}, nil
	case KindIsDistinct:
		if err := nargs(2, 2); err != nil {
			return nil, err
		}
		args, err := d.exprs(x.Args)
		if err != nil {
			return nil, err
		}
		return &expr.IsDistinct{L: args[0], R: args[1], Not: x.Not}, nil
	case KindIn:
		if err := nargs(1, -1); err != nil {
			return nil, err
		}
		args, err := d.exprs(x.Args)
		if err != nil {
			return nil, err
		}
		return &expr.In{Arg: args[0], List: args[1:], Not: x.Not}, nil
	case KindLike:
		if err := nargs(2, 2); err != nil {
			return nil, err
		}
		if x.Escape != 0 && !utf8.ValidRune(x.Escape) {
			return nil, fmt.Errorf("spec: invalid LIKE escape %d", x.Escape)
		}
		args, err := d.exprs(x.Args)
		if err != nil {
			return nil, err
		}
		return &expr.Like{Arg: args[0], Pattern: args[1], Escape: x.Escape, ILike: x.ILike, Not: x.Not}, nil
	case KindCoalesce:
		t, err := needType()
		if err != nil {
			return nil, err
		}
		if err := nargs(1, -1); err != nil {
			return nil, err
		}
		args, err := d.exprs(x.Args)
		if err != nil {
			return nil, err
		}
		return &expr.Coalesce{Args: args, T: t}, nil
	}
	return nil, fmt.Errorf("spec: unknown expression kind %q", x.Kind)
}

func (d *Decoder) exprs(xs []*Expr) ([]expr.Expr, error) {
	out := make([]expr.Expr, len(xs))
	for i, x := range xs {
		var err error
		if out[i], err = d.Expr(x); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// AggCall decodes an aggregate call, resolving the aggregate again.
func (d *Decoder) AggCall(a *Agg) (expr.AggCall, error) {
	if a == nil {
		return expr.AggCall{}, errors.New("spec: missing aggregate call")
	}
	if len(a.ArgTypes) != len(a.Args) {
		return expr.AggCall{}, fmt.Errorf("spec: aggregate %s with %d arguments for %d argument types", a.Name, len(a.Args), len(a.ArgTypes))
	}
	if err := checkTypes(append([]Type{a.Result}, a.ArgTypes...)...); err != nil {
		return expr.AggCall{}, err
	}
	argTypes := pgTypes(a.ArgTypes)
	g, err := expr.ResolveAggregate(a.Name, argTypes)
	if err != nil {
		return expr.AggCall{}, fmt.Errorf("spec: aggregate %s: %w", a.Name, err)
	}
	if err := sameSignature(g.Name, g.Args, g.Result, a.Name, argTypes, a.Result.pg()); err != nil {
		return expr.AggCall{}, fmt.Errorf("spec: %w", err)
	}
	args, err := d.exprs(a.Args)
	if err != nil {
		return expr.AggCall{}, err
	}
	if len(args) == 0 {
		args = nil
	}
	agg := *g
	agg.Args, agg.Result = argTypes, a.Result.pg()
	c := expr.AggCall{Agg: &agg, Args: args, Distinct: a.Distinct}
	if a.Filter != nil {
		if c.Filter, err = d.Expr(a.Filter); err != nil {
			return expr.AggCall{}, err
		}
	}
	return c, nil
}
