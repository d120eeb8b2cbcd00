package deploy

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The Bicep compiler is not reachable from the build machine, so
// TestAzureBicep reads the files in azure/ structurally: module paths,
// parameters passed against parameters declared, balanced brackets and the
// security settings the deployment promises. It also compiles every file
// when a bicep binary is at hand ($LANCEGATE_BICEP or bicep on PATH).

const azureDir = "azure"

// bicepFile is one .bicep or .bicepparam file, index-aligned in three forms.
type bicepFile struct {
	path string // relative to azureDir
	src  string // as written
	code string // comments blanked: what the security checks search
	bare string // comments and string contents blanked: what the structure checks parse
}

// bicepParam is a parameter declaration.
type bicepParam struct {
	required bool // no default value
	line     int
}

func loadBicepFiles(t *testing.T) map[string]*bicepFile {
	t.Helper()
	files := map[string]*bicepFile{}
	err := filepath.WalkDir(azureDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || (!strings.HasSuffix(p, ".bicep") && !strings.HasSuffix(p, ".bicepparam")) {
			return err
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(azureDir, p)
		f := &bicepFile{path: filepath.ToSlash(rel), src: string(src)}
		if f.code, f.bare, err = maskBicep(f.src); err != nil {
			return fmt.Errorf("%s: %v", p, err)
		}
		files[f.path] = f
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"main.bicep", "customer.bicep", "managed.bicepparam", "byoc.bicepparam", "hybrid.bicepparam", "customer.bicepparam"} {
		if files[want] == nil {
			t.Fatalf("%s/%s is missing", azureDir, want)
		}
	}
	return files
}

// maskBicep blanks comments (in code and bare) and the contents of string
// literals, interpolations included (in bare only), keeping every offset and
// newline where it was.
func maskBicep(src string) (code, bare string, err error) {
	c, b := []byte(src), []byte(src)
	blank := func(buf []byte, from, to int) {
		for k := from; k < to; k++ {
			if buf[k] != '\n' {
				buf[k] = ' '
			}
		}
	}
	for i := 0; i < len(src); {
		rest := src[i:]
		switch {
		case strings.HasPrefix(rest, "//"):
			end := strings.IndexByte(rest, '\n')
			if end < 0 {
				end = len(rest)
			}
			blank(c, i, i+end)
			blank(b, i, i+end)
			i += end
		case strings.HasPrefix(rest, "/*"):
			end := strings.Index(rest[2:], "*/")
			if end < 0 {
				return "", "", fmt.Errorf("line %d: unterminated comment", lineOf(src, i))
			}
			blank(c, i, i+end+4)
			blank(b, i, i+end+4)
			i += end + 4
		case strings.HasPrefix(rest, "'''"):
			end := strings.Index(rest[3:], "'''")
			if end < 0 {
				return "", "", fmt.Errorf("line %d: unterminated multi-line string", lineOf(src, i))
			}
			blank(b, i+3, i+3+end)
			i += end + 6
		case src[i] == '\'':
			end, err := skipBicepString(src, i)
			if err != nil {
				return "", "", err
			}
			blank(b, i+1, end-1)
			i = end
		default:
			i++
		}
	}
	return string(c), string(b), nil
}

// skipBicepString returns the offset just past the string literal at i,
// which may hold escapes and ${...} interpolations with strings of their own.
func skipBicepString(src string, i int) (int, error) {
	for k := i + 1; k < len(src); {
		switch {
		case src[k] == '\\':
			k += 2
		case src[k] == '\'':
			return k + 1, nil
		case src[k] == '\n':
			return 0, fmt.Errorf("line %d: string not closed on its line", lineOf(src, i))
		case strings.HasPrefix(src[k:], "${"):
			depth := 0
			for k += 2; ; k++ {
				if k >= len(src) {
					return 0, fmt.Errorf("line %d: unterminated interpolation", lineOf(src, i))
				}
				if src[k] == '\'' {
					end, err := skipBicepString(src, k)
					if err != nil {
						return 0, err
					}
					k = end - 1
				} else if src[k] == '{' {
					depth++
				} else if src[k] == '}' {
					if depth == 0 {
						k++
						break
					}
					depth--
				}
			}
		default:
			k++
		}
	}
	return 0, fmt.Errorf("line %d: unterminated string", lineOf(src, i))
}

func lineOf(src string, offset int) int { return strings.Count(src[:offset], "\n") + 1 }

// closing returns the offset of the bracket that closes the one at open in
// bare, or -1.
func closing(bare string, open int) int {
	depth := 0
	for k := open; k < len(bare); k++ {
		switch bare[k] {
		case '{', '[', '(':
			depth++
		case '}', ']', ')':
			depth--
			if depth == 0 {
				return k
			}
		}
	}
	return -1
}

var bicepKey = regexp.MustCompile(`^[ \t]*(\w+)[ \t]*:`)

// topLevelKeys lists the keys of the object literal whose braces are at open
// and close, with their offsets; nested objects are skipped.
func topLevelKeys(bare string, open, close int) map[string]int {
	keys := map[string]int{}
	depth := 0
	for k := open + 1; k < close; k++ {
		if (k == open+1 || bare[k-1] == '\n') && depth == 0 {
			if m := bicepKey.FindStringSubmatchIndex(bare[k:close]); m != nil {
				keys[bare[k+m[2]:k+m[3]]] = k
			}
		}
		switch bare[k] {
		case '{', '[', '(':
			depth++
		case '}', ']', ')':
			depth--
		}
	}
	return keys
}

var (
	paramDecl    = regexp.MustCompile(`(?m)^param[ \t]+(\w+)[ \t]+[\w.\[\]]+([ \t]*=)?`)
	paramSet     = regexp.MustCompile(`(?m)^param[ \t]+(\w+)[ \t]*=`)
	usingDecl    = regexp.MustCompile(`\Ausing '(\./[\w./-]+\.bicep)'[ \t]*\n`)
	moduleDecl   = regexp.MustCompile(`(?m)^module[ \t]+(\w+)[ \t]+'`)
	moduleSource = regexp.MustCompile(`\A'([^']+)'[ \t]*=[ \t]*`)
)

// params lists the parameters a .bicep file declares.
func (f *bicepFile) params() map[string]bicepParam {
	out := map[string]bicepParam{}
	for _, m := range paramDecl.FindAllStringSubmatchIndex(f.bare, -1) {
		out[f.bare[m[2]:m[3]]] = bicepParam{required: m[4] < 0, line: lineOf(f.bare, m[0])}
	}
	return out
}

// bicepModule is one module statement: its target and the params it passes.
type bicepModule struct {
	symbol, target string // target relative to azureDir
	line           int
	params         map[string]int
}

func (f *bicepFile) modules() ([]bicepModule, error) {
	var out []bicepModule
	for _, m := range moduleDecl.FindAllStringSubmatchIndex(f.bare, -1) {
		mod := bicepModule{symbol: f.bare[m[2]:m[3]], line: lineOf(f.bare, m[0])}
		quote := m[1] - 1
		src := moduleSource.FindStringSubmatch(f.src[quote:])
		if src == nil {
			return nil, fmt.Errorf("%s:%d: module %s: cannot read its path", f.path, mod.line, mod.symbol)
		}
		mod.target = filepath.ToSlash(filepath.Join(filepath.Dir(f.path), src[1]))
		body := quote + len(src[0])
		if strings.HasPrefix(f.bare[body:], "if") {
			open := strings.IndexByte(f.bare[body:], '(') + body
			body = closing(f.bare, open) + 1
			for body < len(f.bare) && (f.bare[body] == ' ' || f.bare[body] == '\t') {
				body++
			}
		}
		end := -1
		if f.bare[body] == '{' {
			end = closing(f.bare, body)
		}
		if end < 0 {
			return nil, fmt.Errorf("%s:%d: module %s: want `= {` or `= if (...) {`", f.path, mod.line, mod.symbol)
		}
		mod.params = map[string]int{}
		if at, ok := topLevelKeys(f.bare, body, end)["params"]; ok {
			open := strings.IndexByte(f.bare[at:], '{') + at
			mod.params = topLevelKeys(f.bare, open, closing(f.bare, open))
		}
		out = append(out, mod)
	}
	return out, nil
}

func TestAzureBicep(t *testing.T) {
	files := loadBicepFiles(t)
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths)

	// Every module statement names a file that exists.
	t.Run("module paths", func(t *testing.T) {
		for _, p := range paths {
			mods, err := files[p].modules()
			if err != nil {
				t.Error(err)
			}
			for _, m := range mods {
				if files[m.target] == nil {
					t.Errorf("%s:%d: module %s: %s does not exist", p, m.line, m.symbol, m.target)
				}
			}
		}
	})

	// Every module call passes only parameters the module declares, and
	// every parameter of the module without a default.
	t.Run("module params", func(t *testing.T) {
		calls := 0
		for _, p := range paths {
			mods, _ := files[p].modules()
			for _, m := range mods {
				target := files[m.target]
				if target == nil {
					continue
				}
				calls++
				declared := target.params()
				for name, at := range m.params {
					if _, ok := declared[name]; !ok {
						t.Errorf("%s:%d: module %s passes %s, which %s does not declare", p, lineOf(files[p].src, at), m.symbol, name, m.target)
					}
				}
				for name, d := range declared {
					if _, ok := m.params[name]; d.required && !ok {
						t.Errorf("%s:%d: module %s does not pass %s (%s:%d has no default)", p, m.line, m.symbol, name, m.target, d.line)
					}
				}
			}
		}
		if calls < 8 {
			t.Errorf("read %d module calls; the files make more: is the module statement parsing broken?", calls)
		}
	})

	// Every parameter file uses an existing template, sets only parameters
	// it declares, and every parameter without a default.
	t.Run("parameter files", func(t *testing.T) {
		for _, p := range paths {
			f := files[p]
			if !strings.HasSuffix(p, ".bicepparam") {
				continue
			}
			using := usingDecl.FindStringSubmatch(f.src)
			if using == nil {
				t.Errorf("%s: does not start with using './<file>.bicep'", p)
				continue
			}
			target := files[filepath.ToSlash(filepath.Join(filepath.Dir(p), using[1]))]
			if target == nil {
				t.Errorf("%s: uses %s, which does not exist", p, using[1])
				continue
			}
			declared := target.params()
			set := map[string]bool{}
			for _, m := range paramSet.FindAllStringSubmatchIndex(f.bare, -1) {
				name := f.bare[m[2]:m[3]]
				set[name] = true
				if _, ok := declared[name]; !ok {
					t.Errorf("%s:%d: sets %s, which %s does not declare", p, lineOf(f.src, m[0]), name, using[1])
				}
			}
			for name, d := range declared {
				if d.required && !set[name] {
					t.Errorf("%s: does not set %s (no default in %s:%d)", p, name, using[1], d.line)
				}
			}
		}
	})

	// Brackets balance outside strings and comments.
	t.Run("brackets", func(t *testing.T) {
		pairs := map[byte]byte{'}': '{', ']': '[', ')': '('}
		for _, p := range paths {
			f := files[p]
			var stack []int
			for k := 0; k < len(f.bare); k++ {
				switch c := f.bare[k]; c {
				case '{', '[', '(':
					stack = append(stack, k)
				case '}', ']', ')':
					if len(stack) == 0 || f.bare[stack[len(stack)-1]] != pairs[c] {
						t.Errorf("%s:%d: unmatched %q", p, lineOf(f.src, k), c)
						k = len(f.bare)
						stack = nil
						continue
					}
					stack = stack[:len(stack)-1]
				}
			}
			for _, open := range stack {
				t.Errorf("%s:%d: %q is never closed", p, lineOf(f.src, open), f.bare[open])
			}
		}
	})

	// The settings the deployment promises, outside comments.
	t.Run("security settings", func(t *testing.T) {
		for _, c := range []struct{ file, what, re string }{
			{"modules/storage.bicep", "no shared-key (nor SAS) access", `allowSharedKeyAccess:\s*false\b`},
			{"modules/storage.bicep", "no public network access", `publicNetworkAccess:\s*'Disabled'`},
			{"modules/storage.bicep", "no anonymous blob access", `allowBlobPublicAccess:\s*false\b`},
			{"modules/storage.bicep", "TLS 1.2", `minimumTlsVersion:\s*'TLS1_2'`},
			{"modules/storage.bicep", "a private endpoint to the blob service", `module \w+ 'privateendpoint\.bicep'(?s:.*?)groupId:\s*'blob'`},
			{"modules/privateendpoint.bicep", "a private endpoint", `resource \w+ 'Microsoft\.Network/privateEndpoints@[\d-]+'`},
			{"modules/privateendpoint.bicep", "its connection to the groupId", `groupIds:\s*\[\s*groupId\s*\]`},
			{"modules/privateendpoint.bicep", "its privatelink DNS zone group", `'Microsoft\.Network/privateEndpoints/privateDnsZoneGroups@`},
			{"main.bicep", "hybrid: a manual private endpoint to the customer's blob service", `groupId:\s*'blob'\s*\n(?:.*\n)*?\s*manualApproval:\s*true`},
			{"modules/network.bicep", "a PLS subnet without network policies", `privateLinkServiceNetworkPolicies:\s*'Disabled'`},
			{"modules/aks.bicep", "the OIDC issuer", `oidcIssuerProfile:\s*\{\s*enabled:\s*true\s*\}`},
			{"modules/aks.bicep", "workload identity", `workloadIdentity:\s*\{\s*enabled:\s*true\s*\}`},
			{"modules/aks.bicep", "no local accounts", `disableLocalAccounts:\s*true\b`},
			{"modules/aks.bicep", "Network Contributor for the cluster identity", `'4d97b98b-1d4f-4787-a291-c67834d212e7'`},
			{"modules/identity.bicep", "the token exchange audience", `audiences:\s*\[\s*'api://AzureADTokenExchange'\s*\]`},
			{"modules/identity.bicep", "federated credentials one at a time", `@batchSize\(1\)\s*resource \w+ 'Microsoft\.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@`},
			{"modules/roles.bicep", "Storage Blob Data Contributor", `'ba92f5b4-2d11-453d-a403-e96b0029c9fe'`},
			{"customer.bicep", "Storage Blob Data Contributor on the container", `'ba92f5b4-2d11-453d-a403-e96b0029c9fe'(?s:.*)scope:\s*container\b`},
			{"modules/eventhubs.bicep", "the Kafka endpoint", `kafkaEnabled:\s*true\b`},
			{"modules/eventhubs.bicep", "no public network access", `publicNetworkAccess:\s*'Disabled'`},
		} {
			f := files[c.file]
			if f == nil {
				t.Errorf("%s is missing (%s)", c.file, c.what)
			} else if !regexp.MustCompile(c.re).MatchString(f.code) {
				t.Errorf("%s: %s: no match for %s", c.file, c.what, c.re)
			}
		}
		// The customer grants the vendor the container alone: every scope in
		// customer.bicep is the container.
		scopes := regexp.MustCompile(`\bscope:\s*(\w+)`).FindAllStringSubmatch(files["customer.bicep"].code, -1)
		if len(scopes) == 0 {
			t.Error("customer.bicep: no role assignment on the container")
		}
		for _, s := range scopes {
			if s[1] != "container" {
				t.Errorf("customer.bicep: a role assignment on %s: want the container only", s[1])
			}
		}
		// Kafka needs Event Hubs Standard or above: the tiers a template
		// allows must not include Basic.
		for _, c := range []struct{ file, param string }{{"modules/eventhubs.bicep", "skuName"}, {"main.bicep", "eventHubsSku"}} {
			re := regexp.MustCompile(`@allowed\(\[([^\]]*)\]\)\s*(?:@[^\n]*\n\s*)*param ` + c.param + `\s`)
			m := re.FindStringSubmatch(files[c.file].code)
			if m == nil {
				t.Errorf("%s: param %s has no @allowed list of Event Hubs tiers", c.file, c.param)
				continue
			}
			tiers := strings.Fields(strings.NewReplacer("'", " ", ",", " ").Replace(m[1]))
			if slices.Contains(tiers, "Basic") || !slices.Contains(tiers, "Standard") {
				t.Errorf("%s: param %s allows %v: want Standard or above (Kafka), never Basic", c.file, c.param, tiers)
			}
		}
	})

	// The real compiler, where there is one (the build machine cannot
	// reach it: NuGet and GitHub releases are out of its reach).
	bicep := os.Getenv("LANCEGATE_BICEP")
	if bicep == "" {
		bicep, _ = exec.LookPath("bicep")
	}
	if bicep == "" {
		t.Log("no bicep binary ($LANCEGATE_BICEP or bicep on PATH): structural checks only")
		return
	}
	t.Run("compiler", func(t *testing.T) {
		t.Logf("compiling with %s", bicep)
		for _, p := range paths {
			verb := "build"
			if strings.HasSuffix(p, ".bicepparam") {
				verb = "build-params"
			}
			var stderr strings.Builder
			cmd := exec.Command(bicep, verb, "--stdout", filepath.Join(azureDir, p))
			cmd.Stderr = &stderr
			if err := cmd.Run(); err != nil {
				t.Errorf("bicep %s %s: %v\n%s", verb, p, err, stderr.String())
			} else if stderr.Len() > 0 {
				t.Logf("bicep %s %s:\n%s", verb, p, stderr.String())
			}
		}
	})
}
