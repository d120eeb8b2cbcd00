package dialect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// fuzzSeeds adds the golden inputs and the client corpus as seeds (the
// files under testdata/fuzz/ are added by the fuzzing engine itself).
func fuzzSeeds(f *testing.F) {
	for _, name := range []string{"rewrite.txt"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			continue
		}
		for _, block := range strings.Split(string(data), "\n\n") {
			if in, _, ok := strings.Cut(block, "\n----"); ok && !strings.HasPrefix(in, "#") {
				f.Add(in)
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*.sql"))
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err == nil {
			f.Add(string(data))
		}
	}
}

// skipTrivia returns the offset after white space and comments at i.
func skipTriviaAt(s string, i int) int {
	for i < len(s) {
		switch {
		case isSpace(s[i]):
			i++
		case strings.HasPrefix(s[i:], "--"):
			for i < len(s) && s[i] != '\n' && s[i] != '\r' {
				i++
			}
		case strings.HasPrefix(s[i:], "/*"):
			end, ok := blockCommentEnd(s, i)
			if !ok {
				return i
			}
			i = end
		default:
			return i
		}
	}
	return i
}

// FuzzLex checks that the lexer and the splitter never panic, that
// tokens are ordered and cover the input (only white space and comments
// between them), that character offsets are right, and that pieces are
// the text at their offsets.
func FuzzLex(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, text string) {
		toks, err := Lex(text)
		if err != nil {
			if sqlstate.As(err) == nil || sqlstate.As(err).Position < 1 {
				t.Fatalf("error without position: %v", err)
			}
			return
		}
		at := 0
		for _, tok := range toks {
			if tok.Offset < at || tok.End < tok.Offset || tok.End > len(text) {
				t.Fatalf("token %+v out of order (at %d)", tok, at)
			}
			if gap := skipTriviaAt(text, at); gap < tok.Offset {
				t.Fatalf("uncovered text %q before %+v", text[at:tok.Offset], tok)
			}
			if c := utf8.RuneCountInString(text[:tok.Offset]); c != tok.Char {
				t.Fatalf("token %+v: char offset %d, want %d", tok, tok.Char, c)
			}
			at = tok.End
		}
		if last := toks[len(toks)-1]; last.Kind != EOF || last.Offset != len(text) {
			t.Fatalf("last token %+v", last)
		}
		pieces, err := Split(text)
		if err != nil {
			t.Fatalf("split failed after lex succeeded: %v", err)
		}
		for _, p := range pieces {
			if text[p.Offset:p.Offset+len(p.Text)] != p.Text || utf8.RuneCountInString(text[:p.Offset]) != p.Char {
				t.Fatalf("piece %+v does not match the text", p)
			}
		}
	})
}

// FuzzRewrite checks that parsing never panics or fails internally, that
// errors carry a position, and that every rewrite obeys the output
// contract (and, by construction, parsed in TiDB).
func FuzzRewrite(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, text string) {
		pieces, err := Split(text)
		if err != nil {
			return
		}
		for _, p := range pieces {
			st, err := p.Parse()
			if err != nil {
				e := sqlstate.As(err)
				if e == nil || e.Code == sqlstate.InternalError {
					t.Fatalf("%q: internal error: %v", p.Text, err)
				}
				if e.Position < 1 || e.Position > utf8.RuneCountInString(text)+1 {
					t.Fatalf("%q: bad position %d: %v", p.Text, e.Position, e)
				}
				continue
			}
			if st.Rewrite != nil {
				if err := checkContract(st.Rewrite); err != nil {
					t.Fatalf("%q: %v\n%s", p.Text, err, st.Rewrite.SQL)
				}
			}
		}
	})
}
