package spec_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor/spec"
)

// FuzzDecode feeds arbitrary JSON and constants bytes to the Decoder: it
// may refuse them, never panic. Decoded expressions must render.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"kind":"call","name":"+","arg_types":[{"oid":23,"mod":-1},{"oid":23,"mod":-1}],"type":{"oid":23,"mod":-1},"args":[{"kind":"column","type":{"oid":23,"mod":-1}},{"kind":"const","null":true,"type":{"oid":23,"mod":-1}}]}`), []byte(nil))
	f.Add([]byte(`{"kind":"like","args":[{"kind":"param","index":1,"type":{"oid":25,"mod":-1}},{"kind":"const","type":{"oid":25,"mod":-1}}],"escape":92,"ilike":true}`), []byte("ARROW1"))
	f.Fuzz(func(t *testing.T, data, consts []byte) {
		mem := memory.NewGoAllocator()
		var x spec.Expr
		if err := json.Unmarshal(data, &x); err != nil {
			return
		}
		dec, err := spec.NewDecoder(consts, mem)
		if err != nil {
			if dec, err = spec.NewDecoder(nil, mem); err != nil {
				t.Fatal(err)
			}
		}
		defer dec.Close()
		if e, err := dec.Expr(&x); err == nil {
			_ = e.String()
			_ = e.Type()
		}
		var a spec.Agg
		if json.Unmarshal(data, &a) == nil {
			if c, err := dec.AggCall(&a); err == nil {
				_ = c.String()
			}
		}
	})
}

// TestDecodeMutations is a deterministic slice of FuzzDecode: the seed
// corpus with random bytes changed must decode or fail, never panic, hang
// or allocate without bound.
func TestDecodeMutations(t *testing.T) {
	files, err := filepath.Glob("testdata/fuzz/FuzzDecode/seed*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no seed corpus: %v", err)
	}
	var seeds [][2][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(b), "\n")
		var parts [2][]byte
		for i := range parts {
			s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[i+1], "[]byte("), ")"))
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			parts[i] = []byte(s)
		}
		seeds = append(seeds, parts)
	}
	r := rand.New(rand.NewPCG(5, 6))
	mem := memory.NewGoAllocator()
	for range 20000 {
		s := seeds[r.IntN(len(seeds))]
		js, consts := bytes.Clone(s[0]), bytes.Clone(s[1])
		for range 1 + r.IntN(4) {
			if b := [][]byte{js, consts}[r.IntN(2)]; len(b) > 0 {
				b[r.IntN(len(b))] = byte(r.IntN(256))
			}
		}
		var x spec.Expr
		if json.Unmarshal(js, &x) != nil {
			x = spec.Expr{}
			if json.Unmarshal(s[0], &x) != nil {
				t.Fatal("seed does not parse")
			}
		}
		dec, err := spec.NewDecoder(consts, mem)
		if err != nil {
			continue
		}
		if e, err := dec.Expr(&x); err == nil {
			_ = e.String()
		}
		dec.Close()
	}
}
