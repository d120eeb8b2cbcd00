package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/lancegate/lancegate/storage/objstore"
)

// TestHealthCommand runs `lancegate health` against the real metrics
// server of serve: healthy and ready answer 0, a 503 and a closed port 1.
func TestHealthCommand(t *testing.T) {
	store, err := objstore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- newMetrics().serve(ctx, ln, store, false) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	base := "http://" + ln.Addr().String()

	unavailable := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "storage: down", http.StatusServiceUnavailable)
	}))
	t.Cleanup(unavailable.Close)

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + closed.Addr().String() + "/healthz"
	closed.Close()

	tests := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"healthz", []string{"health", "--url", base + "/healthz"}, 0, "ok"},
		{"readyz", []string{"health", "--url", base + "/readyz", "--timeout", "5s"}, 0, "ok"},
		{"not found", []string{"health", "--url", base + "/nope"}, 1, "404"},
		{"unavailable", []string{"health", "--url", unavailable.URL + "/readyz"}, 1, "503"},
		{"nothing listens", []string{"health", "--url", closedURL}, 1, "refused"},
		{"bad flag", []string{"health", "--bogus"}, 1, "bogus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stdout %q stderr %q", code, tt.code, stdout.String(), stderr.String())
			}
			if got := stdout.String() + stderr.String(); !strings.Contains(got, tt.out) {
				t.Fatalf("output %q lacks %q", got, tt.out)
			}
		})
	}
}

// TestReadyzGates checks that /readyz answers 503 with the reason while a
// readyWhen condition fails (an executor prewarming) and 200 once it holds.
func TestReadyzGates(t *testing.T) {
	store, err := objstore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := newMetrics()
	var warm atomic.Bool
	m.readyWhen(func() error {
		if !warm.Load() {
			return errors.New("executor: prewarming its cache")
		}
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.serve(ctx, ln, store, false) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + ln.Addr().String() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(body)
	}
	if code, body := get("/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "prewarming") {
		t.Fatalf("/readyz while prewarming: %d %q", code, body)
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz while prewarming: %d, want 200 (alive)", code)
	}
	warm.Store(true)
	if code, body := get("/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz after prewarm: %d %q", code, body)
	}
}
