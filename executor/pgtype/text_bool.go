package pgtype

import (
	"strings"

	"github.com/apache/arrow/go/v17/arrow/scalar"
)

// parseBool is boolin: white space around one of t, true, y, yes, on, 1
// (or f, false, n, no, off, 0), any unique prefix of the words and any
// case.
func parseBool(s string) (scalar.Scalar, error) {
	v, ok := parseBoolWord(trimSpace(s))
	if !ok {
		return nil, syntaxError("boolean", s)
	}
	return scalar.NewBooleanScalar(v), nil
}

func parseBoolWord(w string) (v, ok bool) {
	if w == "" {
		return false, false
	}
	prefix := func(word string) bool {
		return len(w) <= len(word) && strings.EqualFold(w, word[:len(w)])
	}
	switch lower(w[0]) {
	case 't':
		return true, prefix("true")
	case 'f':
		return false, prefix("false")
	case 'y':
		return true, prefix("yes")
	case 'n':
		return false, prefix("no")
	case 'o':
		// "o" alone is ambiguous between on and off.
		if len(w) < 2 {
			return false, false
		}
		if prefix("on") {
			return true, true
		}
		return false, prefix("off")
	case '1':
		return true, len(w) == 1
	case '0':
		return false, len(w) == 1
	}
	return false, false
}

// AppendBool appends boolout's form of v: t or f.
func AppendBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, 't')
	}
	return append(dst, 'f')
}
