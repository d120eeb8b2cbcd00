package dialect

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// origin maps emitted text back to the client's statement.
type origin struct {
	text  string  // the client's statement
	toks  []Token // its tokens
	marks []mark  // sorted by emit
}

// origOffset returns the byte offset in the original text of the token
// that produced emitted byte offset off.
func (o *origin) origOffset(off int) int {
	i := sort.Search(len(o.marks), func(i int) bool { return o.marks[i].emit > off })
	if i == 0 {
		if len(o.toks) > 0 {
			return o.toks[0].Offset
		}
		return 0
	}
	return o.marks[i-1].orig
}

// Position returns the 1-based character position in the client's
// statement of the token that produced the emitted text at byte offset
// off (of Rewrite.SQL).
func (r *Rewrite) Position(off int) int {
	return charPos(r.origin.text, r.origin.origOffset(off))
}

// NodePosition returns the original position of a TiDB AST node. TiDB
// records the start offset of every expression node it reduces
// (ast.Node.OriginTextPosition, a byte offset into the emitted text);
// other nodes (table names, statements) report 0, which maps to the
// start of the statement. For those, IdentPositions helps.
func (r *Rewrite) NodePosition(n ast.Node) int {
	if m, ok := n.(*ParamMarker); ok {
		return r.Position(m.Offset)
	}
	return r.Position(n.OriginTextPosition())
}

// IdentPositions returns the original positions of the emitted
// identifiers spelled name (compared exactly), in emitted order: the
// binder reports "relation "x" does not exist" at the first of them.
func (r *Rewrite) IdentPositions(name string) []int {
	var out []int
	q := quoteIdent(name)
	for _, m := range r.origin.marks {
		if m.kind == markIdent && strings.HasPrefix(r.SQL[m.emit:], q) {
			out = append(out, charPos(r.origin.text, m.orig))
		}
	}
	return out
}

// tidbErrorRE finds the location in a TiDB parser error:
// `line 1 column 17 near "…"`.
var tidbErrorRE = regexp.MustCompile(`line \d+ column \d+ near "`)

var totalLengthRE = regexp.MustCompile(`"\(total length (\d+)\)`)

// tidbSyntaxError maps an error of the TiDB parser on the emitted text to
// PostgreSQL's syntax error at the original token.
func (r *Rewrite) tidbSyntaxError(err error) *sqlstate.Error {
	msg := err.Error()
	loc := tidbErrorRE.FindStringIndex(msg)
	if loc == nil {
		e := errAt(r.origin.text, 0, sqlstate.SyntaxError, "syntax error")
		return e.WithDetail("%s", msg)
	}
	rest := msg[loc[1]:]
	off := -1
	if m := totalLengthRE.FindStringSubmatch(rest); m != nil {
		if n, convErr := strconv.Atoi(m[1]); convErr == nil {
			off = len(r.SQL) - n
		}
	} else if i := strings.LastIndexByte(rest, '"'); i >= 0 {
		off = len(r.SQL) - len(rest[:i])
	}
	if off < 0 || off > len(r.SQL) {
		off = 0
	}
	if off >= len(r.SQL) {
		return syntaxErrorNear(r.origin.text, len(r.origin.text), "")
	}
	orig := r.origin.origOffset(off)
	near := ""
	for _, t := range r.origin.toks {
		if t.Offset == orig && t.Kind != EOF {
			near = r.origin.text[t.Offset:t.End]
			break
		}
	}
	if near == "" {
		return syntaxErrorNear(r.origin.text, len(r.origin.text), "")
	}
	return syntaxErrorNear(r.origin.text, orig, near)
}
