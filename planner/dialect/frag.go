package dialect

import "strings"

// markKind says what a mark records beyond its position.
type markKind uint8

const (
	markToken     markKind = iota // any emitted token
	markIdent                     // a backquoted identifier from the client
	markParam                     // a ? marker; n is the $n it stands for
	markSRF                       // a __pg_srf call; n indexes SideTable.Functions
	markParamCast                 // a ? for $n::type where TiDB wants a bare marker; ref indexes rw.casts
)

// mark ties a byte offset of emitted text to the byte offset in the
// original statement of the token that produced it.
type mark struct {
	emit int
	orig int
	kind markKind
	n    int
	ref  int
}

// frag is a piece of emitted TiDB-dialect text with its marks. Fragments
// compose: add appends another fragment, shifting its marks, so an
// expression can be built from its operands' fragments (the Pratt parser
// returns fragments) and a subquery can be emitted into its own fragment.
type frag struct {
	b     strings.Builder
	marks []mark
	// fieldable is set on a parenthesised expression or a field
	// selection, after which ".name" selects a composite field.
	fieldable bool
}

// tok writes s, produced by the original token at orig.
func (f *frag) tok(s string, orig int) {
	f.marks = append(f.marks, mark{emit: f.b.Len(), orig: orig})
	f.b.WriteString(s)
}

// raw writes punctuation or white space that maps to the preceding mark.
func (f *frag) raw(s string) { f.b.WriteString(s) }

// ident writes a backquoted identifier.
func (f *frag) ident(name string, orig int) {
	f.marks = append(f.marks, mark{emit: f.b.Len(), orig: orig, kind: markIdent})
	f.b.WriteString(quoteIdent(name))
}

// str writes a single-quoted literal.
func (f *frag) str(val string, orig int) {
	f.tok(quoteString(val), orig)
}

// param writes a ? marker for $n.
func (f *frag) param(n, orig int) {
	f.marks = append(f.marks, mark{emit: f.b.Len(), orig: orig, kind: markParam, n: n})
	f.b.WriteString("?")
}

// special writes s with a mark of the given kind.
func (f *frag) special(s string, orig int, kind markKind, n int) {
	f.marks = append(f.marks, mark{emit: f.b.Len(), orig: orig, kind: kind, n: n})
	f.b.WriteString(s)
}

// add appends g.
func (f *frag) add(g *frag) {
	base := f.b.Len()
	for _, m := range g.marks {
		m.emit += base
		f.marks = append(f.marks, m)
	}
	f.b.WriteString(g.b.String())
}

// String returns the emitted text.
func (f *frag) String() string { return f.b.String() }

// quoteIdent backquotes a name, doubling backquotes inside.
func quoteIdent(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// quoteString single-quotes a value, doubling quotes inside.
func quoteString(val string) string {
	return "'" + strings.ReplaceAll(val, "'", "''") + "'"
}
