package azuritetest

import (
	"context"
	"os"
	"sync"
	"testing"
)

// shared is the package-wide Azurite of one test binary, started by the
// first test that asks for it and stopped by Main. It lives in this
// test-only package; production code never imports it.
var shared struct {
	mu  sync.Mutex
	srv *Server
	err error
}

// Main runs a test package's tests and then stops the shared Azurite, if a
// test started it. Call it from TestMain:
//
//	func TestMain(m *testing.M) { azuritetest.Main(m) }
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run runs the tests, stops the shared Azurite and returns the exit code,
// for a TestMain with more to clean up.
func Run(m *testing.M) int {
	code := m.Run()
	shared.mu.Lock()
	if shared.srv != nil {
		shared.srv.Stop()
	}
	shared.mu.Unlock()
	return code
}

// Shared returns the package's Azurite, starting it on first use. Without
// LANCEGATE_AZURITE it skips the test, or fails it when
// LANCEGATE_REQUIRE_INTEROP=1.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	bin, err := Binary()
	if err != nil {
		if os.Getenv("LANCEGATE_REQUIRE_INTEROP") == "1" {
			tb.Fatal(err)
		}
		tb.Skip(err)
	}
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv == nil && shared.err == nil {
		shared.srv, shared.err = Start(context.Background(), bin, Options{})
	}
	if shared.err != nil {
		tb.Fatalf("azurite: %v", shared.err)
	}
	return shared.srv
}

// Own starts an Azurite that only the calling test uses (for tests that
// stop or restart it), stopped when the test ends.
func Own(tb testing.TB, opts Options) *Server {
	tb.Helper()
	bin, err := Binary()
	if err != nil {
		if os.Getenv("LANCEGATE_REQUIRE_INTEROP") == "1" {
			tb.Fatal(err)
		}
		tb.Skip(err)
	}
	srv, err := Start(context.Background(), bin, opts)
	if err != nil {
		tb.Fatalf("azurite: %v", err)
	}
	tb.Cleanup(srv.Stop)
	return srv
}
