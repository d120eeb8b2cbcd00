package dialect

import (
	"fmt"
	"runtime/debug"
	"sort"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// Statement is one parsed statement. Exactly one of Session and Rewrite
// is set, unless the statement is empty (no tokens: PostgreSQL answers
// EmptyQueryResponse).
type Statement struct {
	// Text is the statement as the client sent it.
	Text string
	// Session is the parsed session statement (SET, BEGIN, COPY, …); it
	// never reaches the TiDB parser.
	Session SessionStmt
	// Rewrite is the TiDB-dialect form of every other statement.
	Rewrite *Rewrite
}

// Empty reports whether the statement has no tokens.
func (s *Statement) Empty() bool { return s.Session == nil && s.Rewrite == nil }

// Rewrite is a statement, or part of one, rewritten for the TiDB parser.
type Rewrite struct {
	// SQL is the emitted TiDB-dialect text (one line).
	SQL string
	// Node is the TiDB AST of SQL. Literals in it are *Literal and
	// parameter markers *ParamMarker (with N set).
	Node ast.StmtNode
	// Side is what the TiDB text cannot carry.
	Side   SideTable
	origin origin
}

// Parse parses one statement (a Parse message, or one Piece of a Query
// message). A trailing ';' is allowed; a second statement is 42601, as in
// PostgreSQL's extended protocol. Errors are *sqlstate.Error values whose
// Position is relative to text.
func Parse(text string) (*Statement, error) {
	toks, err := Lex(text)
	if err != nil {
		return nil, err
	}
	// Only trailing semicolons may follow the statement.
	depth := 0
scan:
	for i, t := range toks {
		switch {
		case t.IsPunct("(") || t.IsPunct("["):
			depth++
		case (t.IsPunct(")") || t.IsPunct("]")) && depth > 0:
			depth--
		case t.IsPunct(";") && depth == 0:
			j := i
			for toks[j].IsPunct(";") {
				j++
			}
			if toks[j].Kind != EOF {
				return nil, errAt(text, toks[j].Offset, sqlstate.SyntaxError,
					"cannot insert multiple commands into a prepared statement")
			}
			toks = append(toks[:i:i], toks[len(toks)-1])
			break scan // only ';'s and EOF were left
		}
	}
	return parseTokens(text, toks)
}

// Parse parses the piece as Parse does, with error positions relative to
// the whole message. An error at the end of a piece that a ';' ended is
// reported at the ';', as PostgreSQL does.
func (pc Piece) Parse() (*Statement, error) {
	st, err := Parse(pc.Text)
	if err == nil {
		return st, nil
	}
	e := sqlstate.As(err)
	if e == nil {
		return nil, err
	}
	c := *e
	if c.Position > 0 {
		if c.Message == "syntax error at end of input" && pc.Terminated {
			c.Message = `syntax error at or near ";"`
		}
		c.Position += pc.Char
	}
	return nil, &c
}

// parseTokens classifies and parses a statement's tokens (ending in EOF),
// recovering any panic: none leaves the package.
func parseTokens(text string, toks []Token) (st *Statement, err error) {
	defer func() {
		if r := recover(); r != nil {
			if b, ok := r.(bailout); ok {
				st, err = nil, b.err
				return
			}
			st, err = nil, internalError("panic: %v\n%s", r, debug.Stack())
		}
	}()
	st = &Statement{Text: text}
	if toks[0].Kind == EOF {
		return st, nil
	}
	if err := checkReserved(text, toks); err != nil {
		return nil, err
	}
	if isSessionStatement(toks) {
		s, err := parseSession(text, toks)
		if err != nil {
			return nil, err
		}
		st.Session = s
		return st, nil
	}
	r, err := rewrite(text, toks)
	if err != nil {
		return nil, err
	}
	st.Rewrite = r
	return st, nil
}

// rewrite rewrites a statement for TiDB and parses the result.
func rewrite(text string, toks []Token) (*Rewrite, error) {
	side := &SideTable{}
	p := newRW(text, toks, side)
	f := p.statement()
	r, err := p.finish(f, side)
	if err != nil {
		return nil, err
	}
	if p.returning != nil {
		sub, err := p.finish(p.returning, &SideTable{})
		if err != nil {
			return nil, err
		}
		r.Side.Returning = sub
	}
	for i, d := range p.defaults {
		if d == nil {
			continue
		}
		sub, err := p.finish(d, &SideTable{})
		if err != nil {
			return nil, err
		}
		r.Side.Columns[i].Default = sub
	}
	return r, nil
}

// subRewrite rewrites the tokens [from, to) of a statement (the query of
// EXPLAIN, PREPARE, DECLARE or COPY) with positions in the whole text.
func subRewrite(text string, toks []Token, from, to int) (*Rewrite, error) {
	sub := make([]Token, 0, to-from+1)
	sub = append(sub, toks[from:to]...)
	sub = append(sub, Token{Kind: EOF, Offset: toks[to].Offset, End: toks[to].Offset, Char: toks[to].Char})
	return rewrite(text, sub)
}

// finish completes a fragment: the slot map, the side-table offsets, the
// TiDB parse and the markers' numbers.
func (p *rw) finish(f *frag, side *SideTable) (*Rewrite, error) {
	r := &Rewrite{SQL: f.String(), origin: origin{text: p.text, toks: p.toks, marks: f.marks}}
	for _, m := range f.marks {
		switch m.kind {
		case markParam, markParamCast:
			side.Params = append(side.Params, ParamSlot{N: m.n, Offset: m.emit, Pos: charPos(p.text, m.orig)})
			if m.kind == markParamCast {
				if side.ParamCasts == nil {
					side.ParamCasts = map[int]PGType{}
				}
				side.ParamCasts[m.emit] = p.casts[m.ref]
			}
		case markSRF:
			side.Functions[m.n].Offset = m.emit
		}
	}
	r.Side = *side
	node, err := tidbParse(r.SQL)
	if err != nil {
		return nil, r.tidbSyntaxError(err)
	}
	r.Node = node
	if err := r.numberMarkers(); err != nil {
		return nil, err
	}
	return r, nil
}

// numberMarkers sets Order and N on every *ParamMarker from the slot map.
func (r *Rewrite) numberMarkers() error {
	v := &markerVisitor{}
	r.Node.Accept(v)
	params := r.Side.Params
	for _, m := range v.markers {
		i := sort.Search(len(params), func(i int) bool { return params[i].Offset >= m.Offset })
		if i == len(params) || params[i].Offset != m.Offset {
			return internalError("marker at %d of %q has no slot", m.Offset, r.SQL)
		}
		m.Order = i
		m.N = params[i].N
	}
	if len(v.markers) != len(params) {
		return internalError("%d markers for %d slots in %q", len(v.markers), len(params), r.SQL)
	}
	return nil
}

type markerVisitor struct{ markers []*ParamMarker }

// Enter implements ast.Visitor.
func (v *markerVisitor) Enter(n ast.Node) (ast.Node, bool) {
	if m, ok := n.(*ParamMarker); ok {
		v.markers = append(v.markers, m)
	}
	return n, false
}

// Leave implements ast.Visitor.
func (v *markerVisitor) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// String renders a statement for logs and tests.
func (s *Statement) String() string {
	switch {
	case s.Session != nil:
		return fmt.Sprintf("%#v", s.Session)
	case s.Rewrite != nil:
		return s.Rewrite.SQL
	}
	return "<empty>"
}
