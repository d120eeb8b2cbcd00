package expr

import (
	"context"
	"encoding/json"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// json_build_object(k1, v1, …): a json object of the pairs, keys as their
// text, values as JSON (numbers and booleans bare, NULL as null, json
// values as they are, anything else as a string of its text form).
// SQLAlchemy's reflection builds identity options with it.

func init() {
	special["json_build_object"] = resolveJSONBuildObject
}

func resolveJSONBuildObject(name string, args []pgtype.Type) (*Function, error) {
	if len(args)%2 != 0 {
		return nil, sqlstate.New(sqlstate.InvalidParameterValue, "argument list must have even number of elements").
			WithHint("The arguments of json_build_object() must consist of alternating keys and values.")
	}
	fargs := make([]pgtype.Type, len(args))
	for i, t := range args {
		if t.OID == pgtype.OIDUnknown {
			t = pgtype.Text
		}
		fargs[i] = t
	}
	return &Function{Name: name, Args: fargs, Result: pgtype.Type{OID: pgtype.OIDJSON, Mod: -1}, CalledOnNull: true, Kernel: jsonBuildObjectKernel(fargs)}, nil
}

func jsonBuildObjectKernel(types []pgtype.Type) kernelFunc {
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		opts := textOptions(env)
		var buf, text []byte
		return nullableText(env.Mem, n, func(i int) (string, bool, error) {
			buf = append(buf[:0], '{')
			for k := 0; k+1 < len(args); k += 2 {
				key, val := args[k], args[k+1]
				rk, rv := i, i
				if key.Len() == 1 {
					rk = 0
				}
				if val.Len() == 1 {
					rv = 0
				}
				if key.IsNull(rk) {
					return "", false, sqlstate.New(sqlstate.NullValueNotAllowed, "null value not allowed for object key")
				}
				if k > 0 {
					buf = append(buf, ", "...)
				}
				text = pgtype.AppendText(text[:0], types[k], key, rk, opts)
				buf = appendJSONString(buf, text)
				buf = append(buf, " : "...)
				if val.DataType().ID() == arrow.NULL || val.IsNull(rv) {
					buf = append(buf, "null"...)
					continue
				}
				text = pgtype.AppendText(text[:0], types[k+1], val, rv, opts)
				switch {
				case types[k+1].OID == pgtype.OIDBool:
					if len(text) > 0 && text[0] == 't' {
						buf = append(buf, "true"...)
					} else {
						buf = append(buf, "false"...)
					}
				case types[k+1].OID == pgtype.OIDJSON, isNumber(types[k+1].OID) && json.Valid(text):
					buf = append(buf, text...)
				default:
					buf = appendJSONString(buf, text)
				}
			}
			buf = append(buf, '}')
			return string(buf), true, nil
		})
	}
}

// appendJSONString appends s as a JSON string literal.
func appendJSONString(dst, s []byte) []byte {
	q, _ := json.Marshal(string(s))
	return append(dst, q...)
}
