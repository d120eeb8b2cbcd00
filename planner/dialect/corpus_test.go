package dialect

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// corpusDir holds the statements real clients sent (the repository's copy
// of shared/corpus/clients, which sqltests' TestCorpus replays).
var corpusDir = filepath.Join("..", "..", "sqltests", "testdata", "corpus")

type corpusEntry struct {
	file, kind, text string
	n                string
}

var corpusHeader = regexp.MustCompile(`^-- \[(\d+)\] (Query|Parse)$`)

func readCorpus(t testing.TB) []corpusEntry {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*.sql"))
	if len(files) == 0 {
		t.Skipf("no client corpus at %s", corpusDir)
	}
	var out []corpusEntry
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var cur *corpusEntry
		var lines []string
		for sc.Scan() {
			l := sc.Text()
			if m := corpusHeader.FindStringSubmatch(l); m != nil && cur == nil {
				cur = &corpusEntry{file: filepath.Base(path), n: m[1], kind: m[2]}
				lines = nil
				continue
			}
			if cur == nil {
				continue
			}
			if l == ";" {
				cur.text = strings.Join(lines, "\n")
				out = append(out, *cur)
				cur = nil
				continue
			}
			lines = append(lines, l)
		}
		f.Close()
	}
	return out
}

// TestCorpus parses every statement of the client corpus: each must
// parse (and meet the output contract) or fail deliberately with 0A000 or
// 42601 and a position.
func TestCorpus(t *testing.T) {
	entries := readCorpus(t)
	counts := map[string]int{}
	for _, e := range entries {
		var texts []string
		if e.kind == "Query" {
			pieces, err := Split(e.text)
			if err != nil {
				t.Errorf("%s [%s]: split: %v", e.file, e.n, err)
				continue
			}
			for _, pc := range pieces {
				texts = append(texts, pc.Text)
			}
		} else {
			texts = []string{e.text}
		}
		for _, text := range texts {
			st, err := Parse(text)
			switch {
			case err == nil && st.Session != nil:
				counts["session"]++
			case err == nil && st.Rewrite != nil:
				if cerr := checkContract(st.Rewrite); cerr != nil {
					t.Errorf("%s [%s]: contract: %v\n%s", e.file, e.n, cerr, st.Rewrite.SQL)
				}
				counts["rewritten"]++
			case err == nil:
				counts["empty"]++
			default:
				se := sqlstate.As(err)
				if se == nil || (se.Code != sqlstate.FeatureNotSupported && se.Code != sqlstate.SyntaxError) || se.Position == 0 {
					t.Errorf("%s [%s]: unexpected error %v", e.file, e.n, err)
					continue
				}
				counts[string(se.Code)]++
				if testing.Verbose() {
					t.Logf("%s [%s]: %s %s at %d", e.file, e.n, se.Code, se.Message, se.Position)
				}
			}
		}
	}
	t.Logf("corpus: %d entries; %d session statements, %d rewritten, %d 0A000, %d 42601",
		len(entries), counts["session"], counts["rewritten"], counts["0A000"], counts["42601"])
}
