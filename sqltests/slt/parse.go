package slt

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Kind is the kind of a record.
type Kind int

// Record kinds.
const (
	Statement Kind = iota
	Query
)

// Record is one statement or query of a file.
type Record struct {
	Kind Kind
	// Line is the 1-based line of the directive, for failure messages.
	Line int
	// SQL is the statement text.
	SQL string
	// Args are the parameters $1…, from an "args:" line.
	Args []any
	// ErrCode is the expected SQLSTATE, or "" when success is expected.
	ErrCode string
	// Count is the expected row count of "statement count N", or -1.
	Count int64
	// Types is the column type string of a query.
	Types string
	// Sort is "nosort", "rowsort" or "valuesort".
	Sort string
	// Expected holds the expected result lines of a query.
	Expected []string
	// OnlyIf and SkipIf are the shapes ("embedded", "distributed") the
	// record runs only on, or is skipped on, from "onlyif X" and
	// "skipif X" lines before its directive.
	OnlyIf, SkipIf []string
	// conds are those lines as written, for rewriting.
	conds []string
	// directive is the directive line as written, for rewriting.
	directive string
	// comments are the comment lines before the record, for rewriting.
	comments []string
}

// File is a parsed logic test file.
type File struct {
	Path    string
	Config  []string
	Records []*Record
	// trailer holds comment lines after the last record, for rewriting.
	trailer []string
}

// ParseFile reads and parses a logic test file.
func ParseFile(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	file, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	file.Path = path
	return file, nil
}

// Parse parses a logic test file.
func Parse(r io.Reader) (*File, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	file := &File{}
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	i := 0
	var comments []string
	for i < len(lines) {
		line := strings.TrimRight(lines[i], " \t")
		switch {
		case line == "":
			i++
			continue
		case strings.HasPrefix(line, "#"):
			if cfg, ok := strings.CutPrefix(line, "# config:"); ok {
				file.Config = strings.Fields(cfg)
			}
			comments = append(comments, line)
			i++
			continue
		}
		rec, next, err := parseRecord(lines, i)
		if err != nil {
			return nil, err
		}
		rec.comments, comments = comments, nil
		file.Records = append(file.Records, rec)
		i = next
	}
	file.trailer = comments
	return file, nil
}

// Applies reports whether the record runs on a server of the given shape.
func (r *Record) Applies(shape string) bool {
	for _, s := range r.SkipIf {
		if s == shape {
			return false
		}
	}
	if len(r.OnlyIf) == 0 {
		return true
	}
	for _, s := range r.OnlyIf {
		if s == shape {
			return true
		}
	}
	return false
}

func parseRecord(lines []string, i int) (*Record, int, error) {
	var onlyIf, skipIf, conds []string
	for i < len(lines) {
		f := strings.Fields(lines[i])
		if len(f) != 2 || (f[0] != "onlyif" && f[0] != "skipif") {
			break
		}
		if f[0] == "onlyif" {
			onlyIf = append(onlyIf, f[1])
		} else {
			skipIf = append(skipIf, f[1])
		}
		conds = append(conds, strings.TrimSpace(lines[i]))
		i++
	}
	if i >= len(lines) || strings.TrimSpace(lines[i]) == "" {
		return nil, 0, fmt.Errorf("line %d: onlyif/skipif without a record", i)
	}
	directive := strings.TrimSpace(lines[i])
	f := strings.Fields(directive)
	rec := &Record{Line: i + 1, Count: -1, Sort: "nosort", directive: directive, OnlyIf: onlyIf, SkipIf: skipIf, conds: conds}
	switch f[0] {
	case "statement":
		rec.Kind = Statement
		switch {
		case len(f) == 2 && f[1] == "ok":
		case len(f) == 3 && f[1] == "count":
			n, err := strconv.ParseInt(f[2], 10, 64)
			if err != nil {
				return nil, 0, fmt.Errorf("line %d: bad count %q", i+1, f[2])
			}
			rec.Count = n
		case len(f) == 4 && f[1] == "error" && f[2] == "pgcode":
			rec.ErrCode = f[3]
		default:
			return nil, 0, fmt.Errorf("line %d: bad statement directive %q", i+1, directive)
		}
	case "query":
		rec.Kind = Query
		switch {
		case len(f) == 4 && f[1] == "error" && f[2] == "pgcode":
			rec.ErrCode = f[3]
		case len(f) >= 2:
			rec.Types = f[1]
			if len(f) >= 3 {
				rec.Sort = f[2]
			}
			if rec.Sort != "nosort" && rec.Sort != "rowsort" && rec.Sort != "valuesort" {
				return nil, 0, fmt.Errorf("line %d: unknown sort mode %q", i+1, rec.Sort)
			}
		default:
			return nil, 0, fmt.Errorf("line %d: bad query directive %q", i+1, directive)
		}
	default:
		return nil, 0, fmt.Errorf("line %d: unknown directive %q", i+1, directive)
	}
	i++
	if i < len(lines) {
		if a, ok := strings.CutPrefix(strings.TrimSpace(lines[i]), "args:"); ok {
			args, err := parseArgs(a)
			if err != nil {
				return nil, 0, fmt.Errorf("line %d: bad args: %v", i+1, err)
			}
			rec.Args = args
			i++
		}
	}
	var sql []string
	for i < len(lines) && strings.TrimSpace(lines[i]) != "" && strings.TrimSpace(lines[i]) != "----" {
		sql = append(sql, lines[i])
		i++
	}
	rec.SQL = strings.Join(sql, "\n")
	if rec.SQL == "" {
		return nil, 0, fmt.Errorf("line %d: record without SQL", rec.Line)
	}
	if rec.Kind == Query && rec.ErrCode == "" {
		if i >= len(lines) || strings.TrimSpace(lines[i]) != "----" {
			// A query with no expected rows may omit the separator.
			return rec, i, nil
		}
		i++
		for i < len(lines) && strings.TrimSpace(lines[i]) != "" {
			rec.Expected = append(rec.Expected, strings.TrimRight(lines[i], " \t"))
			i++
		}
	}
	return rec, i, nil
}

// Write writes the file back, with each query's Expected lines.
func (f *File) Write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for i, r := range f.Records {
		if i > 0 {
			fmt.Fprintln(bw)
		}
		for _, c := range r.comments {
			fmt.Fprintln(bw, c)
		}
		for _, c := range r.conds {
			fmt.Fprintln(bw, c)
		}
		fmt.Fprintln(bw, r.directive)
		if r.Args != nil {
			a, _ := json.Marshal(r.Args)
			fmt.Fprintf(bw, "args: %s\n", a)
		}
		fmt.Fprintln(bw, r.SQL)
		if r.Kind == Query && r.ErrCode == "" {
			fmt.Fprintln(bw, "----")
			for _, e := range r.Expected {
				fmt.Fprintln(bw, e)
			}
		}
	}
	if len(f.trailer) > 0 {
		fmt.Fprintln(bw)
		for _, c := range f.trailer {
			fmt.Fprintln(bw, c)
		}
	}
	return bw.Flush()
}

// parseArgs decodes a JSON array of parameters; integral numbers become
// int64 (as a Go program would bind them), other numbers float64.
func parseArgs(s string) ([]any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var raw []any
	if err := dec.Decode(&raw); err != nil {
		return nil, err
	}
	for i, v := range raw {
		if n, ok := v.(json.Number); ok {
			if iv, err := n.Int64(); err == nil {
				raw[i] = iv
			} else if fv, err := n.Float64(); err == nil {
				raw[i] = fv
			}
		}
	}
	return raw, nil
}
