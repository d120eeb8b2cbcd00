package expr

import (
	"context"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/bitutil"

	"github.com/lancegate/lancegate/executor/pgtype"
)

// AND and OR keep two bitmaps per batch: the rows whose result is
// decided (false for AND, true for OR) and the rows that are NULL so far.
// An argument is evaluated only on the rows not yet decided, so that
// "x <> 0 AND 10 / x > 1" does not divide by zero, as in PostgreSQL.

// Type implements Expr.
func (b *BoolOp) Type() pgtype.Type { return pgtype.Bool }

// Eval implements Expr.
func (b *BoolOp) Eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	return evalTop(ctx, env, b, batch)
}

func (b *BoolOp) eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	n := int(batch.NumRows())
	constant := true
	for _, a := range b.Args {
		if dependsOnRows(a) {
			constant = false
		}
	}
	if constant {
		n = 1
	}
	nb := int(bitutil.BytesForBits(int64(n)))
	decided := make([]byte, nb) // false for AND, true for OR
	null := make([]byte, nb)
	ndecided := 0
	for _, arg := range b.Args {
		if ndecided == n {
			break
		}
		var sel []int32
		if ndecided > 0 {
			sel = make([]int32, 0, n-ndecided)
			for i := 0; i < n; i++ {
				if !bitutil.BitIsSet(decided, i) {
					sel = append(sel, int32(i))
				}
			}
		}
		v, err := evalRows(ctx, env, arg, batch, sel)
		if err != nil {
			return nil, err
		}
		switch {
		case sel == nil && v.Len() == n:
			combineFull(decided, null, v, n, b.Or)
		default:
			combineRows(decided, null, v, sel, n, b.Or)
		}
		v.Release()
		ndecided = bitutil.CountSetBits(decided, 0, n)
	}
	// Result: value = decided for OR, not decided for AND; valid = not null.
	data := allocBitmap(env.Mem, n)
	out := data.Bytes()
	for i := range decided {
		if b.Or {
			out[i] = decided[i]
		} else {
			out[i] = ^decided[i]
		}
	}
	nulls := bitutil.CountSetBits(null, 0, n)
	if nulls == 0 {
		return boolArray(n, nil, 0, data), nil
	}
	valid := allocBitmap(env.Mem, n)
	vb := valid.Bytes()
	for i := range null {
		vb[i] = ^null[i]
	}
	return boolArray(n, valid, nulls, data), nil
}

// combineFull folds an argument of n values into the state bitmaps.
func combineFull(decided, null []byte, v arrow.Array, n int, or bool) {
	if v.DataType().ID() == arrow.NULL {
		for i := 0; i < n; i++ {
			if !bitutil.BitIsSet(decided, i) {
				bitutil.SetBit(null, i)
			}
		}
		return
	}
	vals, off := bitmapOf(v)
	var valid []byte
	voff := 0
	if v.NullN() > 0 {
		valid, voff = v.NullBitmapBytes(), v.Data().Offset()
	}
	if off == 0 && voff == 0 {
		// Byte-wise: the common case of a freshly computed array.
		for j := range decided {
			val := vals[j]
			ok := byte(0xff)
			if valid != nil {
				ok = valid[j]
			}
			decisive := ok & val
			if !or {
				decisive = ok &^ val
			}
			decided[j] |= decisive
			null[j] = (null[j] | ^ok) &^ decided[j]
		}
		clearTail(decided, n)
		clearTail(null, n)
		return
	}
	for i := 0; i < n; i++ {
		combineBit(decided, null, i, valid == nil || bitutil.BitIsSet(valid, voff+i), bitutil.BitIsSet(vals, off+i), or)
	}
}

// combineRows folds an argument evaluated over the rows sel (all rows
// when sel is nil; a constant when v has one value) into the state.
func combineRows(decided, null []byte, v arrow.Array, sel []int32, n int, or bool) {
	get := func(k int) (ok, val bool) {
		if v.Len() == 1 {
			k = 0
		}
		if v.DataType().ID() == arrow.NULL || v.IsNull(k) {
			return false, false
		}
		vals, off := bitmapOf(v)
		return true, bitutil.BitIsSet(vals, off+k)
	}
	if sel == nil {
		for i := 0; i < n; i++ {
			ok, val := get(i)
			combineBit(decided, null, i, ok, val, or)
		}
		return
	}
	for k, r := range sel {
		ok, val := get(k)
		combineBit(decided, null, int(r), ok, val, or)
	}
}

func combineBit(decided, null []byte, i int, ok, val bool, or bool) {
	if bitutil.BitIsSet(decided, i) {
		return
	}
	if !ok {
		bitutil.SetBit(null, i)
		return
	}
	if val == or {
		bitutil.SetBit(decided, i)
		bitutil.ClearBit(null, i)
	}
}

// clearTail zeroes the bits past n in the last byte of b.
func clearTail(b []byte, n int) {
	if r := n % 8; r != 0 && len(b) > 0 {
		b[len(b)-1] &= byte(1)<<r - 1
	}
}

// String implements Expr.
func (b *BoolOp) String() string {
	op := " AND "
	if b.Or {
		op = " OR "
	}
	parts := make([]string, len(b.Args))
	for i, a := range b.Args {
		parts[i] = a.String()
	}
	return "(" + strings.Join(parts, op) + ")"
}

// Type implements Expr.
func (n *Not) Type() pgtype.Type { return pgtype.Bool }

// Eval implements Expr.
func (n *Not) Eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	return evalTop(ctx, env, n, batch)
}

func (n *Not) eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	v, err := evalNode(ctx, env, n.Arg, batch)
	if err != nil {
		return nil, err
	}
	defer v.Release()
	return notArray(env, v), nil
}

// notArray negates a boolean array, keeping its nulls.
func notArray(env *Env, v arrow.Array) arrow.Array {
	m := v.Len()
	if v.DataType().ID() == arrow.NULL {
		return constBool(env.Mem, m, false, true)
	}
	vals, off := bitmapOf(v)
	data := newBuffer(env.Mem, int(bitutil.BytesForBits(int64(m))))
	bitutil.InvertBitmap(vals, off, m, data.Bytes(), 0)
	valid, nulls := copyValidity(env.Mem, v)
	return boolArray(m, valid, nulls, data)
}

// String implements Expr.
func (n *Not) String() string { return "(NOT " + n.Arg.String() + ")" }

// Type implements Expr.
func (n *IsNull) Type() pgtype.Type { return pgtype.Bool }

// Eval implements Expr.
func (n *IsNull) Eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	return evalTop(ctx, env, n, batch)
}

func (n *IsNull) eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	v, err := evalNode(ctx, env, n.Arg, batch)
	if err != nil {
		return nil, err
	}
	defer v.Release()
	m := v.Len()
	data := allocBitmap(env.Mem, m)
	switch {
	case v.DataType().ID() == arrow.NULL || v.NullN() == m:
		if !n.Not {
			bitutil.SetBitsTo(data.Bytes(), 0, int64(m), true)
		}
	case v.NullN() == 0:
		if n.Not {
			bitutil.SetBitsTo(data.Bytes(), 0, int64(m), true)
		}
	default:
		bits, off := v.NullBitmapBytes(), v.Data().Offset()
		if n.Not {
			bitutil.CopyBitmap(bits, off, m, data.Bytes(), 0)
		} else {
			bitutil.InvertBitmap(bits, off, m, data.Bytes(), 0)
		}
	}
	return boolArray(m, nil, 0, data), nil
}

// String implements Expr.
func (n *IsNull) String() string {
	if n.Not {
		return "(" + n.Arg.String() + " IS NOT NULL)"
	}
	return "(" + n.Arg.String() + " IS NULL)"
}

// Type implements Expr.
func (d *IsDistinct) Type() pgtype.Type { return pgtype.Bool }

// Eval implements Expr.
func (d *IsDistinct) Eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	return evalTop(ctx, env, d, batch)
}

func (d *IsDistinct) eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	l, err := evalNode(ctx, env, d.L, batch)
	if err != nil {
		return nil, err
	}
	defer l.Release()
	r, err := evalNode(ctx, env, d.R, batch)
	if err != nil {
		return nil, err
	}
	defer r.Release()
	n := max(l.Len(), r.Len())
	if l.Len() == 1 && r.Len() == 1 {
		n = 1
	} else if dependsOnRows(d.L) || dependsOnRows(d.R) {
		n = int(batch.NumRows())
	}
	eq, err := compareArrays(env.Mem, cmpEQ, l, r, n)
	if err != nil {
		return nil, err
	}
	defer eq.Release()
	data := allocBitmap(env.Mem, n)
	out := data.Bytes()
	at := func(a arrow.Array, i int) int {
		if a.Len() == 1 {
			return 0
		}
		return i
	}
	nullL := func(i int) bool { return l.DataType().ID() == arrow.NULL || l.IsNull(at(l, i)) }
	nullR := func(i int) bool { return r.DataType().ID() == arrow.NULL || r.IsNull(at(r, i)) }
	ev, eoff := bitmapOf(eq)
	for i := 0; i < n; i++ {
		ln, rn := nullL(i), nullR(i)
		var distinct bool
		switch {
		case ln && rn:
			distinct = false
		case ln || rn:
			distinct = true
		default:
			distinct = !bitutil.BitIsSet(ev, eoff+i)
		}
		if distinct != d.Not {
			bitutil.SetBit(out, i)
		}
	}
	return boolArray(n, nil, 0, data), nil
}

// String implements Expr.
func (d *IsDistinct) String() string {
	if d.Not {
		return "(" + d.L.String() + " IS NOT DISTINCT FROM " + d.R.String() + ")"
	}
	return "(" + d.L.String() + " IS DISTINCT FROM " + d.R.String() + ")"
}
