package expr

import (
	"context"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/bitutil"

	"github.com/lancegate/lancegate/executor/pgtype"
)

// "x IN (a, b)" is "x = a OR x = b" with SQL's three-valued OR: TRUE when
// some element equals x, else NULL when x or some element is NULL, else
// FALSE; NOT IN negates that (NULL stays NULL).

// Type implements Expr.
func (in *In) Type() pgtype.Type { return pgtype.Bool }

// Eval implements Expr.
func (in *In) Eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	return evalTop(ctx, env, in, batch)
}

func (in *In) eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	n := int(batch.NumRows())
	if exprsConstant(append([]Expr{in.Arg}, in.List...)...) {
		n = 1
	}
	arg, err := evalNode(ctx, env, in.Arg, batch)
	if err != nil {
		return nil, err
	}
	defer arg.Release()
	nb := int(bitutil.BytesForBits(int64(n)))
	found := make([]byte, nb)
	null := make([]byte, nb)
	res := make([]bool, n)
	for _, e := range in.List {
		v, err := evalNode(ctx, env, e, batch)
		if err != nil {
			return nil, err
		}
		eq, err := compareArrays(env.Mem, cmpEQ, arg, v, n)
		v.Release()
		if err != nil {
			return nil, err
		}
		for i := range res {
			switch {
			case eq.IsNull(i):
				bitutil.SetBit(null, i)
			case isTrue(eq, i):
				bitutil.SetBit(found, i)
			}
		}
		eq.Release()
	}
	data := allocBitmap(env.Mem, n)
	valid := allocBitmap(env.Mem, n)
	db, vb := data.Bytes(), valid.Bytes()
	nulls := 0
	for i := 0; i < n; i++ {
		switch {
		case bitutil.BitIsSet(found, i):
			if !in.Not {
				bitutil.SetBit(db, i)
			}
			bitutil.SetBit(vb, i)
		case bitutil.BitIsSet(null, i) || len(in.List) == 0 && (arg.DataType().ID() == arrow.NULL || arg.IsNull(min(i, arg.Len()-1))):
			nulls++
		default:
			if in.Not {
				bitutil.SetBit(db, i)
			}
			bitutil.SetBit(vb, i)
		}
	}
	return boolArray(n, valid, nulls, data), nil
}

// String implements Expr.
func (in *In) String() string {
	parts := make([]string, len(in.List))
	for i, e := range in.List {
		parts[i] = e.String()
	}
	op := " IN ("
	if in.Not {
		op = " NOT IN ("
	}
	return "(" + in.Arg.String() + op + strings.Join(parts, ", ") + "))"
}
