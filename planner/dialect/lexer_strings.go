package dialect

import (
	"strings"
	"unicode/utf8"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// by a quote. It returns the offset of that quote.
func continuation(s string, off int) (int, bool) {
	i := off
	newline := false
	for i < len(s) {
		c := s[i]
		switch {
		case c == '\n' || c == '\r':
			newline = true
			i++
		case c == ' ' || c == '\t' || c == '\f' || c == '\v':
			i++
		case c == '-' && i+1 < len(s) && s[i+1] == '-' && newline:
			for i < len(s) && s[i] != '\n' && s[i] != '\r' {
				i++
			}
		case c == '\'' && newline:
			return i, true
		default:
			return 0, false
		}
	}
	return 0, false
}

// and the offset after the closing quote.
func (lx *lexer) standardBody(start, q int, what string) (string, int, error) {
	s := lx.src
	var b strings.Builder
	i := q + 1
	for {
		if i >= len(s) {
			return "", 0, lexError(s, start, len(s), sqlstate.SyntaxError, what)
		}
		c := s[i]
		if c != '\'' {
			j := strings.IndexByte(s[i:], '\'')
			if j < 0 {
				j = len(s) - i
			}
			b.WriteString(s[i : i+j])
			i += j
			continue
		}
		if i+1 < len(s) && s[i+1] == '\'' {
			b.WriteByte('\'')
			i += 2
			continue
		}
		if next, ok := continuation(s, i+1); ok {
			i = next + 1
			continue
		}
		return b.String(), i + 1, nil
	}
}

// escapeBody reads and decodes an E'…' literal whose opening quote is at q.
func (lx *lexer) escapeBody(start, q int) (string, int, error) {
	s := lx.src
	var b []byte
	i := q + 1
	unterminated := func() error {
		return lexError(s, start, len(s), sqlstate.SyntaxError, "unterminated quoted string")
	}
	for {
		if i >= len(s) {
			return "", 0, unterminated()
		}
		c := s[i]
		switch {
		case c == '\'':
			if i+1 < len(s) && s[i+1] == '\'' {
				b = append(b, '\'')
				i += 2
				continue
			}
			if next, ok := continuation(s, i+1); ok {
				i = next + 1
				continue
			}
			if !utf8.Valid(b) {
				return "", 0, errAt(s, start, characterNotInRepertoire,
					"invalid byte sequence for encoding \"UTF8\": 0x%02x", firstInvalidByte(b))
			}
			return string(b), i + 1, nil
		case c == '\\':
			if i+1 >= len(s) {
				return "", 0, unterminated()
			}
			d := s[i+1]
			i += 2
			switch d {
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case '0', '1', '2', '3', '4', '5', '6', '7':
				v := int(d - '0')
				for k := 0; k < 2 && i < len(s) && s[i] >= '0' && s[i] <= '7'; k++ {
					v = v*8 + int(s[i]-'0')
					i++
				}
				if v&0xff == 0 {
					return "", 0, errAt(s, start, characterNotInRepertoire,
						"invalid byte sequence for encoding \"UTF8\": 0x00")
				}
				b = append(b, byte(v))
			case 'x':
				if i < len(s) && isHex(s[i]) {
					v := hexVal(s[i])
					i++
					if i < len(s) && isHex(s[i]) {
						v = v*16 + hexVal(s[i])
						i++
					}
					if v == 0 {
						return "", 0, errAt(s, start, characterNotInRepertoire,
							"invalid byte sequence for encoding \"UTF8\": 0x00")
					}
					b = append(b, byte(v))
				} else {
					b = append(b, 'x')
				}
			case 'u', 'U':
				n := 4
				if d == 'U' {
					n = 8
				}
				r, next, err := lx.unicodeEscape(start, i, n, func(j int) (int, bool) {
					if j+1 < len(s) && s[j] == '\\' && s[j+1] == 'u' {
						return j + 2, true
					}
					return 0, false
				})
				if err != nil {
					return "", 0, err
				}
				b = utf8.AppendRune(b, r)
				i = next
			default:
				b = append(b, d)
			}
		default:
			b = append(b, c)
			i++
		}
	}
}

// digits at j. It returns the code point and the offset after the escape.
func (lx *lexer) unicodeEscape(start, i, n int, low func(int) (int, bool)) (rune, int, error) {
	s := lx.src
	v, ok := hexDigits(s, i, n)
	if !ok {
		return 0, 0, errAt(s, start, sqlstate.SyntaxError, "invalid Unicode escape")
	}
	i += n
	if v >= 0xD800 && v <= 0xDBFF {
		j, ok := low(i)
		if !ok {
			return 0, 0, errAt(s, start, sqlstate.SyntaxError, "invalid Unicode surrogate pair")
		}
		w, ok := hexDigits(s, j, 4)
		if !ok || w < 0xDC00 || w > 0xDFFF {
			return 0, 0, errAt(s, start, sqlstate.SyntaxError, "invalid Unicode surrogate pair")
		}
		v = 0x10000 + (v-0xD800)<<10 + (w - 0xDC00)
		i = j + 4
	} else if v >= 0xDC00 && v <= 0xDFFF {
		return 0, 0, errAt(s, start, sqlstate.SyntaxError, "invalid Unicode surrogate pair")
	}
	if v == 0 || v > utf8.MaxRune {
		return 0, 0, errAt(s, start, sqlstate.SyntaxError, "invalid Unicode escape value")
	}
	return rune(v), i, nil
}

func hexDigits(s string, i, n int) (int, bool) {
	if i+n > len(s) {
		return 0, false
	}
	v := 0
	for k := 0; k < n; k++ {
		if !isHex(s[i+k]) {
			return 0, false
		}
		v = v*16 + hexVal(s[i+k])
	}
	return v, true
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	default:
		return int(c-'A') + 10
	}
}

func firstInvalidByte(b []byte) byte {
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			return b[0]
		}
		b = b[size:]
	}
	return 0
}

// quotedString lexes '…', E'…' and U&'…'; lx.pos is at the opening quote.
func (lx *lexer) quotedString(start int, style StringStyle) error {
	q := lx.pos
	var (
		val string
		end int
		err error
	)
	switch style {
	case Escape:
		val, end, err = lx.escapeBody(start, q)
	default:
		val, end, err = lx.standardBody(start, q, "unterminated quoted string")
	}
	if err != nil {
		return err
	}
	if style == Unicode {
		esc, uend, err := lx.uescape(end)
		if err != nil {
			return err
		}
		end = uend
		if val, err = lx.decodeUnicode(start, val, esc); err != nil {
			return err
		}
	}
	lx.pos = end
	lx.emit(Token{Kind: String, Style: style, Value: val, Offset: start, End: end})
	return nil
}

// at off. It returns the escape character and the offset after the clause.
func (lx *lexer) uescape(off int) (byte, int, error) {
	s := lx.src
	i := off
	for {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i+1 < len(s) && s[i] == '-' && s[i+1] == '-' {
			for i < len(s) && s[i] != '\n' && s[i] != '\r' {
				i++
			}
			continue
		}
		if i+1 < len(s) && s[i] == '/' && s[i+1] == '*' {
			e, ok := blockCommentEnd(s, i)
			if !ok {
				return '\\', off, nil
			}
			i = e
			continue
		}
		break
	}
	if i+7 > len(s) || !strings.EqualFold(s[i:i+7], "uescape") || (i+7 < len(s) && isIdentCont(s[i+7])) {
		return '\\', off, nil
	}
	kw := i
	i += 7
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i+2 < len(s) && s[i] == '\'' && s[i+2] == '\'' {
		c := s[i+1]
		if isHex(c) || c == '+' || c == '\'' || c == '"' || isSpace(c) || c >= 0x80 {
			return 0, 0, errAt(s, kw, sqlstate.SyntaxError, "invalid Unicode escape character")
		}
		return c, i + 3, nil
	}
	return 0, 0, errAt(s, kw, sqlstate.SyntaxError, "UESCAPE must be followed by a simple string literal")
}

// decodeUnicode processes the escapes of a U& literal body.
func (lx *lexer) decodeUnicode(start int, body string, esc byte) (string, error) {
	if strings.IndexByte(body, esc) < 0 {
		return body, nil
	}
	// Decode within body; positions in errors point at the literal.
	sub := lexer{src: body}
	var b []byte
	for i := 0; i < len(body); {
		c := body[i]
		if c != esc {
			b = append(b, c)
			i++
			continue
		}
		if i+1 < len(body) && body[i+1] == esc {
			b = append(b, esc)
			i += 2
			continue
		}
		n, at := 4, i+1
		if at < len(body) && body[at] == '+' {
			n, at = 6, at+1
		}
		low := func(j int) (int, bool) {
			if j+1 < len(body) && body[j] == esc && body[j+1] != '+' {
				return j + 1, true
			}
			return 0, false
		}
		r, next, err := sub.unicodeEscape(0, at, n, low)
		if err != nil {
			e := sqlstate.As(err)
			return "", errAt(lx.src, start, e.Code, "%s", e.Message)
		}
		b = utf8.AppendRune(b, r)
		i = next
	}
	return string(b), nil
}

// quotedIdent lexes "…" and U&"…"; lx.pos is at the opening quote.
func (lx *lexer) quotedIdent(start int, unicode bool) error {
	s := lx.src
	var b strings.Builder
	i := lx.pos + 1
	for {
		if i >= len(s) {
			return lexError(s, start, len(s), sqlstate.SyntaxError, "unterminated quoted identifier")
		}
		if s[i] == '"' {
			if i+1 < len(s) && s[i+1] == '"' {
				b.WriteByte('"')
				i += 2
				continue
			}
			i++
			break
		}
		b.WriteByte(s[i])
		i++
	}
	val := b.String()
	if val == "" {
		return lexError(s, start, i, sqlstate.SyntaxError, "zero-length delimited identifier")
	}
	end := i
	if unicode {
		esc, uend, err := lx.uescape(end)
		if err != nil {
			return err
		}
		end = uend
		if val, err = lx.decodeUnicode(start, val, esc); err != nil {
			return err
		}
	}
	lx.pos = end
	lx.emit(Token{Kind: Ident, Quoted: true, Value: truncateIdent(val), Offset: start, End: end})
	return nil
}

// bitString lexes B'…' (hex false) and X'…' (hex true) into binary digits.
func (lx *lexer) bitString(start int, hex bool) error {
	what := "unterminated bit string literal"
	if hex {
		what = "unterminated hexadecimal string literal"
	}
	body, end, err := lx.standardBody(start, start+1, what)
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, r := range body {
		switch {
		case !hex && (r == '0' || r == '1'):
			b.WriteRune(r)
		case hex && r < utf8.RuneSelf && isHex(byte(r)):
			v := hexVal(byte(r))
			for k := 3; k >= 0; k-- {
				b.WriteByte(byte('0' + (v>>k)&1))
			}
		case hex:
			return errAt(lx.src, start, sqlstate.InvalidTextRepresentation, "\"%c\" is not a valid hexadecimal digit", r)
		default:
			return errAt(lx.src, start, sqlstate.InvalidTextRepresentation, "\"%c\" is not a valid binary digit", r)
		}
	}
	lx.pos = end
	lx.emit(Token{Kind: BitString, Value: b.String(), Offset: start, End: end})
	return nil
}
