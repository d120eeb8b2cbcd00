package planner

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/lancegate/lancegate/planner/dialect"
)

// dialectSource adapts a statement rewritten by the dialect bridge to
// Source.
type dialectSource struct {
	rw *dialect.Rewrite
}

// FromDialect returns the Source of a statement the dialect bridge
// rewrote (not a session statement).
func FromDialect(rw *dialect.Rewrite) Source { return dialectSource{rw: rw} }

func (s dialectSource) AST() ast.StmtNode { return s.rw.Node }

func (s dialectSource) ParamIndex(m ast.ParamMarkerExpr) int {
	if pm, ok := m.(*dialect.ParamMarker); ok {
		return pm.N - 1
	}
	return -1
}

func (s dialectSource) NumParams() int {
	n := 0
	count := func(side dialect.SideTable) {
		for _, p := range side.Params {
			n = max(n, p.N)
		}
	}
	count(s.rw.Side)
	if s.rw.Side.Returning != nil {
		count(s.rw.Side.Returning.Side)
	}
	return n
}

func (s dialectSource) Position(n ast.Node) int {
	// TiDB records positions of expressions only; names are found by
	// their first occurrence in the statement.
	ident := func(name string) int {
		if ps := s.rw.IdentPositions(name); len(ps) > 0 {
			return ps[0]
		}
		return 0
	}
	switch x := n.(type) {
	case nil:
		return 0
	case *ast.TableName:
		return ident(x.Name.O)
	case *ast.ColumnName:
		return ident(x.Name.O)
	case *ast.TableSource:
		if tn, ok := x.Source.(*ast.TableName); ok {
			return ident(tn.Name.O)
		}
	case *ast.ColumnDef:
		return ident(x.Name.Name.O)
	}
	return s.rw.NodePosition(n)
}

func (s dialectSource) ColumnType(col *ast.ColumnDef) (string, int32, bool) {
	for _, c := range s.rw.Side.Columns {
		if c.Name == col.Name.Name.O {
			name := c.Type.Name
			if c.Type.ArrayDims > 0 && !strings.Contains(name, "._") {
				name += "[]"
			}
			return name, int32(c.Type.Typmod), true
		}
	}
	return "", -1, false
}

func (s dialectSource) ColumnGenerated(col *ast.ColumnDef) (bool, byte) {
	for _, c := range s.rw.Side.Columns {
		if c.Name == col.Name.Name.O {
			return c.Serial, c.Identity
		}
	}
	return false, 0
}

func (s dialectSource) Returning() *ast.FieldList {
	r := s.rw.Side.Returning
	if r == nil {
		return nil
	}
	if sel, ok := r.Node.(*ast.SelectStmt); ok {
		return sel.Fields
	}
	return nil
}

// TableFunction recognises the bridge's form of a function in FROM,
// LATERAL (SELECT __pg_srf('name', args…)) AS alias, and returns the call
// as name(args…).
func (s dialectSource) TableFunction(ts *ast.TableSource) *ast.FuncCallExpr {
	sel, ok := ts.Source.(*ast.SelectStmt)
	if !ok || sel.Fields == nil || len(sel.Fields.Fields) != 1 || sel.From != nil {
		return nil
	}
	fc, ok := sel.Fields.Fields[0].Expr.(*ast.FuncCallExpr)
	if !ok {
		return nil
	}
	if name, ok := dialect.IsPGFunc(fc); !ok || name != "__pg_srf" || len(fc.Args) == 0 {
		return nil
	}
	fname, ok := dialect.StringArg(fc.Args[0])
	if !ok {
		return nil
	}
	return &ast.FuncCallExpr{FnName: ast.NewCIStr(fname), Args: fc.Args[1:]}
}

func (s dialectSource) AlterColumns() []dialect.AlterColumn { return s.rw.Side.AlterColumns }

func (s dialectSource) StorageParams() []StorageParam {
	var out []StorageParam
	for _, sp := range s.rw.Side.StorageParams {
		out = append(out, StorageParam{Name: sp.Name, Value: sp.Value, Pos: sp.Pos})
	}
	return out
}

func (s dialectSource) ColumnAliases(ts *ast.TableSource) []string {
	for _, a := range s.rw.Side.Aliases {
		if a.Alias == ts.AsName.O {
			return a.Columns
		}
	}
	for _, f := range s.rw.Side.Functions {
		if f.Alias == ts.AsName.O {
			return f.Columns
		}
	}
	return nil
}
