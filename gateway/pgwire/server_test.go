package pgwire_test

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgproto3/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lancegate/lancegate/gateway/pgwire"
)

// TestOversizedMessage: a length word above the limit for its message type
// ends the connection with FATAL 08P01 before the body is read (or
// allocated), as does an unknown message type.
func TestOversizedMessage(t *testing.T) {
	ts := startServer(t, pgwire.Config{MaxMessageSize: 1 << 20})
	header := func(typ byte, length uint32) []byte {
		return binary.BigEndian.AppendUint32([]byte{typ}, length)
	}
	tests := []struct {
		name string
		raw  []byte
		want string
	}{
		{"Query above MaxMessageSize", header('Q', 1<<20+5), "E FATAL 08P01 invalid message length"},
		{"2 GiB Bind", header('B', 0x7fffffff), "E FATAL 08P01 invalid message length"},
		{"Sync above 10000 bytes", header('S', 10005), "E FATAL 08P01 invalid message length"},
		{"negative length", header('Q', 0xfffffff0), "E FATAL 08P01 invalid message length"},
		{"length below 4", header('S', 3), "E FATAL 08P01 invalid message length"},
		{"unknown type", header('z', 4), "E FATAL 08P01 invalid frontend message type 122"},
		{"password after authentication", header('p', 9), "E FATAL 08P01 invalid frontend message type 112"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := connect(t, ts.addr)
			w.writeRaw(tt.raw)
			if got := w.recv(); got != tt.want {
				t.Fatalf("got %q; want %q", got, tt.want)
			}
			w.expectClosed()
		})
	}
	t.Run("Query at the limit is read", func(t *testing.T) {
		w := connect(t, ts.addr)
		q := make([]byte, 1<<20)
		for i := range q {
			q[i] = ' '
		}
		copy(q, "select 1")
		q[len(q)-1] = 0
		w.writeRaw(append(header('Q', 1<<20+4), q...))
		w.expect("T ?column?:23/0", "D 1", "C SELECT 1", "Z I")
	})
}

// TestManyConnections opens and closes 1000 connections, 100 at a time, and
// checks that every session was closed and no goroutine is left behind.
func TestManyConnections(t *testing.T) {
	baseline := runtime.NumGoroutine()
	ts := startServer(t, pgwire.Config{})
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	sem := make(chan struct{}, 100)
	for i := range 1000 {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, err := pgconn.Connect(ctx, ts.url(""))
			if err != nil {
				errs <- err
				return
			}
			if i%2 == 0 {
				_, err = c.Exec(ctx, "select 1").ReadAll()
			}
			if err == nil {
				err = c.Close(ctx)
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	waitFor(t, "sessions to close", func() bool { return ts.eng.liveSessions() == 0 })
	ts.stop()
	waitFor(t, "goroutines to return to the baseline", func() bool { return runtime.NumGoroutine() <= baseline })
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("timed out waiting for %s; goroutines:\n%s", what, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestShutdown: idle and busy connections are told FATAL 57P01 and closed;
// Serve returns; new connections are refused.
func TestShutdown(t *testing.T) {
	eng := newFakeEngine()
	srv := pgwire.NewServer(pgwire.Config{}, eng)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background(), ln) }()

	idle := connect(t, ln.Addr().String())
	busy := connect(t, ln.Addr().String())
	busy.send(&pgproto3.Query{String: "sleep"})
	<-eng.sleeping
	half := dial(t, ln.Addr().String()) // never sends its startup packet

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	if got := idle.recv(); got != "E FATAL 57P01 terminating connection due to administrator command" {
		t.Fatalf("idle connection got %q", got)
	}
	idle.expectClosed()
	got := busy.until("E")
	if got[len(got)-1] != "E FATAL 57P01 terminating connection due to administrator command" {
		t.Fatalf("busy connection got %q", got)
	}
	busy.expectClosed()
	half.expectClosed()
	if err := <-served; !errors.Is(err, pgwire.ErrServerClosed) {
		t.Fatalf("Serve = %v; want ErrServerClosed", err)
	}
	if eng.liveSessions() != 0 {
		t.Fatalf("%d sessions left open", eng.liveSessions())
	}
}

// TestServeContext: ending Serve's context shuts the server down.
func TestServeContext(t *testing.T) {
	ts := startServer(t, pgwire.Config{})
	c := pgxConnect(t, ts.url(""))
	ts.stop()
	_, err := c.Exec(context.Background(), "select 1")
	if pgCode(err) != "57P01" && !c.IsClosed() {
		t.Fatalf("after shutdown Exec = %v; want 57P01 or a closed connection", err)
	}
	if _, err := pgx.Connect(context.Background(), ts.url("connect_timeout=2")); err == nil {
		t.Fatal("connected after shutdown")
	}
}

// TestAuthTimeout: a client that never finishes its startup is closed.
func TestAuthTimeout(t *testing.T) {
	ts := startServer(t, pgwire.Config{AuthTimeout: 100 * time.Millisecond})
	w := dial(t, ts.addr)
	w.writeRaw([]byte{0, 0, 0, 40}) // a length, then nothing
	w.expectClosed()
}
