package dialect

import "fmt"

// TokenKind classifies a lexical token of PostgreSQL SQL.
type TokenKind int

// The token kinds. Keywords are not a kind of their own: PostgreSQL's
// keywords are identifiers that the grammar recognises by spelling, so an
// unquoted Ident whose Value is "select" is the keyword SELECT and a quoted
// one never is.
const (
	// EOF ends every token stream; its Offset is the length of the text.
	EOF TokenKind = iota
	// Ident is an identifier or keyword. Value holds the folded name
	// (lower-cased when unquoted, truncated to 63 bytes); Quoted says it was
	// written as "…" or U&"…".
	Ident
	// String is a character string literal ('…', E'…', U&'…', $tag$…$tag$,
	// possibly continued over newlines). Value holds the decoded value.
	String
	// BitString is B'…' or X'…'. Value holds the bits as '0'/'1' digits.
	BitString
	// Integer is an unsigned integer literal; Value holds its digits.
	Integer
	// Numeric is an unsigned literal with a '.' or an exponent; Value holds
	// its text as written.
	Numeric
	// Param is a $n parameter; N holds n.
	Param
	// Op is an operator: a run of operator characters cut by PostgreSQL's
	// rules, and the special tokens "::", ":=", "=>" and "..". Value holds
	// the operator ("!=" is normalised to "<>").
	Op
	// Punct is one of , ( ) [ ] ; . : — Value holds the character.
	Punct
)

var kindNames = [...]string{"EOF", "Ident", "String", "BitString", "Integer", "Numeric", "Param", "Op", "Punct"}

// String returns the kind's name.
func (k TokenKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("TokenKind(%d)", int(k))
}

// StringStyle says how a String token was written.
type StringStyle int

// The string literal styles.
const (
	// Standard is '…' with '' for a quote and backslash an ordinary character.
	Standard StringStyle = iota
	// Escape is E'…' with C-like backslash escapes.
	Escape
	// Unicode is U&'…' with \XXXX and \+XXXXXX escapes.
	Unicode
	// Dollar is $tag$…$tag$; the body is raw.
	Dollar
)

// Token is one lexical token. Offset and End are byte offsets into the
// lexed text (End exclusive); Char is the 0-based character (code point)
// offset of Offset, the unit PostgreSQL's error positions count in.
type Token struct {
	Kind   TokenKind
	Value  string
	Offset int
	End    int
	Char   int
	// Quoted is set for a quoted identifier.
	Quoted bool
	// Style is set for String tokens.
	Style StringStyle
	// N is the parameter number of a Param token.
	N int
}

// Keyword reports whether t is the unquoted keyword kw (lower case).
func (t Token) Keyword(kw string) bool {
	return t.Kind == Ident && !t.Quoted && t.Value == kw
}

// IsOp reports whether t is the operator op.
func (t Token) IsOp(op string) bool { return t.Kind == Op && t.Value == op }

// IsPunct reports whether t is the punctuation character p.
func (t Token) IsPunct(p string) bool { return t.Kind == Punct && t.Value == p }
