package expr

import (
	"context"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// Casts of arrays: text (and unknown) to an array parses array_in's form
// (pgtype.ParseText), an array to text prints array_out's (through
// castToText and pgtype.AppendText), and an array to another array type
// casts the elements (PostgreSQL's array_coerce), in the context of the
// element cast: int4[] → int8[] is implicit, int8[] → int4[] assignment,
// text[] → int4[] explicit. int2vector and oidvector are int2[] and oid[]
// implicitly, as pg_cast has it. pgvector's casts (real[] → vector, …)
// stay in cast_vector.go.

// arrayCastContext returns the context of a cast between array types,
// and false when from or to is not an array.
func arrayCastContext(from, to pgtype.Type) (castContext, bool) {
	if !isListArray(from.OID) || !isListArray(to.OID) {
		return castNone, false
	}
	switch {
	case from.OID == pgtype.OIDInt2Vector && to.OID == pgtype.OIDInt2Array,
		from.OID == pgtype.OIDOIDVector && to.OID == pgtype.OIDOIDArray:
		return castImplicit, true
	case pgtype.IsVectorArray(to.OID):
		return castNone, true
	}
	return contextOf(pgtype.ElemOf(from), pgtype.ElemOf(to)), true
}

// isListArray reports whether oid is an array type other than _vector.
func isListArray(oid uint32) bool {
	return pgtype.IsArray(oid) && oid != pgtype.OIDVectorArray
}

// castArrayTypes handles the array casts castArray cannot: text to array
// and array to array; ok is false for other casts.
func castArrayTypes(env *Env, a arrow.Array, from, to pgtype.Type, assign bool) (out arrow.Array, ok bool, err error) {
	switch {
	case !isListArray(to.OID) || from.OID == to.OID:
		return nil, false, nil
	case from.OID == pgtype.OIDUnknown || isStringType(from.OID):
		out, err = castTextToArray(env, a, from, to)
		return out, true, err
	case isListArray(from.OID):
		out, err = castElements(env, a, from, to, assign)
		return out, true, err
	}
	return nil, false, nil
}

// castTextToArray parses every string as an array of type to.
func castTextToArray(env *Env, a arrow.Array, from, to pgtype.Type) (arrow.Array, error) {
	lt, err := listType(to)
	if err != nil {
		return nil, err
	}
	strs, ok := a.(*array.String)
	if !ok {
		return nil, errCast(from, to)
	}
	vals := make([]scalar.Scalar, a.Len())
	tz := timeZone(env)
	for i := range vals {
		if a.IsNull(i) {
			continue
		}
		s := strs.Value(i)
		if from.OID == pgtype.OIDBpchar {
			s = strings.TrimRight(s, " ")
		}
		v, err := pgtype.ParseText(to, s, tz)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	return listFromScalars(context.Background(), env.Mem, to, lt, vals)
}

// castElements casts the elements of list array a from array type from
// to array type to, keeping the rows' shapes.
func castElements(env *Env, a arrow.Array, from, to pgtype.Type, assign bool) (arrow.Array, error) {
	lt, err := listType(to)
	if err != nil {
		return nil, err
	}
	l := listOf(a)
	if l == nil {
		return nil, errCast(from, to)
	}
	n := l.Len()
	offs := l.Offsets()
	lo, hi := int(offs[0]), int(offs[n])
	vals := array.NewSlice(l.ListValues(), int64(lo), int64(hi))
	defer vals.Release()
	elems, err := castArray(env, vals, pgtype.ElemOf(from), pgtype.ElemOf(to), assign)
	if err != nil {
		return nil, err
	}
	defer elems.Release()
	if !arrow.TypeEqual(elems.DataType(), lt.Elem()) {
		c, err := conformElems(env.Mem, elems, lt.Elem())
		if err != nil {
			return nil, err
		}
		defer c.Release()
		elems = c
	}
	offsets := make([]int32, n+1)
	valid := make([]bool, n)
	for i := 0; i <= n; i++ {
		offsets[i] = offs[i] - int32(lo)
	}
	for i := range valid {
		valid[i] = l.IsValid(i)
	}
	return makeList(env.Mem, lt, elems, offsets, valid), nil
}

func errCast(from, to pgtype.Type) error {
	return sqlstate.New(sqlstate.CannotCoerce, "cannot cast type %s to %s", from, to)
}
