package expr

import (
	"context"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// Array functions and operators (PostgreSQL 15's, one dimension). The
// catalogue's polymorphic anyarray signatures are registered once per
// array type lancegate knows, so that resolution needs nothing special:
// "polroles = '{0}'" finds oid[] = oid[], "ARRAY[1,2] @> ARRAY[1::int8]"
// casts int4[] to int8[] implicitly. int2vector and oidvector are arrays
// with lower bound 0.
//
//	array_length(a, dim), array_upper(a, dim), array_lower(a, dim),
//	array_ndims(a), array_dims(a), cardinality(a)
//	array_to_string(a, sep [, null_string]), string_to_array(s, sep [, null_string])
//	array_position(a, x [, start]), array_positions(a, x)
//	array_cat(a, b), array_append(a, x), array_prepend(x, a), array_remove(a, x)
//	a = b, <>, <, <=, >, >=, a @> b, a <@ b, a && b, a || b, a || x, x || a
//	current_schemas(implicit): the search path (public, after pg_catalog
//	when implicit schemas are asked for)

// arrayTypes returns the array types whose values lancegate computes
// with, in OID order.
func arrayTypes() []pgtype.Type {
	var out []pgtype.Type
	for _, i := range pgtype.Types() {
		t := pgtype.Type{OID: i.OID, Mod: -1}
		if !isListArray(i.OID) {
			continue
		}
		if _, err := t.Arrow(); err != nil {
			continue
		}
		out = append(out, t)
	}
	return out
}

func init() {
	for _, at := range arrayTypes() {
		et := pgtype.ElemOf(at)
		aa := []pgtype.Type{at, at}
		for _, op := range []string{"=", "<>", "<", "<=", ">", ">="} {
			register(&Function{Name: op, Args: aa, Result: pgtype.Bool, Kernel: arrayCompare(op)})
		}
		register(
			&Function{Name: "@>", Args: aa, Result: pgtype.Bool, Kernel: arrayContains(false)},
			&Function{Name: "<@", Args: aa, Result: pgtype.Bool, Kernel: arrayContains(true)},
			&Function{Name: "&&", Args: aa, Result: pgtype.Bool, Kernel: arrayOverlap},
			&Function{Name: "array_length", Args: []pgtype.Type{at, pgtype.Int4}, Result: pgtype.Int4, Kernel: arrayBound(at, "length")},
			&Function{Name: "array_upper", Args: []pgtype.Type{at, pgtype.Int4}, Result: pgtype.Int4, Kernel: arrayBound(at, "upper")},
			&Function{Name: "array_lower", Args: []pgtype.Type{at, pgtype.Int4}, Result: pgtype.Int4, Kernel: arrayBound(at, "lower")},
			&Function{Name: "array_ndims", Args: []pgtype.Type{at}, Result: pgtype.Int4, Kernel: arrayNdims},
			&Function{Name: "array_dims", Args: []pgtype.Type{at}, Result: pgtype.Text, Kernel: arrayDims(at)},
			&Function{Name: "cardinality", Args: []pgtype.Type{at}, Result: pgtype.Int4, Kernel: arrayCardinality},
			&Function{Name: "array_to_string", Args: []pgtype.Type{at, pgtype.Text}, Result: pgtype.Text, Kernel: arrayToString(at)},
			&Function{Name: "array_to_string", Args: []pgtype.Type{at, pgtype.Text, pgtype.Text}, Result: pgtype.Text, CalledOnNull: true, Kernel: arrayToString(at)},
			// unnest is bound in FROM (planner/bind_array.go); in a select
			// list, as a set-returning function, it resolves but is 0A000.
			&Function{Name: "unnest", Args: []pgtype.Type{at}, Result: et},
		)
		if pgtype.IsVectorArray(at.OID) {
			continue
		}
		register(
			&Function{Name: "array_position", Args: []pgtype.Type{at, et}, Result: pgtype.Int4, CalledOnNull: true, Kernel: arrayPosition},
			&Function{Name: "array_position", Args: []pgtype.Type{at, et, pgtype.Int4}, Result: pgtype.Int4, CalledOnNull: true, Kernel: arrayPosition},
			&Function{Name: "array_positions", Args: []pgtype.Type{at, et}, Result: pgtype.Type{OID: pgtype.OIDInt4Array, Mod: -1}, CalledOnNull: true, Kernel: arrayPositions},
			&Function{Name: "array_cat", Args: aa, Result: at, CalledOnNull: true, Kernel: arrayCat(at)},
			&Function{Name: "array_append", Args: []pgtype.Type{at, et}, Result: at, CalledOnNull: true, Kernel: arrayAppend(at, false)},
			&Function{Name: "array_prepend", Args: []pgtype.Type{et, at}, Result: at, CalledOnNull: true, Kernel: arrayAppend(at, true)},
			&Function{Name: "array_remove", Args: []pgtype.Type{at, et}, Result: at, CalledOnNull: true, Kernel: arrayRemove(at)},
		)
		arrayConcatOps = append(arrayConcatOps,
			&Function{Name: "||", Args: aa, Result: at, CalledOnNull: true, Kernel: arrayCat(at)},
			&Function{Name: "||", Args: []pgtype.Type{at, et}, Result: at, CalledOnNull: true, Kernel: arrayAppend(at, false)},
			&Function{Name: "||", Args: []pgtype.Type{et, at}, Result: at, CalledOnNull: true, Kernel: arrayAppend(at, true)},
		)
	}
	textArray := pgtype.Type{OID: pgtype.OIDTextArray, Mod: -1}
	register(
		&Function{Name: "current_schemas", Args: []pgtype.Type{pgtype.Bool}, Result: pgtype.Type{OID: pgtype.OIDNameArray, Mod: -1}, Kernel: currentSchemas},
	)
	register(
		&Function{Name: "string_to_array", Args: []pgtype.Type{pgtype.Text, pgtype.Text}, Result: textArray, CalledOnNull: true, Kernel: stringToArray},
		&Function{Name: "string_to_array", Args: []pgtype.Type{pgtype.Text, pgtype.Text, pgtype.Text}, Result: textArray, CalledOnNull: true, Kernel: stringToArray},
	)
}

// arrayConcatOps are the array overloads of ||, resolved only when an
// argument is an array (resolveArrayConcat), so that 'a' || 1 stays text.
var arrayConcatOps []*Function

// resolveArrayConcat resolves || among its array overloads (anyarray ||
// anyarray, anyarray || anyelement, anyelement || anyarray) when an
// argument is known to be an array; ok is false otherwise, and the
// string operator's resolution (func_cond.go) goes on, so that 'n' || 1
// stays 'n1'.
func resolveArrayConcat(name string, args []pgtype.Type) (f *Function, ok bool, err error) {
	for _, a := range args {
		if isListArray(a.OID) {
			f, err = resolveAmong(name, arrayConcatOps, args)
			return f, true, err
		}
	}
	return nil, false, nil
}

// arrayCompare is =, <>, <, <=, >, >= on arrays (array_eq, array_cmp).
func arrayCompare(op string) func(context.Context, *Env, []arrow.Array, int) (arrow.Array, error) {
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		a, b := listOf(args[0]), listOf(args[1])
		return boolResult(env.Mem, n, func(r int) (bool, bool) {
			if nullAt(a, r) || nullAt(b, r) {
				return false, true
			}
			ab, ae := span(a, r)
			bb, be := span(b, r)
			c := cmpRange(a.ListValues(), ab, ae, b.ListValues(), bb, be)
			switch op {
			case "=":
				return c == 0, false
			case "<>":
				return c != 0, false
			case "<":
				return c < 0, false
			case "<=":
				return c <= 0, false
			case ">":
				return c > 0, false
			}
			return c >= 0, false
		}), nil
	}
}

// contains reports whether every non-null element of a[ab:ae] is in
// b[bb:be]; a NULL element is in nothing.
func contains(a arrow.Array, ab, ae int, b arrow.Array, bb, be int) bool {
	for i := ab; i < ae; i++ {
		if a.IsNull(i) {
			return false
		}
		found := false
		for j := bb; j < be && !found; j++ {
			found = !b.IsNull(j) && cmpElem(a, i, b, j) == 0
		}
		if !found {
			return false
		}
	}
	return true
}

// arrayContains is a @> b (or a <@ b when reversed).
func arrayContains(reversed bool) func(context.Context, *Env, []arrow.Array, int) (arrow.Array, error) {
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		a, b := listOf(args[0]), listOf(args[1])
		if reversed {
			a, b = b, a
		}
		return boolResult(env.Mem, n, func(r int) (bool, bool) {
			if nullAt(a, r) || nullAt(b, r) {
				return false, true
			}
			ab, ae := span(a, r)
			bb, be := span(b, r)
			return contains(b.ListValues(), bb, be, a.ListValues(), ab, ae), false
		}), nil
	}
}

// arrayOverlap is a && b: some non-null element in both.
func arrayOverlap(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	a, b := listOf(args[0]), listOf(args[1])
	return boolResult(env.Mem, n, func(r int) (bool, bool) {
		if nullAt(a, r) || nullAt(b, r) {
			return false, true
		}
		ab, ae := span(a, r)
		bb, be := span(b, r)
		av, bv := a.ListValues(), b.ListValues()
		for i := ab; i < ae; i++ {
			for j := bb; j < be; j++ {
				if !av.IsNull(i) && !bv.IsNull(j) && cmpElem(av, i, bv, j) == 0 {
					return true, false
				}
			}
		}
		return false, false
	}), nil
}

// lowerBound is 1, or 0 for int2vector and oidvector.
func lowerBound(t pgtype.Type) int32 {
	if pgtype.IsVectorArray(t.OID) {
		return 0
	}
	return 1
}

// arrayBound is array_length, array_upper and array_lower: NULL for an
// empty array or a dimension other than 1.
func arrayBound(t pgtype.Type, which string) func(context.Context, *Env, []arrow.Array, int) (arrow.Array, error) {
	lb := lowerBound(t)
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		a, dims := listOf(args[0]), args[1].(*array.Int32)
		return int32Result(env.Mem, n, func(r int) (int32, bool) {
			if nullAt(a, r) || nullAt(dims, r) || dims.Value(row(dims, r)) != 1 {
				return 0, true
			}
			b, e := span(a, r)
			if e == b {
				return 0, true
			}
			switch which {
			case "length":
				return int32(e - b), false
			case "upper":
				return lb + int32(e-b) - 1, false
			}
			return lb, false
		}), nil
	}
}

func arrayNdims(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	a := listOf(args[0])
	return int32Result(env.Mem, n, func(r int) (int32, bool) {
		if nullAt(a, r) {
			return 0, true
		}
		b, e := span(a, r)
		return 1, e == b
	}), nil
}

func arrayDims(t pgtype.Type) func(context.Context, *Env, []arrow.Array, int) (arrow.Array, error) {
	lb := int64(lowerBound(t))
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		a := listOf(args[0])
		sb := array.NewStringBuilder(env.Mem)
		defer sb.Release()
		for r := 0; r < n; r++ {
			if nullAt(a, r) {
				sb.AppendNull()
				continue
			}
			b, e := span(a, r)
			if e == b {
				sb.AppendNull()
				continue
			}
			sb.Append("[" + formatInt(lb) + ":" + formatInt(lb+int64(e-b)-1) + "]")
		}
		return sb.NewArray(), nil
	}
}

func arrayCardinality(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	a := listOf(args[0])
	return int32Result(env.Mem, n, func(r int) (int32, bool) {
		if nullAt(a, r) {
			return 0, true
		}
		b, e := span(a, r)
		return int32(e - b), false
	}), nil
}

// arrayToString joins the elements' text with sep; NULL elements are
// skipped, or written as the third argument when it is given and not
// NULL.
func arrayToString(t pgtype.Type) func(context.Context, *Env, []arrow.Array, int) (arrow.Array, error) {
	et := pgtype.ElemOf(t)
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		a := listOf(args[0])
		sep := args[1]
		opts := textOptions(env)
		sb := array.NewStringBuilder(env.Mem)
		defer sb.Release()
		var buf []byte
		for r := 0; r < n; r++ {
			if nullAt(a, r) || nullAt(sep, r) {
				sb.AppendNull()
				continue
			}
			s := sep.(*array.String).Value(row(sep, r))
			nullStr, useNull := "", false
			if len(args) == 3 && !nullAt(args[2], r) {
				nullStr, useNull = args[2].(*array.String).Value(row(args[2], r)), true
			}
			b, e := span(a, r)
			vals := a.ListValues()
			buf = buf[:0]
			first := true
			for i := b; i < e; i++ {
				if vals.IsNull(i) && !useNull {
					continue
				}
				if !first {
					buf = append(buf, s...)
				}
				first = false
				if vals.IsNull(i) {
					buf = append(buf, nullStr...)
					continue
				}
				buf = pgtype.AppendText(buf, et, vals, i, opts)
			}
			sb.BinaryBuilder.Append(buf)
		}
		return sb.NewArray(), nil
	}
}

// elemEqual reports whether element i of vals is NOT DISTINCT FROM x at
// row xr (array_position's comparison).
func elemEqual(vals arrow.Array, i int, x arrow.Array, xr int) bool {
	xn := x.DataType().ID() == arrow.NULL || x.IsNull(xr)
	if vals.IsNull(i) || xn {
		return vals.IsNull(i) && xn
	}
	return cmpElem(vals, i, x, xr) == 0
}

// arrayPosition is array_position(a, x [, start]): the subscript of the
// first element NOT DISTINCT FROM x, at or after start.
func arrayPosition(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	a, x := listOf(args[0]), args[1]
	for r := 0; r < n && len(args) == 3; r++ {
		if nullAt(args[2], r) && !nullAt(a, r) {
			return nil, sqlstate.New(sqlstate.NullValueNotAllowed, "initial position must not be null")
		}
	}
	return int32Result(env.Mem, n, func(r int) (int32, bool) {
		if nullAt(a, r) {
			return 0, true
		}
		b, e := span(a, r)
		from := b
		if len(args) == 3 {
			s := int(args[2].(*array.Int32).Value(row(args[2], r)))
			from = b + max(s, 1) - 1
		}
		for i := from; i < e; i++ {
			if elemEqual(a.ListValues(), i, x, row(x, r)) {
				return int32(i - b + 1), false
			}
		}
		return 0, true
	}), nil
}

// arrayPositions is array_positions(a, x): every such subscript.
func arrayPositions(ctx context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	a, x := listOf(args[0]), args[1]
	b := array.NewListBuilder(env.Mem, arrow.PrimitiveTypes.Int32)
	defer b.Release()
	vb := b.ValueBuilder().(*array.Int32Builder)
	for r := 0; r < n; r++ {
		if nullAt(a, r) {
			b.AppendNull()
			continue
		}
		b.Append(true)
		lo, hi := span(a, r)
		for i := lo; i < hi; i++ {
			if elemEqual(a.ListValues(), i, x, row(x, r)) {
				vb.Append(int32(i - lo + 1))
			}
		}
	}
	return b.NewArray(), nil
}

// arrayCat is array_cat(a, b) and a || b: a NULL side counts as empty,
// both NULL is NULL.
func arrayCat(t pgtype.Type) func(context.Context, *Env, []arrow.Array, int) (arrow.Array, error) {
	return func(ctx context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		lt, err := listType(t)
		if err != nil {
			return nil, err
		}
		a, b := listOf(args[0]), listOf(args[1])
		parts := []arrow.Array{}
		if a != nil {
			parts = append(parts, a.ListValues())
		}
		if b != nil {
			parts = append(parts, b.ListValues())
		}
		if len(parts) == 0 {
			return nullArray(env.Mem, lt, n), nil
		}
		vals, starts, err := concatValues(env.Mem, pgtype.ElemOf(t), lt.Elem(), parts...)
		if err != nil {
			return nil, err
		}
		defer vals.Release()
		bStart := starts[len(starts)-1]
		m := newListMaker(n)
		for r := 0; r < n; r++ {
			an, bn := a == nil || a.IsNull(row(a, r)), b == nil || b.IsNull(row(b, r))
			if an && bn {
				m.end(true)
				continue
			}
			if !an {
				lo, hi := span(a, r)
				m.add(lo, hi)
			}
			if !bn {
				lo, hi := span(b, r)
				m.add(bStart+lo, bStart+hi)
			}
			m.end(false)
		}
		return m.build(ctx, env.Mem, lt, vals)
	}
}

// arrayAppend is array_append(a, x) (array_prepend(x, a) when prepend):
// a NULL array counts as empty.
func arrayAppend(t pgtype.Type, prepend bool) func(context.Context, *Env, []arrow.Array, int) (arrow.Array, error) {
	return func(ctx context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		lt, err := listType(t)
		if err != nil {
			return nil, err
		}
		la, x := args[0], args[1]
		if prepend {
			la, x = x, la
		}
		a := listOf(la)
		parts := []arrow.Array{x}
		if a != nil {
			parts = append(parts, a.ListValues())
		}
		vals, starts, err := concatValues(env.Mem, pgtype.ElemOf(t), lt.Elem(), parts...)
		if err != nil {
			return nil, err
		}
		defer vals.Release()
		m := newListMaker(n)
		for r := 0; r < n; r++ {
			if prepend {
				m.addOne(row(x, r))
			}
			if a != nil && !a.IsNull(row(a, r)) {
				lo, hi := span(a, r)
				m.add(starts[1]+lo, starts[1]+hi)
			}
			if !prepend {
				m.addOne(row(x, r))
			}
			m.end(false)
		}
		return m.build(ctx, env.Mem, lt, vals)
	}
}

// arrayRemove is array_remove(a, x): a without the elements NOT
// DISTINCT FROM x.
func arrayRemove(t pgtype.Type) func(context.Context, *Env, []arrow.Array, int) (arrow.Array, error) {
	return func(ctx context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		lt, err := listType(t)
		if err != nil {
			return nil, err
		}
		a, x := listOf(args[0]), args[1]
		if a == nil {
			return nullArray(env.Mem, lt, n), nil
		}
		m := newListMaker(n)
		vals := a.ListValues()
		for r := 0; r < n; r++ {
			if a.IsNull(row(a, r)) {
				m.end(true)
				continue
			}
			lo, hi := span(a, r)
			for i := lo; i < hi; i++ {
				if !elemEqual(vals, i, x, row(x, r)) {
					m.addOne(i)
				}
			}
			m.end(false)
		}
		return m.build(ctx, env.Mem, lt, vals)
	}
}

// stringToArray is string_to_array(s, sep [, null_string]): a NULL
// separator splits into characters, an empty one gives the whole string,
// an empty string gives {}; elements equal to null_string are NULL.
func stringToArray(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	str := func(a arrow.Array, r int) (string, bool) {
		if nullAt(a, r) {
			return "", false
		}
		return a.(*array.String).Value(row(a, r)), true
	}
	b := array.NewListBuilder(env.Mem, arrow.BinaryTypes.String)
	defer b.Release()
	vb := b.ValueBuilder().(*array.StringBuilder)
	for r := 0; r < n; r++ {
		s, ok := str(args[0], r)
		if !ok {
			b.AppendNull()
			continue
		}
		b.Append(true)
		if s == "" {
			continue
		}
		sep, hasSep := str(args[1], r)
		nullStr, hasNull := "", false
		if len(args) == 3 {
			nullStr, hasNull = str(args[2], r)
		}
		var parts []string
		switch {
		case !hasSep:
			for _, c := range s {
				parts = append(parts, string(c))
			}
		case sep == "":
			parts = []string{s}
		default:
			parts = strings.Split(s, sep)
		}
		for _, p := range parts {
			if hasNull && p == nullStr {
				vb.AppendNull()
			} else {
				vb.Append(p)
			}
		}
	}
	return b.NewArray(), nil
}

// currentSchemas is current_schemas(bool) for lancegate's fixed search
// path: {pg_catalog,public} with the implicit schemas, {public} without.
func currentSchemas(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	b := array.NewListBuilder(env.Mem, arrow.BinaryTypes.String)
	defer b.Release()
	vb := b.ValueBuilder().(*array.StringBuilder)
	implicit := args[0].(*array.Boolean)
	for r := 0; r < n; r++ {
		if nullAt(implicit, r) {
			b.AppendNull()
			continue
		}
		b.Append(true)
		if implicit.Value(row(implicit, r)) {
			vb.Append("pg_catalog")
		}
		vb.Append("public")
	}
	return b.NewArray(), nil
}
