package objstoretest

import (
	"testing"

	"github.com/lancegate/lancegate/storage/objstore"
	"github.com/lancegate/lancegate/storage/objstore/azuritetest"
)

// Backend makes empty stores of one kind for tests.
type Backend struct {
	Name     string
	NewStore func(t *testing.T) objstore.Store
}

// Backends are the stores suites above objstore run against: memory, a
// local folder, and Azure Blob Storage on Azurite (a fresh container per
// store, rooted at a prefix as production roots usually are). A package
// using them calls azuritetest.Main from its TestMain.
func Backends() []Backend {
	return []Backend{
		{"memory", func(*testing.T) objstore.Store { return objstore.NewMemory() }},
		{"local", func(t *testing.T) objstore.Store {
			l, err := objstore.NewLocal(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return l
		}},
		{"azure", func(t *testing.T) objstore.Store {
			return azuritetest.Shared(t).NewStore(t, "lancegate/tables", nil)
		}},
	}
}

// EachBackend runs test once per backend, as a subtest named after it,
// with a fresh empty store.
func EachBackend(t *testing.T, test func(t *testing.T, store objstore.Store)) {
	t.Helper()
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) { test(t, b.NewStore(t)) })
	}
}

// Named returns the backends with the given names, in that order; an
// unknown name panics (a mistake in a test, not input).
func Named(names ...string) []Backend {
	var out []Backend
	for _, n := range names {
		found := false
		for _, b := range Backends() {
			if b.Name == n {
				out = append(out, b)
				found = true
			}
		}
		if !found {
			panic("objstoretest: no backend named " + n)
		}
	}
	return out
}
