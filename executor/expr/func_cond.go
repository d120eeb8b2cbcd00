package expr

import (
	"context"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// GREATEST, LEAST and NULLIF are not catalogue functions in PostgreSQL:
// their arguments are converted to a common type (select_common_type),
// and GREATEST and LEAST ignore NULLs. "||" also accepts one non-string
// operand (PostgreSQL's anynonarray || text), which is converted to text.

func init() {
	special["greatest"] = resolveExtremum
	special["least"] = resolveExtremum
	special["nullif"] = resolveNullif
	special["||"] = resolveConcatOp
}

func resolveExtremum(name string, args []pgtype.Type) (*Function, error) {
	if len(args) == 0 {
		return nil, undefined(name, args)
	}
	ctxName := "GREATEST"
	op := cmpGT
	if name == "least" {
		ctxName, op = "LEAST", cmpLT
	}
	t, err := CommonType(ctxName, args)
	if err != nil {
		return nil, err
	}
	if !comparableType(t) {
		return nil, sqlstate.New(sqlstate.UndefinedFunction, "could not identify a comparison function for type %s", t)
	}
	ts := make([]pgtype.Type, len(args))
	for i := range ts {
		ts[i] = t
	}
	return &Function{Name: name, Args: ts, Result: t, CalledOnNull: true, Kernel: extremumKernel(op, t)}, nil
}

// comparableType reports whether values of t can be ordered.
func comparableType(t pgtype.Type) bool {
	for _, f := range registry["<"] {
		if f.Args[0].OID == t.OID && f.Kernel != nil {
			return true
		}
	}
	return isStringType(t.OID)
}

// extremumKernel keeps, per row, the greatest (op >) or least (op <)
// non-null argument.
func extremumKernel(op cmpOp, t pgtype.Type) kernelFunc {
	return func(ctx context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		best, err := broadcast(env.Mem, args[0], n)
		if err != nil {
			return nil, err
		}
		for _, a := range args[1:] {
			if a.DataType().ID() == arrow.NULL {
				continue
			}
			if best.DataType().ID() == arrow.NULL {
				best.Release()
				if best, err = broadcast(env.Mem, a, n); err != nil {
					return nil, err
				}
				continue
			}
			res := make([]bool, n)
			if err := compareInto(op, a, best, n, res); err != nil {
				best.Release()
				return nil, err
			}
			var keep, take []int32
			for i := range res {
				j := i
				if a.Len() == 1 {
					j = 0
				}
				if a.IsValid(j) && (best.IsNull(i) || res[i]) {
					take = append(take, int32(i))
				} else {
					keep = append(keep, int32(i))
				}
			}
			if len(take) == 0 {
				continue
			}
			p := newPicker(n)
			best.Retain()
			p.add(best, allRows(n))
			sub := a
			if a.Len() != 1 {
				if sub, err = takeArray(ctx, env.Mem, a, take); err != nil {
					p.release()
					best.Release()
					return nil, err
				}
			} else {
				a.Retain()
			}
			p.add(sub, take)
			next, err := p.build(ctx, env, t)
			p.release()
			best.Release()
			if err != nil {
				return nil, err
			}
			best = next
		}
		return best, nil
	}
}

func resolveNullif(name string, args []pgtype.Type) (*Function, error) {
	if len(args) != 2 {
		return nil, undefined(name, args)
	}
	t, err := CommonType("NULLIF", args)
	if err != nil {
		return nil, err
	}
	if !comparableType(t) {
		return nil, undefined("=", []pgtype.Type{t, t})
	}
	return &Function{Name: name, Args: []pgtype.Type{t, t}, Result: t, CalledOnNull: true, Kernel: nullifKernel(t)}, nil
}

func nullifKernel(t pgtype.Type) kernelFunc {
	return func(ctx context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		a, b := args[0], args[1]
		if b.DataType().ID() == arrow.NULL || a.DataType().ID() == arrow.NULL {
			return broadcast(env.Mem, a, n)
		}
		res := make([]bool, n)
		if err := compareInto(cmpEQ, a, b, n, res); err != nil {
			return nil, err
		}
		var keep []int32
		for i := range res {
			ai, bi := i, i
			if a.Len() == 1 {
				ai = 0
			}
			if b.Len() == 1 {
				bi = 0
			}
			if a.IsNull(ai) || b.IsNull(bi) || !res[i] {
				keep = append(keep, int32(i))
			}
		}
		full, err := broadcast(env.Mem, a, n)
		if err != nil {
			return nil, err
		}
		if len(keep) == n {
			return full, nil
		}
		p := newPicker(n)
		defer p.release()
		var sub arrow.Array
		if sub, err = takeArray(ctx, env.Mem, full, keep); err != nil {
			full.Release()
			return nil, err
		}
		full.Release()
		p.add(sub, keep)
		return p.build(ctx, env, t)
	}
}

func resolveConcatOp(name string, args []pgtype.Type) (*Function, error) {
	if f, ok, err := resolveArrayConcat(name, args); ok {
		return f, err
	}
	f, err := resolveCatalog(name, args)
	if err == nil || len(args) != 2 || sqlstate.CodeOf(err) != sqlstate.UndefinedFunction {
		return f, err
	}
	stringy := func(t pgtype.Type) bool { return isStringType(t.OID) || t.OID == pgtype.OIDUnknown }
	nonArray := func(t pgtype.Type) bool { return typeCategory(t.OID) != 'A' }
	if stringy(args[0]) && nonArray(args[1]) || stringy(args[1]) && nonArray(args[0]) {
		for _, c := range registry[name] {
			if c.Args[0].OID == pgtype.OIDText && c.Args[1].OID == pgtype.OIDText {
				return c, nil
			}
		}
	}
	return nil, err
}
