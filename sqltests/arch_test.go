package sqltests

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/lancegate/lancegate/"

// TestArchitecture enforces the direction of dependencies of
// docs/architecture.md: it fails with the offending import when a package
// imports one it must not.
func TestArchitecture(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", "-deps=false", "../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	type pkg struct {
		ImportPath string
		Imports    []string
		Deps       []string
		Name       string
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	var pkgs []pkg
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages", len(pkgs))
	}
	ours := func(imp string) (string, bool) {
		if !strings.HasPrefix(imp, module) {
			return "", false
		}
		return strings.TrimPrefix(imp, module), true
	}
	under := func(p, dir string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }
	rules := []struct {
		from   string
		forbid []string
		allow  []string // when set, only these of ours may be imported
		why    string
	}{
		{from: "storage", allow: []string{"storage"}, why: "storage imports nothing of ours above it"},
		{from: "executor", forbid: []string{"planner", "gateway", "agent", "cmd"}, why: "the executor never sees SQL text or sessions"},
		{from: "planner", forbid: []string{"gateway", "agent", "storage", "cmd", "executor/scan"}, why: "the planner reaches storage only through its Catalog interface"},
		{from: "gateway", forbid: []string{"agent", "cmd"}, why: "only cmd wires roles together"},
		{from: "agent", forbid: []string{"gateway", "planner", "cmd"}, why: "the agent works on storage, not on SQL sessions"},
		{from: "executor/sqlstate", allow: []string{}, why: "sqlstate is a leaf"},
		{from: "executor/pgtype", allow: []string{"executor/sqlstate"}, why: "pgtype is a leaf"},
	}
	for _, p := range pkgs {
		rel, ok := ours(p.ImportPath)
		if !ok {
			continue
		}
		for _, r := range rules {
			if !under(rel, r.from) {
				continue
			}
			for _, imp := range p.Imports {
				irel, ok := ours(imp)
				if !ok {
					continue
				}
				bad := false
				if r.allow != nil {
					bad = true
					for _, a := range r.allow {
						if under(irel, a) {
							bad = false
						}
					}
				}
				for _, f := range r.forbid {
					if under(irel, f) {
						bad = true
					}
				}
				if bad {
					t.Errorf("%s imports %s: %s", rel, irel, r.why)
				}
			}
		}
		if strings.HasSuffix(rel, "test") && p.Name != "main" {
			// Test-support packages (…test) are imported only by tests:
			// checked below through the importers' non-test imports.
			continue
		}
		for _, imp := range p.Imports {
			if irel, ok := ours(imp); ok && (strings.HasSuffix(irel, "test") || strings.HasSuffix(irel, "/exectest")) {
				t.Errorf("%s imports the test double %s in production code", rel, irel)
			}
		}
	}
	// The binary does not link the testing package.
	deps, err := exec.Command("go", "list", "-deps", "../cmd/lancegate").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range strings.Fields(string(deps)) {
		if d == "testing" {
			t.Error("cmd/lancegate links package testing")
		}
	}
}
