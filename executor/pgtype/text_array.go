package pgtype

import (
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// Arrays (pg-compat.md §3.4) are Arrow lists of their elements, one
// dimension, lower bound 1 (0 for int2vector and oidvector, which are
// arrays with a space-separated text form of their own).
//
// Text input is array_in's: '{1,2,NULL}', white space around elements
// and braces ignored, elements double-quoted ("a b", "c\"d") or bare
// (a backslash escapes the next character, trailing white space is
// cut, a bare NULL in any case is SQL NULL), '{}' the empty array. A
// nested brace (a multi-dimensional array) and dimension decorations
// ('[1:2]={1,2}') are 0A000; anything else malformed is 22P02
// `malformed array literal: "…"` with PostgreSQL's detail.
//
// Text output quotes an element that is empty, equals NULL in any case,
// or holds one of {}",\ or white space, escaping " and \ with a
// backslash; gateway/codec's array encoder shares AppendArrayElement.

func init() {
	// Every type with an array type has its array in the catalogue:
	// _date, _numeric, _timestamptz, … with the element's Arrow mapping.
	for oid, i := range infos {
		if i.Array == 0 {
			continue
		}
		if _, ok := infos[i.Array]; ok {
			continue
		}
		infos[i.Array] = Info{OID: i.Array, Name: "_" + i.Name, Len: -1, Category: 'A', Elem: oid}
	}
	for oid, i := range infos {
		if i.Category == 'A' && i.Elem != 0 && i.Name[0] == '_' {
			if e, ok := infos[i.Elem]; ok && e.Array == 0 {
				e.Array = oid
				infos[i.Elem] = e
			}
		}
	}
}

// IsArray reports whether oid is an array type (including int2vector and
// oidvector), whose values are Arrow lists of the element type.
func IsArray(oid uint32) bool {
	i, ok := infos[oid]
	return ok && i.Category == 'A' && i.Elem != 0
}

// IsVectorArray reports whether oid is int2vector or oidvector: 0-based
// arrays whose text form is the elements separated by spaces.
func IsVectorArray(oid uint32) bool { return oid == OIDInt2Vector || oid == OIDOIDVector }

// ArrayOf returns the array type of element type t (with t's modifier),
// and false when t has none.
func ArrayOf(t Type) (Type, bool) {
	i, ok := infos[t.OID]
	if !ok || i.Array == 0 {
		return Type{}, false
	}
	return Type{OID: i.Array, Mod: t.Mod}, true
}

// ElemOf returns the element type of array type t (with t's modifier).
func ElemOf(t Type) Type {
	return Type{OID: infos[t.OID].Elem, Mod: t.Mod}
}

// malformedArray is array_in's 22P02 error.
func malformedArray(s, detail string) error {
	return sqlstate.New(sqlstate.InvalidTextRepresentation, "malformed array literal: \"%s\"", s).WithDetail("%s", detail)
}

// ParseArrayText parses the text form of a value of array type t into
// its elements' text, nil standing for NULL. It checks the syntax only;
// ParseText parses the elements as the element type.
func ParseArrayText(t Type, s string) ([]*string, error) {
	if IsVectorArray(t.OID) {
		var out []*string
		for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r < 0x80 && isSpace(byte(r)) }) {
			f := f
			out = append(out, &f)
		}
		return out, nil
	}
	p := trimSpace(s)
	if p == "" {
		return nil, malformedArray(s, `Array value must start with "{" or dimension information.`)
	}
	if p[0] == '[' {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "array dimension decorations are not supported: \"%s\"", s)
	}
	if p[0] != '{' {
		return nil, malformedArray(s, `Array value must start with "{" or dimension information.`)
	}
	var out []*string
	i := 1
	skip := func() {
		for i < len(p) && isSpace(p[i]) {
			i++
		}
	}
	skip()
	if i < len(p) && p[i] == '}' {
		i++
		skip()
		if i != len(p) {
			return nil, malformedArray(s, "Junk after closing right brace.")
		}
		return []*string{}, nil
	}
	for {
		skip()
		if i >= len(p) {
			return nil, malformedArray(s, "Unexpected end of input.")
		}
		var elem strings.Builder
		quoted, null := false, false
		switch p[i] {
		case '{':
			return nil, sqlstate.New(sqlstate.FeatureNotSupported, "multidimensional arrays are not supported: \"%s\"", s)
		case ',', '}':
			return nil, malformedArray(s, "Unexpected \""+string(p[i])+"\" character.")
		case '"':
			quoted = true
			i++
			closed := false
			for i < len(p) && !closed {
				switch c := p[i]; c {
				case '\\':
					if i+1 >= len(p) {
						return nil, malformedArray(s, "Unexpected end of input.")
					}
					elem.WriteByte(p[i+1])
					i += 2
				case '"':
					closed = true
					i++
				default:
					elem.WriteByte(c)
					i++
				}
			}
			if !closed {
				return nil, malformedArray(s, "Unexpected end of input.")
			}
		default:
			// Bare element: up to , or }, trailing unescaped white space cut.
			keep := 0 // length of elem up to the last escaped or non-space byte
			escaped := false
			for i < len(p) && p[i] != ',' && p[i] != '}' {
				c := p[i]
				switch {
				case c == '\\':
					if i+1 >= len(p) {
						return nil, malformedArray(s, "Unexpected end of input.")
					}
					elem.WriteByte(p[i+1])
					i += 2
					keep = elem.Len()
					escaped = true
					continue
				case c == '"' || c == '{':
					return nil, malformedArray(s, "Unexpected \""+string(c)+"\" character.")
				}
				elem.WriteByte(c)
				if !isSpace(c) {
					keep = elem.Len()
				}
				i++
			}
			v := elem.String()[:keep]
			elem.Reset()
			elem.WriteString(v)
			null = !escaped && strings.EqualFold(v, "NULL")
		}
		skip()
		if i >= len(p) {
			return nil, malformedArray(s, "Unexpected end of input.")
		}
		if !quoted && null {
			out = append(out, nil)
		} else {
			v := elem.String()
			out = append(out, &v)
		}
		switch p[i] {
		case ',':
			i++
			continue
		case '}':
			i++
			skip()
			if i != len(p) {
				return nil, malformedArray(s, "Junk after closing right brace.")
			}
			return out, nil
		default:
			return nil, malformedArray(s, "Unexpected array element.")
		}
	}
}

// parseArray is ParseText for array types: a *scalar.List of the
// element type's Arrow type.
func parseArray(t Type, s string, tz *time.Location) (scalar.Scalar, error) {
	et := ElemOf(t)
	edt, err := et.Arrow()
	if err != nil {
		return nil, unsupported(t)
	}
	elems, err := ParseArrayText(t, s)
	if err != nil {
		return nil, err
	}
	vals := make([]scalar.Scalar, len(elems))
	for i, e := range elems {
		if e == nil {
			if IsVectorArray(t.OID) {
				return nil, syntaxError(et.String(), "NULL")
			}
			continue
		}
		v, err := ParseText(et, *e, tz)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	arr, err := ArrayFromScalars(memory.DefaultAllocator, edt, vals)
	if err != nil {
		return nil, err
	}
	return scalar.NewListScalar(arr), nil
}

// ArrayFromScalars builds an array of type dt from scalars of that type
// (nil or invalid ones are NULL).
func ArrayFromScalars(mem memory.Allocator, dt arrow.DataType, vals []scalar.Scalar) (arrow.Array, error) {
	if len(vals) == 0 {
		return array.MakeArrayOfNull(mem, dt, 0), nil
	}
	parts := make([]arrow.Array, len(vals))
	defer func() {
		for _, p := range parts {
			if p != nil {
				p.Release()
			}
		}
	}()
	for i, v := range vals {
		if v == nil || !v.IsValid() {
			parts[i] = array.MakeArrayOfNull(mem, dt, 1)
			continue
		}
		a, err := scalar.MakeArrayFromScalar(v, 1, mem)
		if err != nil {
			return nil, sqlstate.Wrap(err, sqlstate.InternalError, "array element: %v", err)
		}
		if !arrow.TypeEqual(a.DataType(), dt) {
			// The same layout under another label (decimal scale,
			// timestamp zone) takes the element type's label.
			d := array.NewData(dt, a.Len(), a.Data().Buffers(), a.Data().Children(), a.NullN(), a.Data().Offset())
			b := array.MakeFromData(d)
			d.Release()
			a.Release()
			a = b
		}
		parts[i] = a
	}
	if len(parts) == 1 {
		parts[0].Retain()
		return parts[0], nil
	}
	out, err := array.Concatenate(parts, mem)
	if err != nil {
		return nil, sqlstate.Wrap(err, sqlstate.InternalError, "array elements: %v", err)
	}
	return out, nil
}

// NeedsArrayQuotes reports whether an element's text must be quoted in
// an array's text form.
func NeedsArrayQuotes(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	if len(b) == 4 && (b[0]|0x20) == 'n' && (b[1]|0x20) == 'u' && (b[2]|0x20) == 'l' && (b[3]|0x20) == 'l' {
		return true
	}
	for _, c := range b {
		switch c {
		case '{', '}', '"', ',', '\\', ' ', '\t', '\n', '\r', '\v', '\f':
			return true
		}
	}
	return false
}

// AppendArrayElement appends an element's text to dst as array_out
// writes it: quoted and backslash-escaped when NeedsArrayQuotes.
func AppendArrayElement(dst, text []byte) []byte {
	if !NeedsArrayQuotes(text) {
		return append(dst, text...)
	}
	dst = append(dst, '"')
	for _, c := range text {
		if c == '"' || c == '\\' {
			dst = append(dst, '\\')
		}
		dst = append(dst, c)
	}
	return append(dst, '"')
}

// appendArrayText appends the text form of list value row of array type
// t: {a,"b c",NULL}, or "1 2" for int2vector and oidvector.
func appendArrayText(dst []byte, t Type, l *array.List, row int, o *TextOptions) []byte {
	beg, end := l.ValueOffsets(row)
	vals := l.ListValues()
	et := ElemOf(t)
	vec := IsVectorArray(t.OID)
	if !vec {
		dst = append(dst, '{')
	}
	var tmp []byte
	for i := int(beg); i < int(end); i++ {
		if i > int(beg) {
			if vec {
				dst = append(dst, ' ')
			} else {
				dst = append(dst, ',')
			}
		}
		if vals.IsNull(i) {
			dst = append(dst, "NULL"...)
			continue
		}
		tmp = AppendText(tmp[:0], et, vals, i, o)
		dst = AppendArrayElement(dst, tmp)
	}
	if !vec {
		dst = append(dst, '}')
	}
	return dst
}
