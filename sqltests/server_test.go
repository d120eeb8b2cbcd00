package sqltests

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/lancegate/lancegate/gateway"
	"github.com/lancegate/lancegate/gateway/pgwire"
	"github.com/lancegate/lancegate/storage/objstore"
)

// testServer is a lancegate server started in the test process on a
// loopback port, over a fresh local storage root.
type testServer struct {
	addr string
	dir  string
}

// startServer starts a server for the test; it stops when the test ends.
func startServer(t testing.TB) *testServer {
	t.Helper()
	dir := t.TempDir()
	store, err := objstore.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv := startServerOn(t, store)
	srv.dir = dir
	return srv
}

// startServerOn starts a server whose tables live in store; its dir is
// empty unless the caller sets it.
func startServerOn(t testing.TB, store objstore.Store) *testServer {
	t.Helper()
	return startServerWith(t, store, gateway.Options{})
}

// startServerWith starts a server over store with engine options opts.
func startServerWith(t testing.TB, store objstore.Store, opts gateway.Options) *testServer {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	opts.Version, opts.Logger = "test", logger
	eng := gateway.NewEngine(store, opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := pgwire.NewServer(pgwire.Config{Logger: logger}, eng)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && ctx.Err() == nil {
			t.Errorf("server: %v", err)
		}
	})
	return &testServer{addr: ln.Addr().String()}
}

// dsn returns a connection string for user lancegate.
func (s *testServer) dsn() string {
	host, port, _ := net.SplitHostPort(s.addr)
	return fmt.Sprintf("postgres://lancegate@%s:%s/lancegate?sslmode=disable", host, port)
}

// connect opens a pgx connection.
func (s *testServer) connect(t testing.TB) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), s.dsn())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}
