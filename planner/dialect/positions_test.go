package dialect

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// TestErrorPositions checks that positions count characters, not bytes,
// for errors of the rewriter, of the lexer and of the TiDB parser mapped
// back through the offset map.
func TestErrorPositions(t *testing.T) {
	cases := []struct {
		in  string
		pos int
		msg string
	}{
		{"SELECT '日本語' FROM", 18, "syntax error at end of input"},
		{"SELECT 'ééé', 1 + FROM t", 19, `syntax error at or near "FROM"`},
		{"SELECT '😀' 'x'", 12, `syntax error at or near "'x'"`},
		{"SELECT 'é' AS x, * FROM t WHERE a = 'ü' AND b ORDER", 52, `syntax error at end of input`},
		{"SELECT 'é' AS x, * FROM t WHERE a = 'ü' AND b ORDER x", 53, `syntax error at or near "x"`},
		// Accepted by the rewriter, rejected by TiDB: mapped back.
		{"SELECT 'é', sum(x) OVER (ORDER BY y GROUPS UNBOUNDED PRECEDING) FROM t", 37, `GROUPS in window frames is not supported yet`},
		{"SELECT 'ü' FROM t WINDOW w AS (ORDER BY a ROWS 'ä' PRECEDING)", 48, `syntax error at or near "'ä'"`},
	}
	for _, c := range cases {
		_, err := Parse(c.in)
		e := sqlstate.As(err)
		if e == nil || e.Position != c.pos || e.Message != c.msg {
			t.Errorf("%s: got %+v, want %q at %d", c.in, e, c.msg, c.pos)
		}
	}
}

// TestPieceErrorPositions checks positions relative to a whole message.
func TestPieceErrorPositions(t *testing.T) {
	msg := "SELECT 'é'; SELECT (; SELECT 1"
	pieces, err := Split(msg)
	if err != nil || len(pieces) != 2 {
		t.Fatalf("split: %v %v", pieces, err)
	}
	_, err = pieces[1].Parse()
	e := sqlstate.As(err)
	if e == nil || e.Position != 21 || e.Message != `syntax error at or near ";"` {
		t.Fatalf("got %+v", e)
	}
}

// TestNodePositions checks the binder-facing positions of AST nodes,
// markers and identifiers.
func TestNodePositions(t *testing.T) {
	text := "SELECT 'é', nom FROM tâble WHERE x = $2 AND y = $1"
	st, err := Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	r := st.Rewrite
	var cols []*ast.ColumnNameExpr
	var markers []*ParamMarker
	var lits []*Literal
	r.Node.Accept(visitFunc(func(n ast.Node) {
		switch x := n.(type) {
		case *ast.ColumnNameExpr:
			cols = append(cols, x)
		case *ParamMarker:
			markers = append(markers, x)
		case *Literal:
			lits = append(lits, x)
		}
	}))
	if len(cols) != 3 || r.NodePosition(cols[0]) != 13 || r.NodePosition(cols[1]) != 34 {
		t.Fatalf("columns: %d, %d", r.NodePosition(cols[0]), r.NodePosition(cols[1]))
	}
	if len(markers) != 2 || markers[0].N != 2 || markers[1].N != 1 || markers[0].Order != 0 ||
		r.NodePosition(markers[0]) != 38 || r.NodePosition(markers[1]) != 49 {
		t.Fatalf("markers: %+v", markers)
	}
	if len(lits) != 1 || lits[0].Kind != LitString || lits[0].Raw != "é" || r.NodePosition(lits[0]) != 8 {
		t.Fatalf("literals: %+v", lits)
	}
	if got := r.IdentPositions("tâble"); len(got) != 1 || got[0] != 22 {
		t.Fatalf("ident positions: %v", got)
	}
}

// TestLiteralKinds checks that the driver keeps literals' PostgreSQL form.
func TestLiteralKinds(t *testing.T) {
	st, err := Parse("SELECT 7, 1.50, 99999999999999999999999, 'x''y', NULL, TRUE, FALSE, 18446744073709551615")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		kind LiteralKind
		raw  string
	}{{LitInteger, "7"}, {LitDecimal, "1.50"}, {LitDecimal, "99999999999999999999999"}, {LitString, "x'y"},
		{LitNull, ""}, {LitBool, "true"}, {LitBool, "false"}, {LitInteger, "18446744073709551615"}}
	var lits []*Literal
	st.Rewrite.Node.Accept(visitFunc(func(n ast.Node) {
		if l, ok := n.(*Literal); ok {
			lits = append(lits, l)
		}
	}))
	if len(lits) != len(want) {
		t.Fatalf("%d literals", len(lits))
	}
	for i, w := range want {
		if lits[i].Kind != w.kind || lits[i].Raw != w.raw {
			t.Errorf("literal %d: %v %q, want %v %q", i, lits[i].Kind, lits[i].Raw, w.kind, w.raw)
		}
	}
}

type visitFunc func(ast.Node)

func (f visitFunc) Enter(n ast.Node) (ast.Node, bool) { f(n); return n, false }
func (f visitFunc) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// TestCastTarget decodes __pg_cast calls from the AST.
func TestCastTarget(t *testing.T) {
	st, err := Parse("SELECT $1::varchar(10)[], x::vector(3), 'a'::text")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	st.Rewrite.Node.Accept(visitFunc(func(n ast.Node) {
		if c, ok := n.(*ast.FuncCallExpr); ok {
			if typ, ok := CastTarget(c); ok {
				got = append(got, typ.String()+"/"+strconv.Itoa(typ.ArrayDims))
			}
		}
	}))
	want := "[pg_catalog._varchar(14)/1 public.vector(3)/0 pg_catalog.text/0]"
	if fmt.Sprint(got) != want {
		t.Fatalf("got %v, want %s", got, want)
	}
}
