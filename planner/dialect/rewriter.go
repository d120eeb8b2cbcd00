package dialect

import (
	"strings"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// maxDepth bounds the nesting of expressions and subqueries, as
// PostgreSQL's max_stack_depth does; deeper statements fail with 54001.
const maxDepth = 200

// rw is the rewriter: a recursive-descent parser for statement skeletons
// and a Pratt parser for expressions over one statement's tokens. It
// writes TiDB-dialect text into fragments. Errors abort the rewrite with
// a bailout panic that Parse recovers; no panic leaves the package.
type rw struct {
	text  string
	toks  []Token
	i     int
	side  *SideTable
	depth int
	// casts are the types of markParamCast marks.
	casts []PGType
	// returning is the RETURNING list as "SELECT …", nil when absent.
	returning *frag
	// defaults are the DEFAULT expressions of Columns as "SELECT …",
	// indexed like SideTable.Columns (nil where a column has none).
	defaults []*frag
	// match maps the index of each '(' and '[' to the index of its
	// closing token, -1 when unbalanced.
	match []int
}

// newRW prepares a rewriter over a statement's tokens (ending with EOF).
func newRW(text string, toks []Token, side *SideTable) *rw {
	p := &rw{text: text, toks: toks, side: side, match: make([]int, len(toks))}
	var stack []int
	for i, t := range toks {
		p.match[i] = -1
		switch {
		case t.IsPunct("(") || t.IsPunct("["):
			stack = append(stack, i)
		case (t.IsPunct(")") || t.IsPunct("]")) && len(stack) > 0:
			p.match[stack[len(stack)-1]] = i
			stack = stack[:len(stack)-1]
		}
	}
	return p
}

// bailout carries an error out of the recursive descent.
type bailout struct{ err *sqlstate.Error }

func (p *rw) fail(err *sqlstate.Error) { panic(bailout{err}) }

func (p *rw) tok() Token { return p.toks[p.i] }

func (p *rw) peek(k int) Token {
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k]
	}
	return p.toks[len(p.toks)-1]
}

func (p *rw) next() Token {
	t := p.toks[p.i]
	if t.Kind != EOF {
		p.i++
	}
	return t
}

func (p *rw) isKw(kw string) bool { return p.tok().Keyword(kw) }

// isKws reports whether the next tokens are the keywords kws.
func (p *rw) isKws(kws ...string) bool {
	for k, kw := range kws {
		if !p.peek(k).Keyword(kw) {
			return false
		}
	}
	return true
}

func (p *rw) acceptKw(kws ...string) bool {
	if !p.isKws(kws...) {
		return false
	}
	p.i += len(kws)
	return true
}

func (p *rw) expectKw(kw string) Token {
	if !p.isKw(kw) {
		p.errHere()
	}
	return p.next()
}

func (p *rw) isPunct(s string) bool { return p.tok().IsPunct(s) }

func (p *rw) acceptPunct(s string) bool {
	if p.isPunct(s) {
		p.i++
		return true
	}
	return false
}

func (p *rw) expectPunct(s string) Token {
	if !p.isPunct(s) {
		p.errHere()
	}
	return p.next()
}

func (p *rw) isOp(op string) bool { return p.tok().IsOp(op) }

// tokenText is the source text of t, what PostgreSQL quotes in "at or
// near" messages.
func (p *rw) tokenText(t Token) string {
	if t.Kind == EOF {
		return ""
	}
	return p.text[t.Offset:t.End]
}

// errHere fails with a syntax error at the current token.
func (p *rw) errHere() {
	t := p.tok()
	p.fail(syntaxErrorNear(p.text, t.Offset, p.tokenText(t)))
}

// errAtTok fails with a syntax error at t.
func (p *rw) errAtTok(t Token) {
	p.fail(syntaxErrorNear(p.text, t.Offset, p.tokenText(t)))
}

// unsupported fails with 0A000 "<what> is not supported yet" at t.
func (p *rw) unsupported(t Token, what string) {
	p.fail(notSupported(p.text, t.Offset, "%s", what))
}

func (p *rw) enter() {
	p.depth++
	if p.depth > maxDepth {
		t := p.tok()
		p.fail(errAt(p.text, t.Offset, "54001", "stack depth limit exceeded"))
	}
}

func (p *rw) leave() { p.depth-- }

// colID reads a column/table name (ColId) and returns it.
func (p *rw) colID() Token {
	t := p.tok()
	if !isColumnName(t) {
		p.errHere()
	}
	return p.next()
}

// label reads a name after AS or '.' (ColLabel: any identifier or keyword).
func (p *rw) label() Token {
	t := p.tok()
	if !isLabel(t) {
		p.errHere()
	}
	return p.next()
}

// qualifiedName reads name[.name[.name]] for a relation and writes it,
// dropping (and recording) a catalog part.
func (p *rw) qualifiedName(f *frag) []Token {
	parts := []Token{p.colID()}
	for p.isPunct(".") && len(parts) < 4 {
		p.next()
		parts = append(parts, p.label())
	}
	p.writeQualified(f, parts)
	return parts
}

// writeQualified writes a relation name of 1–3 parts.
func (p *rw) writeQualified(f *frag, parts []Token) {
	switch len(parts) {
	case 3:
		p.side.Catalogs = append(p.side.Catalogs, NameRef{Name: parts[0].Value, Pos: charPos(p.text, parts[0].Offset)})
		parts = parts[1:]
	case 4:
		p.fail(errAt(p.text, parts[0].Offset, sqlstate.SyntaxError,
			"improper qualified name (too many dotted names): %s", joinNames(parts)))
	}
	for k, t := range parts {
		if k > 0 {
			f.raw(".")
		}
		f.ident(t.Value, t.Offset)
	}
}

func joinNames(parts []Token) string {
	s := make([]string, len(parts))
	for i, t := range parts {
		s[i] = t.Value
	}
	return strings.Join(s, ".")
}

// checkReserved rejects client identifiers that use the prefixes lancegate
// reserves for its own functions (__pg_, __lg_), case-insensitively since
// TiDB compares function names that way.
func checkReserved(text string, toks []Token) error {
	for _, t := range toks {
		if t.Kind != Ident {
			continue
		}
		v := strings.ToLower(t.Value)
		if strings.HasPrefix(v, "__pg_") || strings.HasPrefix(v, "__lg_") {
			return errAt(text, t.Offset, sqlstate.SyntaxError,
				"identifier \"%s\" uses a prefix reserved by lancegate", t.Value)
		}
	}
	return nil
}
