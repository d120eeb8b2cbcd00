package dialect

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// maxIdentLen is PostgreSQL's NAMEDATALEN-1: longer identifiers are
// truncated (PostgreSQL sends a NOTICE; lancegate truncates silently).
const maxIdentLen = 63

// maxParam is the highest $n a statement may use (the protocol's limit).
const maxParam = 65535

// Lex splits text into PostgreSQL tokens, following scan.l of PostgreSQL
// 15: white space and comments are dropped, the last token is EOF. Errors
// are *sqlstate.Error values with Position set (42601 for unterminated
// literals and junk, 22P02 for bad bit-string digits, 22021 for escapes
// that yield non-UTF-8 bytes).
func Lex(text string) ([]Token, error) {
	if i := strings.IndexByte(text, 0); i >= 0 {
		return nil, errAt(text, i, sqlstate.ProtocolViolation, "invalid string in message")
	}
	if !utf8.ValidString(text) {
		b := []byte(text)
		i := 0
		for i < len(b) {
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			i += size
		}
		return nil, errAt(text, i, characterNotInRepertoire,
			"invalid byte sequence for encoding \"UTF8\": 0x%02x", b[i])
	}
	lx := lexer{src: text}
	if err := lx.run(); err != nil {
		return nil, err
	}
	return lx.toks, nil
}

type lexer struct {
	src  string
	pos  int
	toks []Token
	// lastByte and lastChar convert byte offsets to character offsets
	// incrementally: tokens are produced in order.
	lastByte, lastChar int
}

func (lx *lexer) charAt(off int) int {
	if off < lx.lastByte {
		return utf8.RuneCountInString(lx.src[:off])
	}
	lx.lastChar += utf8.RuneCountInString(lx.src[lx.lastByte:off])
	lx.lastByte = off
	return lx.lastChar
}

func (lx *lexer) emit(t Token) {
	t.Char = lx.charAt(t.Offset)
	lx.toks = append(lx.toks, t)
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

func isIdentCont(c byte) bool {
	return isIdentStart(c) || isDigit(c) || c == '$'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// isOpChar reports PostgreSQL's op_chars.
func isOpChar(c byte) bool {
	return strings.IndexByte("~!@#^&|`?+-*/%<>=", c) >= 0
}

func (lx *lexer) peek(i int) byte {
	if lx.pos+i < len(lx.src) {
		return lx.src[lx.pos+i]
	}
	return 0
}

func (lx *lexer) run() error {
	for {
		if err := lx.skipTrivia(); err != nil {
			return err
		}
		if lx.pos >= len(lx.src) {
			lx.emit(Token{Kind: EOF, Offset: len(lx.src), End: len(lx.src)})
			return nil
		}
		if err := lx.next(); err != nil {
			return err
		}
	}
}

// skipTrivia skips white space, -- comments and nested /* */ comments.
func (lx *lexer) skipTrivia() error {
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		switch {
		case isSpace(c):
			lx.pos++
		case c == '-' && lx.peek(1) == '-':
			for lx.pos < len(lx.src) && lx.src[lx.pos] != '\n' && lx.src[lx.pos] != '\r' {
				lx.pos++
			}
		case c == '/' && lx.peek(1) == '*':
			end, ok := blockCommentEnd(lx.src, lx.pos)
			if !ok {
				return lexError(lx.src, lx.pos, len(lx.src), sqlstate.SyntaxError, "unterminated /* comment")
			}
			lx.pos = end
		default:
			return nil
		}
	}
	return nil
}

// blockCommentEnd returns the offset after the nested comment starting at
// start ("/*"), or false when it is unterminated.
func blockCommentEnd(s string, start int) (int, bool) {
	depth := 0
	for i := start; i+1 < len(s); {
		switch {
		case s[i] == '/' && s[i+1] == '*':
			depth++
			i += 2
		case s[i] == '*' && s[i+1] == '/':
			depth--
			i += 2
			if depth == 0 {
				return i, true
			}
		default:
			i++
		}
	}
	return 0, false
}

func (lx *lexer) next() error {
	c := lx.src[lx.pos]
	start := lx.pos
	switch {
	case (c == 'b' || c == 'B') && lx.peek(1) == '\'':
		return lx.bitString(start, false)
	case (c == 'x' || c == 'X') && lx.peek(1) == '\'':
		return lx.bitString(start, true)
	case (c == 'e' || c == 'E') && lx.peek(1) == '\'':
		lx.pos++
		return lx.quotedString(start, Escape)
	case (c == 'n' || c == 'N') && lx.peek(1) == '\'':
		// National character: PostgreSQL returns the keyword NCHAR and
		// then lexes the string, so N'x' reads as the typed literal nchar 'x'.
		lx.emit(Token{Kind: Ident, Value: "nchar", Offset: start, End: start + 1})
		lx.pos++
		return nil
	case (c == 'u' || c == 'U') && lx.peek(1) == '&' && (lx.peek(2) == '\'' || lx.peek(2) == '"'):
		lx.pos += 2
		if lx.src[lx.pos] == '\'' {
			return lx.quotedString(start, Unicode)
		}
		return lx.quotedIdent(start, true)
	case isIdentStart(c):
		return lx.ident(start)
	case isDigit(c) || c == '.' && isDigit(lx.peek(1)):
		return lx.number(start)
	case c == '\'':
		return lx.quotedString(start, Standard)
	case c == '"':
		return lx.quotedIdent(start, false)
	case c == '$':
		return lx.dollar(start)
	case c == ':':
		switch lx.peek(1) {
		case ':':
			lx.emit(Token{Kind: Op, Value: "::", Offset: start, End: start + 2})
			lx.pos += 2
		case '=':
			lx.emit(Token{Kind: Op, Value: ":=", Offset: start, End: start + 2})
			lx.pos += 2
		default:
			lx.emit(Token{Kind: Punct, Value: ":", Offset: start, End: start + 1})
			lx.pos++
		}
		return nil
	case c == '.':
		if lx.peek(1) == '.' {
			lx.emit(Token{Kind: Op, Value: "..", Offset: start, End: start + 2})
			lx.pos += 2
			return nil
		}
		lx.emit(Token{Kind: Punct, Value: ".", Offset: start, End: start + 1})
		lx.pos++
		return nil
	case strings.IndexByte(",()[];", c) >= 0:
		lx.emit(Token{Kind: Punct, Value: string(c), Offset: start, End: start + 1})
		lx.pos++
		return nil
	case isOpChar(c):
		return lx.operator(start)
	}
	_, size := utf8.DecodeRuneInString(lx.src[start:])
	return syntaxErrorNear(lx.src, start, lx.src[start:start+size])
}

// foldIdent lower-cases ASCII letters (PostgreSQL's downcase_identifier
// for UTF-8) and truncates.
func foldIdent(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return truncateIdent(string(b))
}

// truncateIdent cuts an identifier to maxIdentLen bytes on a character
// boundary.
func truncateIdent(s string) string {
	if len(s) <= maxIdentLen {
		return s
	}
	cut := maxIdentLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

func (lx *lexer) ident(start int) error {
	i := start
	for i < len(lx.src) && isIdentCont(lx.src[i]) {
		i++
	}
	lx.pos = i
	lx.emit(Token{Kind: Ident, Value: foldIdent(lx.src[start:i]), Offset: start, End: i})
	return nil
}

func (lx *lexer) number(start int) error {
	s := lx.src
	i := start
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	numeric := false
	if i < len(s) && s[i] == '.' && !(i+1 < len(s) && s[i+1] == '.') {
		numeric = true
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			numeric = true
			i = j
		} else {
			return lexError(s, start, j, sqlstate.SyntaxError, "trailing junk after numeric literal")
		}
	}
	if i < len(s) && isIdentStart(s[i]) {
		return lexError(s, start, i+1, sqlstate.SyntaxError, "trailing junk after numeric literal")
	}
	lx.pos = i
	kind := Integer
	if numeric {
		kind = Numeric
	}
	lx.emit(Token{Kind: kind, Value: s[start:i], Offset: start, End: i})
	return nil
}

// dollar lexes $n parameters and $tag$…$tag$ strings.
func (lx *lexer) dollar(start int) error {
	s := lx.src
	if isDigit(lx.peek(1)) {
		i := start + 1
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i < len(s) && isIdentStart(s[i]) {
			return lexError(s, start, i+1, sqlstate.SyntaxError, "trailing junk after parameter")
		}
		n, err := strconv.Atoi(s[start+1 : i])
		if err != nil || n < 1 || n > maxParam {
			return errAt(s, start, sqlstate.UndefinedParameter, "there is no parameter %s", s[start:i])
		}
		lx.pos = i
		lx.emit(Token{Kind: Param, Value: s[start:i], N: n, Offset: start, End: i})
		return nil
	}
	// A delimiter is $ [tag] $ where the tag is an identifier without $.
	i := start + 1
	if i < len(s) && s[i] != '$' {
		if !isIdentStart(s[i]) {
			return syntaxErrorNear(s, start, "$")
		}
		for i < len(s) && (isIdentStart(s[i]) || isDigit(s[i])) {
			i++
		}
	}
	if i >= len(s) || s[i] != '$' {
		return syntaxErrorNear(s, start, "$")
	}
	delim := s[start : i+1]
	bodyStart := i + 1
	end := strings.Index(s[bodyStart:], delim)
	if end < 0 {
		return lexError(s, start, len(s), sqlstate.SyntaxError, "unterminated dollar-quoted string")
	}
	body := s[bodyStart : bodyStart+end]
	lx.pos = bodyStart + end + len(delim)
	lx.emit(Token{Kind: String, Style: Dollar, Value: body, Offset: start, End: lx.pos})
	return nil
}

// continuation reports whether a string literal ending at off continues:
// white space containing a newline (and -- comments after it) followed
// standardBody reads the body of a '…' literal whose opening quote is at
// q, with a doubled quote for a quote and newline continuations. It returns the body
// unicodeEscape decodes n hex digits at i (after the escape introducer),
// combining a UTF-16 surrogate pair when low(j) finds a second escape of 4
// uescape reads an optional UESCAPE 'c' clause after a U& literal ending
// operator lexes a run of operator characters, cut at an embedded comment
// start and, unless the run holds one of ~ ! @ # % ^ & | ` ?, with
// trailing + and - given back (so a<-1 is a < -1 but <-> is one token).
func (lx *lexer) operator(start int) error {
	s := lx.src
	i := start
	for i < len(s) && isOpChar(s[i]) {
		i++
	}
	run := s[start:i]
	if k := commentStart(run); k > 0 {
		run = run[:k]
	}
	n := len(run)
	if n > 1 && (run[n-1] == '+' || run[n-1] == '-') {
		if !strings.ContainsAny(run[:n-1], "~!@#^&|`?%") {
			for n > 1 && (run[n-1] == '+' || run[n-1] == '-') {
				n--
			}
		}
	}
	run = run[:n]
	if n >= maxIdentLen+1 {
		return lexError(s, start, start+n, sqlstate.SyntaxError, "operator too long")
	}
	v := run
	if v == "!=" {
		v = "<>"
	}
	lx.pos = start + n
	lx.emit(Token{Kind: Op, Value: v, Offset: start, End: lx.pos})
	return nil
}

// commentStart returns the index of the first "/*" or "--" in an operator
// run, or -1.
func commentStart(run string) int {
	a := strings.Index(run, "/*")
	b := strings.Index(run, "--")
	switch {
	case a < 0:
		return b
	case b < 0:
		return a
	case a < b:
		return a
	default:
		return b
	}
}
