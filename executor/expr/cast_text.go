package expr

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// Casts to and from text use the types' text forms from pgtype
// (ParseText, AppendText), as PostgreSQL's CoerceViaIO does, except
// where PostgreSQL has a dedicated cast: bool to text is 'true'/'false',
// bpchar to text drops trailing spaces. Lengths follow the SQL standard:
// an explicit cast to varchar(n) or char(n) truncates, an assignment
// fails with 22001 unless only spaces are cut; char(n) pads with spaces.

// textOptions returns the session's text settings.
func textOptions(env *Env) *pgtype.TextOptions {
	if env.Text != nil {
		return env.Text
	}
	return pgtype.DefaultTextOptions()
}

// timeZone returns the session time zone.
func timeZone(env *Env) *time.Location {
	if env.Text != nil && env.Text.TimeZone != nil {
		return env.Text.TimeZone
	}
	return time.UTC
}

// castFromText parses every value of a string array as type to.
func castFromText(env *Env, a arrow.Array, from, to pgtype.Type) (arrow.Array, error) {
	if isStringType(to.OID) {
		return castToText(env, a, from, to, false)
	}
	dt, err := to.Arrow()
	if err != nil {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "cannot cast to type %s: %v", to, err)
	}
	strs := a.(*array.String)
	b := array.NewBuilder(env.Mem, dt)
	defer b.Release()
	b.Reserve(a.Len())
	tz := timeZone(env)
	for i := 0; i < a.Len(); i++ {
		if a.IsNull(i) {
			b.AppendNull()
			continue
		}
		s := strs.Value(i)
		if from.OID == pgtype.OIDBpchar {
			s = strings.TrimRight(s, " ")
		}
		sc, err := pgtype.ParseText(to, s, tz)
		if err != nil {
			return nil, err
		}
		err = appendScalar(b, sc)
		if r, ok := sc.(scalar.Releasable); ok {
			r.Release()
		}
		if err != nil {
			return nil, err
		}
	}
	return b.NewArray(), nil
}

// castToText formats every value of a as text, then applies to's length.
func castToText(env *Env, a arrow.Array, from, to pgtype.Type, assign bool) (arrow.Array, error) {
	n := a.Len()
	var out arrow.Array
	switch {
	case from.OID == pgtype.OIDBpchar && to.OID != pgtype.OIDBpchar:
		out = mapStrings(env.Mem, a, func(s string) string { return strings.TrimRight(s, " ") })
	case a.DataType().ID() == arrow.STRING:
		out = relabel(a, arrow.BinaryTypes.String)
	case from.OID == pgtype.OIDBool:
		b := array.NewStringBuilder(env.Mem)
		b.Reserve(n)
		bits, off := bitmapOf(a)
		for i := 0; i < n; i++ {
			switch {
			case a.IsNull(i):
				b.AppendNull()
			case bitIsSet(bits, off+i):
				b.Append("true")
			default:
				b.Append("false")
			}
		}
		out = b.NewArray()
		b.Release()
	default:
		b := array.NewStringBuilder(env.Mem)
		b.Reserve(n)
		opts := textOptions(env)
		var buf []byte
		for i := 0; i < n; i++ {
			if a.IsNull(i) {
				b.AppendNull()
				continue
			}
			buf = pgtype.AppendText(buf[:0], from, a, i, opts)
			b.BinaryBuilder.Append(buf)
		}
		out = b.NewArray()
		b.Release()
	}
	if to.Mod < 0 || to.OID != pgtype.OIDVarchar && to.OID != pgtype.OIDBpchar {
		return out, nil
	}
	defer out.Release()
	return castStringLength(env, out, to, assign)
}

// mapStrings applies f to every non-null string.
func mapStrings(mem memory.Allocator, a arrow.Array, f func(string) string) arrow.Array {
	strs := a.(*array.String)
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(a.Len())
	for i := 0; i < a.Len(); i++ {
		if a.IsNull(i) {
			b.AppendNull()
			continue
		}
		b.Append(f(strs.Value(i)))
	}
	return b.NewArray()
}

// castStringLength applies varchar(n) or char(n) to a string array.
func castStringLength(env *Env, a arrow.Array, to pgtype.Type, assign bool) (arrow.Array, error) {
	if to.Mod < 4 {
		return relabel(a, arrow.BinaryTypes.String), nil
	}
	limit := int(to.Mod - 4)
	strs := a.(*array.String)
	bp := to.OID == pgtype.OIDBpchar
	fits := true
	for i := 0; i < a.Len() && fits; i++ {
		l := len(strs.Value(i))
		fits = l <= limit && (!bp || a.IsNull(i) || utf8.RuneCountInString(strs.Value(i)) == limit)
	}
	if fits {
		return relabel(a, arrow.BinaryTypes.String), nil
	}
	b := array.NewStringBuilder(env.Mem)
	defer b.Release()
	b.Reserve(a.Len())
	for i := 0; i < a.Len(); i++ {
		if a.IsNull(i) {
			b.AppendNull()
			continue
		}
		s := strs.Value(i)
		if runes := utf8.RuneCountInString(s); runes > limit {
			cut := truncateRunes(s, limit)
			if assign && strings.TrimRight(s[len(cut):], " ") != "" {
				name := "character varying"
				if bp {
					name = "character"
				}
				return nil, sqlstate.New(sqlstate.StringDataRightTruncation, "value too long for type %s(%d)", name, limit)
			}
			s = cut
		} else if bp && runes < limit {
			s += strings.Repeat(" ", limit-runes)
		}
		b.Append(s)
	}
	return b.NewArray(), nil
}

// truncateRunes returns the first n characters of s.
func truncateRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// appendScalar appends a scalar of b's type to b.
func appendScalar(b array.Builder, sc scalar.Scalar) error {
	if sc == nil || !sc.IsValid() {
		b.AppendNull()
		return nil
	}
	switch bb := b.(type) {
	case *array.BooleanBuilder:
		bb.Append(sc.(*scalar.Boolean).Value)
	case *array.Int16Builder:
		bb.Append(sc.(*scalar.Int16).Value)
	case *array.Int32Builder:
		bb.Append(sc.(*scalar.Int32).Value)
	case *array.Int64Builder:
		bb.Append(sc.(*scalar.Int64).Value)
	case *array.Uint32Builder:
		bb.Append(sc.(*scalar.Uint32).Value)
	case *array.Float32Builder:
		bb.Append(sc.(*scalar.Float32).Value)
	case *array.Float64Builder:
		bb.Append(sc.(*scalar.Float64).Value)
	case *array.StringBuilder:
		bb.BinaryBuilder.Append(sc.(scalar.BinaryScalar).Data())
	case *array.BinaryBuilder:
		bb.Append(sc.(scalar.BinaryScalar).Data())
	case *array.Date32Builder:
		bb.Append(sc.(*scalar.Date32).Value)
	case *array.TimestampBuilder:
		bb.Append(sc.(*scalar.Timestamp).Value)
	case *array.Decimal128Builder:
		v := sc.(*scalar.Decimal128)
		want := bb.Type().(*arrow.Decimal128Type)
		got := v.DataType().(*arrow.Decimal128Type)
		if got.Scale != want.Scale {
			r, err := toNum(rescaleBig(v.Value.BigInt(), got.Scale, want.Scale), want.Precision, func() error { return errNumericField(want.Precision, want.Scale) })
			if err != nil {
				return err
			}
			bb.Append(r)
			return nil
		}
		bb.Append(v.Value)
	case *array.FixedSizeListBuilder:
		elems := listScalarValues(sc)
		want := int(bb.Type().(*arrow.FixedSizeListType).Len())
		if len(elems) != want {
			return errExpectedDims(want, len(elems))
		}
		bb.Append(true)
		bb.ValueBuilder().(*array.Float32Builder).AppendValues(elems, nil)
	case *array.ListBuilder:
		bb.Append(true)
		bb.ValueBuilder().(*array.Float32Builder).AppendValues(listScalarValues(sc), nil)
	default:
		return sqlstate.New(sqlstate.FeatureNotSupported, "cannot build values of Arrow type %s", b.Type())
	}
	return nil
}

// listScalarValues returns the float32 elements of a list scalar.
func listScalarValues(sc scalar.Scalar) []float32 {
	var v arrow.Array
	switch s := sc.(type) {
	case *scalar.List:
		v = s.Value
	case *scalar.FixedSizeList:
		v = s.Value
	}
	if v == nil {
		return nil
	}
	if f, ok := v.(*array.Float32); ok {
		return f.Float32Values()
	}
	return nil
}

func errExpectedDims(want, got int) error {
	return sqlstate.New(sqlstate.DataException, "expected %d dimensions, not %d", want, got)
}
