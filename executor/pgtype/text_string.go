package pgtype

import (
	"encoding/json"
	"unicode/utf8"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// Character types are UTF-8 Arrow strings. Input is checked for valid
// UTF-8 without NUL bytes, as PostgreSQL's encoding checks do, and shaped
// by the type: varchar(n) and char(n) refuse more than n characters
// (trailing spaces excepted), char(n) is padded to n, name is cut to 63
// bytes, "char" keeps one byte.

// CharacterNotInRepertoire is 22021, PostgreSQL's code for bytes invalid
// in the server encoding.
const CharacterNotInRepertoire sqlstate.Code = "22021"

// NameDataLen is NAMEDATALEN: names hold at most NameDataLen-1 bytes.
const NameDataLen = 64

func parseString(t Type, s string) (string, error) {
	if err := CheckUTF8(s); err != nil {
		return "", err
	}
	switch t.OID {
	case OIDVarchar:
		if t.Mod >= 4 {
			return limitChars(s, int(t.Mod-4), "character varying", false)
		}
	case OIDBpchar:
		if t.Mod >= 4 {
			return limitChars(s, int(t.Mod-4), "character", true)
		}
	case OIDName:
		if len(s) >= NameDataLen {
			return clipBytes(s, NameDataLen-1), nil
		}
	case OIDChar:
		return parseChar(s), nil
	case OIDJSON:
		if !json.Valid([]byte(s)) {
			return "", syntaxError("json", s)
		}
	}
	return s, nil
}

// CheckUTF8 returns 22021 `invalid byte sequence for encoding "UTF8":
// 0x..` if s is not valid UTF-8 or holds a NUL byte, which no PostgreSQL
// text value can.
func CheckUTF8(s string) error {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 1 && c < utf8.RuneSelf {
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if c == 0 || r == utf8.RuneError && w <= 1 {
			return invalidEncoding(s[i:])
		}
		i += w
	}
	return nil
}

// invalidEncoding reports the bytes of the offending character as
// report_invalid_encoding does: as many as its lead byte announces
// (pg_utf_mblen).
func invalidEncoding(s string) error {
	n := 1
	switch c := s[0]; {
	case c&0xe0 == 0xc0:
		n = 2
	case c&0xf0 == 0xe0:
		n = 3
	case c&0xf8 == 0xf0:
		n = 4
	}
	n = min(n, len(s))
	b := make([]byte, 0, 5*n)
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, "0x"...)
		b = appendHexByte(b, s[i])
	}
	return sqlstate.New(CharacterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\": %s", b)
}

// limitChars is varchar_input / bpchar_input: at most n characters, where
// excess characters that are all spaces are cut silently; char(n) is
// then padded with spaces to n.
func limitChars(s string, n int, typeName string, pad bool) (string, error) {
	count, cut := 0, len(s)
	for i := range s {
		if count == n {
			cut = i
		}
		count++
	}
	if count > n {
		for i := cut; i < len(s); i++ {
			if s[i] != ' ' {
				return "", sqlstate.New(sqlstate.StringDataRightTruncation, "value too long for type %s(%d)", typeName, n)
			}
		}
		return s[:cut], nil
	}
	if pad && count < n {
		b := make([]byte, len(s), len(s)+n-count)
		copy(b, s)
		for ; count < n; count++ {
			b = append(b, ' ')
		}
		return string(b), nil
	}
	return s, nil
}

// clipBytes cuts s to at most n bytes without splitting a character.
func clipBytes(s string, n int) string {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// parseChar is charin: "\ooo" (three octal digits) is that byte;
// otherwise the first byte; an empty string is the NUL character, kept
// as an empty string.
func parseChar(s string) string {
	if len(s) == 4 && s[0] == '\\' && isOctal(s[1]) && isOctal(s[2]) && isOctal(s[3]) {
		c := (s[1]-'0')<<6 | (s[2]-'0')<<3 | (s[3] - '0')
		if c == 0 {
			return ""
		}
		return string([]byte{c})
	}
	if s == "" {
		return ""
	}
	return s[:1]
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// AppendChar appends charout's form of the "char" value c (the first
// byte of the stored string, 0 when it is empty): the byte itself, \ooo
// when its high bit is set, nothing for 0.
func AppendChar(dst []byte, c byte) []byte {
	switch {
	case c == 0:
		return dst
	case c >= 0x80:
		return append(dst, '\\', '0'+c>>6, '0'+(c>>3)&7, '0'+c&7)
	}
	return append(dst, c)
}

func firstByte[S string | []byte](s S) byte {
	if len(s) == 0 {
		return 0
	}
	return s[0]
}

func appendString(dst []byte, t Type, s string) []byte {
	if t.OID == OIDChar {
		return AppendChar(dst, firstByte(s))
	}
	return append(dst, s...)
}

func appendBinary(dst []byte, t Type, b []byte, o *TextOptions) []byte {
	switch t.OID {
	case OIDBytea:
	case OIDText, OIDVarchar, OIDBpchar, OIDName, OIDUnknown, OIDJSON:
		return append(dst, b...)
	case OIDChar:
		return AppendChar(dst, firstByte(b))
	}
	if o.ByteaHex {
		return AppendByteaHex(dst, b)
	}
	return AppendByteaEscape(dst, b)
}
