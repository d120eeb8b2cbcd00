package sqltests

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// corpusEntry is one statement of the client corpus
// (testdata/corpus/README.md): what one client sent, and how.
type corpusEntry struct {
	// File is the corpus file's name without ".sql" ("psql", "pgjdbc").
	File string
	// N is the entry's number in its file.
	N int
	// Parse is true for statements the client sent with the extended
	// protocol, false for simple Query messages.
	Parse bool
	// SQL is the statement exactly as sent.
	SQL string
	// Line is the line of the entry's header, for messages.
	Line int
}

// ID names the entry in known_failures.txt and in messages: "psql:12".
func (e corpusEntry) ID() string { return e.File + ":" + strconv.Itoa(e.N) }

// parseCorpus reads a corpus file. An entry starts with a line
// "-- [n] Query" or "-- [n] Parse" and ends with a line holding only ";";
// the lines between are the statement. Outside entries only blank lines
// and "--" comments may appear. Entry numbers are unique in a file.
func parseCorpus(file string, data []byte) ([]corpusEntry, error) {
	lines := strings.Split(string(data), "\n")
	var (
		entries []corpusEntry
		cur     *corpusEntry
		body    []string
		seen    = map[int]bool{}
	)
	for i, line := range lines {
		lineNo := i + 1
		if cur != nil {
			if line == ";" {
				if len(body) == 0 {
					return nil, fmt.Errorf("%s:%d: entry [%d] is empty", file, cur.Line, cur.N)
				}
				cur.SQL = strings.Join(body, "\n")
				entries = append(entries, *cur)
				cur, body = nil, nil
				continue
			}
			body = append(body, line)
			continue
		}
		if n, parse, ok, err := parseCorpusHeader(line); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", file, lineNo, err)
		} else if ok {
			if seen[n] {
				return nil, fmt.Errorf("%s:%d: entry [%d] appears twice", file, lineNo, n)
			}
			seen[n] = true
			cur = &corpusEntry{File: file, N: n, Parse: parse, Line: lineNo}
			continue
		}
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "--") {
			return nil, fmt.Errorf("%s:%d: text outside an entry: %q", file, lineNo, line)
		}
	}
	if cur != nil {
		return nil, fmt.Errorf("%s:%d: entry [%d] has no closing \";\" line", file, cur.Line, cur.N)
	}
	return entries, nil
}

// parseCorpusHeader recognises "-- [n] Query" and "-- [n] Parse". ok is
// false for other lines; a line that starts like a header but is not one
// is an error.
func parseCorpusHeader(line string) (n int, parse, ok bool, err error) {
	rest, found := strings.CutPrefix(line, "-- [")
	if !found {
		return 0, false, false, nil
	}
	num, kind, found := strings.Cut(rest, "] ")
	if !found {
		return 0, false, false, fmt.Errorf("malformed entry header %q", line)
	}
	n, err = strconv.Atoi(num)
	if err != nil || n <= 0 || strconv.Itoa(n) != num {
		return 0, false, false, fmt.Errorf("entry header %q: bad number", line)
	}
	switch kind {
	case "Query":
		return n, false, true, nil
	case "Parse":
		return n, true, true, nil
	}
	return 0, false, false, fmt.Errorf("entry header %q: kind must be Query or Parse", line)
}

// formatCorpus writes entries in the corpus format; parseCorpus of the
// result gives the entries back.
func formatCorpus(entries []corpusEntry) []byte {
	var b strings.Builder
	for _, e := range entries {
		kind := "Query"
		if e.Parse {
			kind = "Parse"
		}
		fmt.Fprintf(&b, "-- [%d] %s\n%s\n;\n\n", e.N, kind, e.SQL)
	}
	return []byte(b.String())
}

// loadCorpus parses every testdata/corpus/*.sql file, in name order.
func loadCorpus(t testing.TB) map[string][]corpusEntry {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "corpus", "*.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no testdata/corpus/*.sql files")
	}
	files := map[string][]corpusEntry{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(p), ".sql")
		entries, err := parseCorpus(name, data)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = entries
	}
	return files
}

func TestParseCorpus(t *testing.T) {
	files := loadCorpus(t)
	total := 0
	for name, entries := range files {
		if len(entries) == 0 {
			t.Errorf("%s: no entries", name)
		}
		total += len(entries)
	}
	// The README's table lists these clients; a file that loses entries
	// silently would shrink what the replay checks.
	if total < 120 {
		t.Errorf("corpus has %d entries; want at least 120", total)
	}

	bad := []struct{ name, text string }{
		{"unterminated", "-- [1] Query\nSELECT 1\n"},
		{"empty", "-- [1] Query\n;\n"},
		{"duplicate", "-- [1] Query\nSELECT 1\n;\n-- [1] Parse\nSELECT 2\n;\n"},
		{"kind", "-- [1] Bind\nSELECT 1\n;\n"},
		{"number", "-- [x] Query\nSELECT 1\n;\n"},
		{"zero", "-- [0] Query\nSELECT 1\n;\n"},
		{"stray", "SELECT 1\n"},
	}
	for _, c := range bad {
		if got, err := parseCorpus(c.name, []byte(c.text)); err == nil {
			t.Errorf("parseCorpus(%q) = %v, nil; want an error", c.text, got)
		}
	}

	got, err := parseCorpus("x", []byte("-- header\n\n-- [2] Parse\nSELECT $1\n  ;\n;\n-- [7] Query\nbegin\n;\n"))
	want := []corpusEntry{
		{File: "x", N: 2, Parse: true, SQL: "SELECT $1\n  ;", Line: 3},
		{File: "x", N: 7, SQL: "begin", Line: 7},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("parseCorpus = %+v, %v; want %+v", got, err, want)
	}
}

// FuzzParseCorpus checks that parseCorpus never panics and that what it
// accepts survives formatCorpus. The seeds are the corpus files in
// testdata/corpus and testdata/fuzz/FuzzParseCorpus.
func FuzzParseCorpus(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "corpus", "*.sql"))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := parseCorpus("f", data)
		if err != nil {
			return
		}
		again, err := parseCorpus("f", formatCorpus(entries))
		if err != nil {
			t.Fatalf("parseCorpus(formatCorpus(%+v)): %v", entries, err)
		}
		if len(again) != len(entries) {
			t.Fatalf("round trip: %d entries; want %d", len(again), len(entries))
		}
		for i := range entries {
			a, b := entries[i], again[i]
			if a.N != b.N || a.Parse != b.Parse || a.SQL != b.SQL {
				t.Fatalf("round trip: entry %d = %+v; want %+v", i, b, a)
			}
		}
	})
}
