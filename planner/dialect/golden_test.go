package dialect

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

var rewriteGolden = flag.Bool("rewrite", false, "regenerate the expected outputs in testdata/*.txt")

// goldenCase is one case of a golden file: input lines, "----", output
// lines, then a blank line.
type goldenCase struct {
	input  string
	output string
	line   int
}

func readGolden(t *testing.T, path string) (header string, cases []goldenCase) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var (
		in, out  []string
		inOutput bool
		lineNo   int
		start    int
		hdr      []string
	)
	flush := func() {
		if len(in) > 0 {
			cases = append(cases, goldenCase{input: strings.Join(in, "\n"), output: strings.Join(out, "\n"), line: start})
		}
		in, out, inOutput = nil, nil, false
	}
	for sc.Scan() {
		lineNo++
		l := sc.Text()
		switch {
		case len(cases) == 0 && len(in) == 0 && strings.HasPrefix(l, "#"):
			hdr = append(hdr, l)
		case l == "----" && !inOutput:
			inOutput = true
		case inOutput && l == "":
			flush()
		case inOutput:
			out = append(out, l)
		case l == "" && len(in) == 0:
		default:
			if len(in) == 0 {
				start = lineNo
			}
			in = append(in, l)
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(hdr, "\n"), cases
}

func writeGolden(t *testing.T, path, header string, cases []goldenCase) {
	t.Helper()
	var b strings.Builder
	if header != "" {
		b.WriteString(header + "\n\n")
	}
	for _, c := range cases {
		fmt.Fprintf(&b, "%s\n----\n%s\n\n", c.input, c.output)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// runGolden runs fn over every case of testdata/name and compares (or,
// with -rewrite, regenerates) the outputs.
func runGolden(t *testing.T, name string, fn func(input string) string) {
	path := filepath.Join("testdata", name)
	header, cases := readGolden(t, path)
	for i := range cases {
		got := fn(cases[i].input)
		if *rewriteGolden {
			cases[i].output = got
			continue
		}
		if got != cases[i].output {
			t.Errorf("%s:%d: %s\ngot:\n%s\nwant:\n%s", path, cases[i].line, cases[i].input, got, cases[i].output)
		}
	}
	if *rewriteGolden {
		writeGolden(t, path, header, cases)
	}
}

// describeError renders an error for golden files.
func describeError(err error) string {
	e := sqlstate.As(err)
	if e == nil {
		return "error: " + err.Error()
	}
	s := fmt.Sprintf("error %s at %d: %s", e.Code, e.Position, e.Message)
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

// describeRewrite renders a rewrite and its side table.
func describeRewrite(r *Rewrite) string {
	var b strings.Builder
	b.WriteString(r.SQL)
	s := r.Side
	if len(s.Params) > 0 {
		var ns []string
		for _, p := range s.Params {
			n := fmt.Sprintf("$%d@%d", p.N, p.Pos)
			if c, ok := s.ParamCasts[p.Offset]; ok {
				n += "::" + c.String()
			}
			ns = append(ns, n)
		}
		fmt.Fprintf(&b, "\nparams: %s", strings.Join(ns, " "))
	}
	for _, c := range s.Columns {
		fmt.Fprintf(&b, "\ncolumn %s: %s", c.Name, c.Type)
		if c.Type.ArrayDims > 0 {
			fmt.Fprintf(&b, " dims=%d", c.Type.ArrayDims)
		}
		if c.Serial {
			b.WriteString(" serial")
		}
		if c.NotNull {
			b.WriteString(" not-null")
		}
		if c.PrimaryKey {
			b.WriteString(" primary-key")
		}
		if c.Default != nil {
			fmt.Fprintf(&b, " default=[%s]", c.Default.SQL)
		}
	}
	if s.Returning != nil {
		fmt.Fprintf(&b, "\nreturning: %s", s.Returning.SQL)
		for _, p := range s.Returning.Side.Params {
			fmt.Fprintf(&b, " $%d", p.N)
		}
	}
	for _, f := range s.Functions {
		fmt.Fprintf(&b, "\nfunction: schema=%q name=%s alias=%s columns=%v ordinality=%v at=%d", f.Schema, f.Name, f.Alias, f.Columns, f.Ordinality, f.Offset)
	}
	for _, a := range s.Aliases {
		fmt.Fprintf(&b, "\naliases: %s%v", a.Alias, a.Columns)
	}
	for _, c := range s.Catalogs {
		fmt.Fprintf(&b, "\ncatalog: %s@%d", c.Name, c.Pos)
	}
	if s.IfExists {
		b.WriteString("\nif-exists")
	}
	for _, sp := range s.StorageParams {
		fmt.Fprintf(&b, "\nstorage param: %s=%q@%d", sp.Name, sp.Value, sp.Pos)
	}
	return b.String()
}

func TestRewriteGolden(t *testing.T) {
	runGolden(t, "rewrite.txt", func(in string) string {
		st, err := Parse(in)
		if err != nil {
			return describeError(err)
		}
		if st.Rewrite == nil {
			return "session statement"
		}
		if err := checkContract(st.Rewrite); err != nil {
			return "CONTRACT VIOLATION: " + err.Error() + "\n" + describeRewrite(st.Rewrite)
		}
		return describeRewrite(st.Rewrite)
	})
}
