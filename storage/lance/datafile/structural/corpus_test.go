package structural_test

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
)

// parseCorpus reads the "go test fuzz v1" format: one Go literal a line,
// each []byte("..."), uint64(N) or byte(N).
func parseCorpus(b []byte) ([]any, error) {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	if len(lines) == 0 || string(lines[0]) != "go test fuzz v1" {
		return nil, fmt.Errorf("not a fuzz corpus file")
	}
	var out []any
	for _, l := range lines[1:] {
		e, err := parser.ParseExpr(string(l))
		if err != nil {
			return nil, err
		}
		call, ok := e.(*ast.CallExpr)
		if !ok || len(call.Args) != 1 {
			return nil, fmt.Errorf("unexpected line %q", l)
		}
		lit, ok := call.Args[0].(*ast.BasicLit)
		if !ok {
			return nil, fmt.Errorf("unexpected argument in %q", l)
		}
		switch fn := call.Fun.(type) {
		case *ast.ArrayType:
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return nil, err
			}
			out = append(out, []byte(s))
		case *ast.Ident:
			var v uint64
			var err error
			if lit.Kind == token.CHAR {
				var r string
				r, err = strconv.Unquote(lit.Value)
				if err == nil && len(r) > 0 {
					v = uint64(r[0])
				}
			} else {
				v, err = strconv.ParseUint(lit.Value, 0, 64)
			}
			if err != nil {
				return nil, err
			}
			switch fn.Name {
			case "uint64":
				out = append(out, v)
			case "byte", "uint8":
				out = append(out, byte(v))
			default:
				return nil, fmt.Errorf("unexpected type %s", fn.Name)
			}
		default:
			return nil, fmt.Errorf("unexpected line %q", l)
		}
	}
	return out, nil
}
