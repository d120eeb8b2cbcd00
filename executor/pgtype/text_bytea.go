package pgtype

import (
	"unicode/utf8"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// parseBytea is byteain: "\x" then pairs of hex digits (white space
// allowed between pairs), or the escape form, where "\\" is a backslash,
// "\ooo" an octal byte and other bytes stand for themselves.
func parseBytea(s string) (scalar.Scalar, error) {
	b, err := decodeBytea(s)
	if err != nil {
		return nil, err
	}
	return scalar.NewBinaryScalar(memory.NewBufferBytes(b), arrow.BinaryTypes.Binary), nil
}

func decodeBytea(s string) ([]byte, error) {
	if len(s) >= 2 && s[0] == '\\' && s[1] == 'x' {
		return decodeHex(s[2:])
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		switch {
		case s[i] != '\\':
			out = append(out, s[i])
			i++
		case i+3 < len(s) && s[i+1] >= '0' && s[i+1] <= '3' && isOctal(s[i+2]) && isOctal(s[i+3]):
			out = append(out, (s[i+1]-'0')<<6|(s[i+2]-'0')<<3|(s[i+3]-'0'))
			i += 4
		case i+1 < len(s) && s[i+1] == '\\':
			out = append(out, '\\')
			i += 2
		default:
			return nil, sqlstate.New(sqlstate.InvalidTextRepresentation, "invalid input syntax for type bytea")
		}
	}
	return out, nil
}

// decodeHex is hex_decode: pairs of hex digits, white space (space, tab,
// newline, carriage return) skipped between pairs.
func decodeHex(s string) ([]byte, error) {
	out := make([]byte, 0, len(s)/2)
	for i := 0; i < len(s); {
		c := s[i]
		if c == ' ' || c == '\n' || c == '\t' || c == '\r' {
			i++
			continue
		}
		hi, ok := hexVal(c)
		if !ok {
			return nil, badHexDigit(s[i:])
		}
		if i+1 >= len(s) {
			return nil, sqlstate.New(sqlstate.InvalidParameterValue, "invalid hexadecimal data: odd number of digits")
		}
		lo, ok := hexVal(s[i+1])
		if !ok {
			return nil, badHexDigit(s[i+1:])
		}
		out = append(out, hi<<4|lo)
		i += 2
	}
	return out, nil
}

func badHexDigit(s string) error {
	n := 1
	if s[0] >= 0x80 {
		if _, w := utf8.DecodeRuneInString(s); w > 1 {
			n = w
		}
	}
	return sqlstate.New(sqlstate.InvalidParameterValue, "invalid hexadecimal digit: \"%s\"", s[:n])
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

const hexDigits = "0123456789abcdef"

func appendHexByte(dst []byte, c byte) []byte {
	return append(dst, hexDigits[c>>4], hexDigits[c&15])
}

// AppendByteaHex appends byteaout's hex form of b: \x and two lower-case
// hex digits per byte.
func AppendByteaHex(dst, b []byte) []byte {
	dst = append(dst, '\\', 'x')
	for _, c := range b {
		dst = append(dst, hexDigits[c>>4], hexDigits[c&15])
	}
	return dst
}

// AppendByteaEscape appends byteaout's escape form of b (bytea_output =
// escape): \\ for a backslash, \ooo for bytes outside 0x20–0x7e, other
// bytes as they are.
func AppendByteaEscape(dst, b []byte) []byte {
	for _, c := range b {
		switch {
		case c == '\\':
			dst = append(dst, '\\', '\\')
		case c < 0x20 || c > 0x7e:
			dst = append(dst, '\\', '0'+c>>6, '0'+(c>>3)&7, '0'+c&7)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
