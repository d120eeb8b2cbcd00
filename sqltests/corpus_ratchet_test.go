package sqltests

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The ratchet of TestCorpus: testdata/corpus/known_failures.txt holds one
// line per corpus statement that does not answer as PostgreSQL does yet,
// "id<TAB>first difference". Only the ids count; the reasons document the
// list for whoever shrinks it, and are rewritten by -update-corpus.

const knownFailuresHeader = `# Corpus statements (testdata/corpus/*.sql) that lancegate does not yet answer as
# PostgreSQL 15 does, with the first difference TestCorpus found. The list only
# shrinks: a statement that fails and is not listed, or is listed and passes,
# fails the test. Regenerate with
#   go test ./sqltests -run TestCorpus -update-corpus
`

// readKnownFailures returns the ids listed in the ratchet file and their
// reasons.
func readKnownFailures(t testing.TB) map[string]string {
	t.Helper()
	data, err := os.ReadFile(knownFailuresPath)
	if os.IsNotExist(err) {
		return map[string]string{}
	}
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, reason, _ := strings.Cut(line, "\t")
		id = strings.TrimSpace(id)
		if _, dup := known[id]; dup {
			t.Errorf("%s:%d: %s listed twice", knownFailuresPath, n, id)
		}
		known[id] = reason
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return known
}

// writeKnownFailures rewrites the ratchet file from this run's failures.
func writeKnownFailures(t testing.TB, failures map[string]string) {
	t.Helper()
	var b strings.Builder
	b.WriteString(knownFailuresHeader)
	for _, id := range sortedIDs(failures) {
		fmt.Fprintf(&b, "%s\t%s\n", id, failures[id])
	}
	if err := os.WriteFile(knownFailuresPath, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s: %d known failures", knownFailuresPath, len(failures))
}

// checkRatchet fails t for every failure not listed (a regression), every
// listed statement that passed (delete its line), and every listed id that
// is not in the corpus.
func checkRatchet(t testing.TB, all map[string]bool, failures map[string]string) {
	t.Helper()
	known := readKnownFailures(t)
	var regressions, fixed, stale []string
	for _, id := range sortedIDs(failures) {
		if _, ok := known[id]; !ok {
			regressions = append(regressions, id+"\t"+failures[id])
		}
	}
	for _, id := range sortedIDs(known) {
		switch {
		case !all[id]:
			stale = append(stale, id)
		case failures[id] == "":
			fixed = append(fixed, id+"\t"+known[id])
		}
	}
	if len(regressions) > 0 {
		t.Errorf("%d corpus statements fail and are not in %s (regressions):\n%s",
			len(regressions), knownFailuresPath, strings.Join(regressions, "\n"))
	}
	if len(fixed) > 0 {
		t.Errorf("%d corpus statements in %s now pass; delete these lines (or run -update-corpus):\n%s",
			len(fixed), knownFailuresPath, strings.Join(fixed, "\n"))
	}
	if len(stale) > 0 {
		t.Errorf("%s lists ids not in the corpus: %s", knownFailuresPath, strings.Join(stale, ", "))
	}
}

// sortedIDs returns m's keys in corpus order: by file, then number.
func sortedIDs[V any](m map[string]V) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		fi, ni := splitID(ids[i])
		fj, nj := splitID(ids[j])
		if fi != fj {
			return fi < fj
		}
		return ni < nj
	})
	return ids
}

func splitID(id string) (string, int) {
	file, num, _ := strings.Cut(id, ":")
	n, _ := strconv.Atoi(num)
	return file, n
}

// causeRes pull the root cause out of a difference: the missing relation,
// function or type an error names, or the kind of difference.
var causeRes = []struct {
	re    *regexp.Regexp
	cause string
}{
	{regexp.MustCompile(`relation "(?:pg_catalog\.)?([^"]+)" does not exist`), "missing relation $1"},
	{regexp.MustCompile(`function (?:pg_catalog\.)?([^ (]+)(\(.*\))? does not exist`), "missing function $1"},
	{regexp.MustCompile(`unknown function:? "?([^" ]+)"?`), "missing function $1"},
	{regexp.MustCompile(`type "([^"]+)" does not exist`), "missing type $1"},
	{regexp.MustCompile(`column "?([^" ]+)"? does not exist`), "missing column $1"},
	{regexp.MustCompile(`^error (\w+): syntax error`), "syntax error ($1)"},
	{regexp.MustCompile(`^error (\w+): (.*?)(; PostgreSQL.*)?$`), "error $1: $2"},
	{regexp.MustCompile(`^column "([^"]+)" type (\d+)\((-?\d+)\); want (\d+)\((-?\d+)\)`), "wrong column type: $2($3) for $4($5)"},
	{regexp.MustCompile(`^(\d+) columns .*; want`), "wrong column count"},
	{regexp.MustCompile(`^column \d+ named ("[^"]*"); want ("[^"]*")`), "wrong column name: $1 for $2"},
	{regexp.MustCompile(`^\d+ rows; want`), "wrong row count"},
	{regexp.MustCompile(`^row \d+ =`), "wrong row values"},
	{regexp.MustCompile(`^command tag`), "wrong command tag"},
	{regexp.MustCompile(`^ParameterDescription`), "wrong parameter types"},
	{regexp.MustCompile(`^accepted; PostgreSQL errors`), "accepted what PostgreSQL rejects"},
}

// quotedRe matches a quoted name in an error message.
var quotedRe = regexp.MustCompile(`"[^"]*"`)

// corpusCauses groups failures by root cause, most frequent first: the
// work list the test log ends with.
func corpusCauses(failures map[string]string) string {
	groups := map[string][]string{}
	for _, id := range sortedIDs(failures) {
		d, describe := strings.CutPrefix(failures[id], "Describe(S): ")
		cause := "other: " + d
		// Names in quotes vary where the cause does not ("regclass input
		// "pg_class" needs…"); the patterns above keep the ones that matter.
		generic := quotedRe.ReplaceAllString(d, `"…"`)
		for _, c := range causeRes {
			src := d
			if strings.HasPrefix(c.cause, "error ") {
				src = generic
			}
			if m := c.re.FindStringSubmatchIndex(src); m != nil {
				cause = string(c.re.ExpandString(nil, c.cause, src, m))
				break
			}
		}
		if describe {
			cause += " (in Describe(S))"
		}
		groups[cause] = append(groups[cause], id)
	}
	causes := make([]string, 0, len(groups))
	for c := range groups {
		causes = append(causes, c)
	}
	sort.Slice(causes, func(i, j int) bool {
		if len(groups[causes[i]]) != len(groups[causes[j]]) {
			return len(groups[causes[i]]) > len(groups[causes[j]])
		}
		return causes[i] < causes[j]
	})
	var b strings.Builder
	for _, c := range causes {
		fmt.Fprintf(&b, "%4d  %s: %s\n", len(groups[c]), c, strings.Join(groups[c], " "))
	}
	return b.String()
}
