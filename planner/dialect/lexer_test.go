package dialect

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// describeTokens renders tokens as Kind:Value@Char.
func describeTokens(toks []Token) string {
	var s []string
	for _, t := range toks {
		if t.Kind == EOF {
			break
		}
		v := t.Value
		if t.Quoted {
			v = `"` + v + `"`
		}
		s = append(s, fmt.Sprintf("%s:%s@%d", t.Kind, v, t.Char))
	}
	return strings.Join(s, " ")
}

func TestLexTokens(t *testing.T) {
	cases := []struct{ in, want string }{
		{"SELECT Foo, \"Bar\"", `Ident:select@0 Ident:foo@7 Punct:,@10 Ident:"Bar"@12`},
		{`U&"d\0061t\+000061"`, `Ident:"data"@0`},
		{`U&"d!0061t" UESCAPE '!'`, `Ident:"dat"@0`},
		{`"a""b"`, `Ident:"a"b"@0`},
		{"'it''s'", "String:it's@0"},
		{`'C:\path'`, `String:C:\path@0`},
		{`E'a\nb\t\x41\101\u00e9\U0001F600\''`, "String:a\nb\tAAé😀'@0"},
		{`U&'\0041\+01F600' UESCAPE '\'`, "String:A😀@0"},
		{"$$x$$ $tag$a$b$tag$", "String:x@0 String:a$b@6"},
		{"B'0101' X'1F'", "BitString:0101@0 BitString:00011111@8"},
		{"'a'\n'b'", "String:ab@0"},
		{"'a'  \n  -- d\n 'b'", "String:ab@0"}, {"'a' -- c\n'b'", "String:a@0 String:b@9"},
		{"N'x'", "Ident:nchar@0 String:x@1"},
		{"42 4.2 .5 4e2 1.5E-3 1.", "Integer:42@0 Numeric:4.2@3 Numeric:.5@7 Numeric:4e2@10 Numeric:1.5E-3@14 Numeric:1.@21"},
		{"1..2", "Integer:1@0 Op:..@1 Integer:2@3"},
		{"$1 $65535 foo$1", "Param:$1@0 Param:$65535@3 Ident:foo$1@10"},
		{"a<-1", "Ident:a@0 Op:<@1 Op:-@2 Integer:1@3"},
		{"a<->b a<=>b a<#>b a<+>b", "Ident:a@0 Op:<->@1 Ident:b@4 Ident:a@6 Op:<=>@7 Ident:b@10 Ident:a@12 Op:<#>@13 Ident:b@16 Ident:a@18 Op:<+>@19 Ident:b@22"},
		{"a=-1 a@-1 a!=b", "Ident:a@0 Op:=@1 Op:-@2 Integer:1@3 Ident:a@5 Op:@-@6 Integer:1@8 Ident:a@10 Op:<>@11 Ident:b@13"},
		{"x::int :=  =>", "Ident:x@0 Op:::@1 Ident:int@3 Op::=@7 Op:=>@11"},
		{"a[1:2]", "Ident:a@0 Punct:[@1 Integer:1@2 Punct::@3 Integer:2@4 Punct:]@5"},
		{"SELECT 1 --1", "Ident:select@0 Integer:1@7"},
		{"1 /* a /* b */ c */ 2", "Integer:1@0 Integer:2@20"},
		{"a+/*c*/b", "Ident:a@0 Op:+@1 Ident:b@7"},
		{"a ?| b ?& c", "Ident:a@0 Op:?|@2 Ident:b@5 Op:?&@7 Ident:c@10"},
		{"日本 'é' x", "Ident:日本@0 String:é@3 Ident:x@7"},
		{strings.Repeat("a", 70), "Ident:" + strings.Repeat("a", 63) + "@0"},
	}
	for _, c := range cases {
		toks, err := Lex(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if got := describeTokens(toks); got != c.want {
			t.Errorf("%q:\n got %s\nwant %s", c.in, got, c.want)
		}
		last := toks[len(toks)-1]
		if last.Kind != EOF || last.Offset != len(c.in) {
			t.Errorf("%q: bad EOF token %+v", c.in, last)
		}
	}
}

func TestLexErrors(t *testing.T) {
	cases := []struct {
		in   string
		code sqlstate.Code
		pos  int
		msg  string
	}{
		{"'abc", sqlstate.SyntaxError, 1, `unterminated quoted string at or near "'abc"`},
		{`"abc`, sqlstate.SyntaxError, 1, `unterminated quoted identifier at or near ""abc"`},
		{`""`, sqlstate.SyntaxError, 1, `zero-length delimited identifier at or near """"`},
		{"/* x", sqlstate.SyntaxError, 1, `unterminated /* comment at or near "/* x"`},
		{"$a$ x", sqlstate.SyntaxError, 1, `unterminated dollar-quoted string at or near "$a$ x"`},
		{"42abc", sqlstate.SyntaxError, 1, `trailing junk after numeric literal at or near "42a"`},
		{"1e+", sqlstate.SyntaxError, 1, `trailing junk after numeric literal at or near "1e+"`},
		{"$1x", sqlstate.SyntaxError, 1, `trailing junk after parameter at or near "$1x"`},
		{"$0", sqlstate.UndefinedParameter, 1, `there is no parameter $0`},
		{"é $99999", sqlstate.UndefinedParameter, 3, `there is no parameter $99999`},
		{"B'012'", sqlstate.InvalidTextRepresentation, 1, `"2" is not a valid binary digit`},
		{"X'1G'", sqlstate.InvalidTextRepresentation, 1, `"G" is not a valid hexadecimal digit`},
		{`E'\xff'`, characterNotInRepertoire, 1, `invalid byte sequence for encoding "UTF8": 0xff`},
		{`E'\uD800'`, sqlstate.SyntaxError, 1, `invalid Unicode surrogate pair`},
		{`U&'\00'`, sqlstate.SyntaxError, 1, `invalid Unicode escape`},
		{"日本 {", sqlstate.SyntaxError, 4, `syntax error at or near "{"`},
		{"a \\ b", sqlstate.SyntaxError, 3, `syntax error at or near "\"`},
		{"a\x00", sqlstate.ProtocolViolation, 2, `invalid string in message`},
	}
	for _, c := range cases {
		_, err := Lex(c.in)
		e := sqlstate.As(err)
		if e == nil || e.Code != c.code || e.Position != c.pos || e.Message != c.msg {
			t.Errorf("%q: got %+v, want %s at %d: %s", c.in, e, c.code, c.pos, c.msg)
		}
	}
}

func TestSplit(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"SELECT 1; SELECT 2", []string{"SELECT 1", "SELECT 2"}},
		{"SELECT ';'; SELECT $$;$$;", []string{"SELECT ';'", "SELECT $$;$$"}},
		{";; -- only a comment\n; /* ; */", nil},
		{"SELECT (1;2); SELECT \"a;b\"", []string{"SELECT (1;2)", `SELECT "a;b"`}},
		{"BEGIN; INSERT INTO t VALUES (1) -- x; y\n; COMMIT", []string{"BEGIN", "INSERT INTO t VALUES (1) -- x; y\n", "COMMIT"}},
		{"SELECT 'a;\n' 'b'; SELECT E'\\';'", []string{"SELECT 'a;\n' 'b'", `SELECT E'\';'`}},
	}
	for _, c := range cases {
		pieces, err := Split(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		var got []string
		for _, p := range pieces {
			got = append(got, p.Text)
			if c.in[p.Offset:p.Offset+len(p.Text)] != p.Text {
				t.Errorf("%q: piece %q has a wrong offset %d", c.in, p.Text, p.Offset)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
	}
}
