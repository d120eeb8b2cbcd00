package remote

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/flight"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/lancegate/lancegate/executor/spec"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// flightClient connects to an executor directly.
func flightClient(t testing.TB, addr string) flight.Client {
	t.Helper()
	c, err := flight.NewClientWithMiddleware(addr, nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// doGet sends a raw ticket and returns the stream's first error.
func doGet(t testing.TB, c flight.Client, tkt []byte) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stream, err := c.DoGet(ctx, &flight.Ticket{Ticket: tkt})
	if err != nil {
		return err
	}
	for {
		if _, err := stream.Recv(); err != nil {
			return err
		}
	}
}

func ping(c flight.Client, action string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stream, err := c.DoAction(ctx, &flight.Action{Type: action})
	if err != nil {
		return err
	}
	_, err = stream.Recv()
	return err
}

func TestServerRefusesBadTickets(t *testing.T) {
	tt := makeTable(t, 2, 100)
	p := startExecutor(t, tt.store, "", nil)
	c := flightClient(t, p.addr)

	if err := doGet(t, c, []byte("not a fragment")); status.Code(err) != codes.InvalidArgument {
		t.Errorf("ticket of garbage: %v; want InvalidArgument", err)
	}
	good, err := spec.Marshal(tt.build(t, fragSpec{}))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(good, &m); err != nil {
		t.Fatal(err)
	}
	m["v"] = spec.Version + 1
	other, _ := json.Marshal(m)
	err = doGet(t, c, other)
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "version") {
		t.Errorf("fragment of version %d: %v; want InvalidArgument naming the version", spec.Version+1, err)
	}
	// The good ticket works on the same connection.
	if err := doGet(t, c, good); !errors.Is(err, io.EOF) {
		t.Errorf("good ticket: %v; want the stream to end normally", err)
	}
	if err := ping(c, "no.such.action"); status.Code(err) != codes.Unimplemented {
		t.Errorf("unknown action: %v; want Unimplemented", err)
	}
}

// TestServerMissingColumn sends a fragment naming a missing column
// through the cluster: the client sees 42703, and the executor stays up.
func TestServerMissingColumn(t *testing.T) {
	tt := makeTable(t, 3, 100)
	_, addrs := startExecutors(t, tt.store, 2)
	cl := newCluster(t, addrs, Options{})
	frag := tt.build(t, fragSpec{})
	frag.Columns = []string{"id", "nope"}
	_, err := cl.Run(context.Background(), frag)
	checkCode(t, err, sqlstate.UndefinedColumn)
	if !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("error %q does not name the column", err)
	}
	for _, m := range cl.Members() {
		if !m.Alive {
			t.Errorf("member %+v down after a SQL error", m)
		}
	}
}

// TestServerMissingTable: a snapshot that no longer exists (or another
// incarnation of the table) is a SQL error, 40001, not an executor fault.
func TestServerMissingTable(t *testing.T) {
	tt := makeTable(t, 1, 10)
	_, addrs := startExecutors(t, tt.store, 2)
	cl := newCluster(t, addrs, Options{})
	for _, ref := range []spec.TableRef{
		{Root: "missing.lance", Version: 1, Committed: tt.ref.Committed},
		{Root: tt.ref.Root, Version: 9, Committed: tt.ref.Committed},
		{Root: tt.ref.Root, Version: tt.ref.Version, Committed: tt.ref.Committed + 1},
	} {
		frag := tt.build(t, fragSpec{})
		frag.Table = ref
		_, err := cl.Run(context.Background(), frag)
		checkCode(t, err, sqlstate.SerializationFailure)
	}
	for _, m := range cl.Members() {
		if !m.Alive {
			t.Errorf("member %+v down after a SQL error", m)
		}
	}
}

func TestServerReady(t *testing.T) {
	tt := makeTable(t, 3, 100)
	var ready atomic.Bool
	p := startExecutor(t, tt.store, "", func(c *ServerConfig) { c.Ready = ready.Load })
	c := flightClient(t, p.addr)
	if err := ping(c, actionPing); status.Code(err) != codes.Unavailable {
		t.Errorf("ping while not ready: %v; want Unavailable", err)
	}
	good, err := spec.Marshal(tt.build(t, fragSpec{}))
	if err != nil {
		t.Fatal(err)
	}
	if err := doGet(t, c, good); status.Code(err) != codes.Unavailable {
		t.Errorf("DoGet while not ready: %v; want Unavailable", err)
	}
	cl := newCluster(t, []string{p.addr}, Options{})
	waitFor(t, 5*time.Second, "the warming executor is marked down", func() bool {
		alive, _ := memberAlive(cl, p.addr)
		return !alive
	})
	_, err = cl.Run(context.Background(), tt.build(t, fragSpec{}))
	checkCode(t, err, sqlstate.CannotConnectNow)

	ready.Store(true)
	if err := ping(c, actionPing); err != nil {
		t.Errorf("ping when ready: %v", err)
	}
	waitFor(t, 5*time.Second, "the ready executor is alive", func() bool {
		alive, _ := memberAlive(cl, p.addr)
		return alive
	})
	cols, stats, retries, _ := runInts(t, cl, tt.build(t, fragSpec{}))
	if len(cols[0]) != 300 || retries != 0 || len(stats) != 1 || stats[0].Executor != p.addr {
		t.Errorf("%d rows, %d retries, stats %+v", len(cols[0]), retries, stats)
	}
}

// TestServeStopsInFlightStreams: Serve's doc says in-flight streams are
// cancelled when its context ends. A client that stopped reading keeps
// its stream open under flow control; Serve must still return.
func TestServeStopsInFlightStreams(t *testing.T) {
	tt := makeTable(t, 4, 50000)
	p := startExecutor(t, tt.store, "", nil)
	c := flightClient(t, p.addr)
	tkt, err := spec.Marshal(tt.build(t, fragSpec{}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := c.DoGet(ctx, &flight.Ticket{Ticket: tkt})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	// The client reads no more; the executor's context ends.
	p.cancel()
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup's stop
	case <-time.After(time.Second):
		cancel() // lets Serve return, for the cleanup
		t.Fatal("Serve did not return 1 s after its context ended: it waits for in-flight streams")
	}
	// The stream ends with an error, not normally.
	for {
		if _, err := stream.Recv(); err != nil {
			if errors.Is(err, io.EOF) {
				t.Fatal("the stream of a stopped executor ended normally")
			}
			break
		}
	}
}
