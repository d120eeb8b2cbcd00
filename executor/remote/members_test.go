package remote

import (
	"context"
	"net"
	"slices"
	"testing"
	"time"
)

func TestParseExecutors(t *testing.T) {
	for _, c := range []struct {
		in         string
		static     []string
		host, port string
	}{
		{in: "a:1,b:2", static: []string{"a:1", "b:2"}},
		{in: " a:1 , ", static: []string{"a:1"}},
		{in: "[::1]:7000", static: []string{"[::1]:7000"}},
		{in: "dns:localhost:7000", host: "localhost", port: "7000"},
		{in: "dns://executors.default.svc:7000", host: "executors.default.svc", port: "7000"},
	} {
		static, host, port, err := parseExecutors(c.in)
		if err != nil {
			t.Errorf("parseExecutors(%q): %v", c.in, err)
			continue
		}
		if !slices.Equal(static, c.static) || host != c.host || port != c.port {
			t.Errorf("parseExecutors(%q) = %q, %q, %q; want %q, %q, %q", c.in, static, host, port, c.static, c.host, c.port)
		}
	}
	for _, in := range []string{"", " , ", "nohostport", "a:1,nohostport", "dns:noport", "dns::7000", "dns:host:"} {
		if static, host, port, err := parseExecutors(in); err == nil {
			t.Errorf("parseExecutors(%q) = %q, %q, %q; want an error", in, static, host, port)
		}
	}
	if _, err := NewCluster(context.Background(), Options{Executors: "nohostport", Logger: quietLogger}); err == nil {
		t.Error("NewCluster accepted executors \"nohostport\"")
	}
}

// TestClusterDNS discovers executors through "dns:localhost:port".
// localhost may resolve to 127.0.0.1, ::1 or both: an executor listens
// on every loopback address localhost has here, so that each resolved
// member answers.
func TestClusterDNS(t *testing.T) {
	ips, err := net.DefaultResolver.LookupHost(context.Background(), "localhost")
	if err != nil || len(ips) == 0 {
		t.Skipf("localhost does not resolve: %v", err)
	}
	tt := makeTable(t, 3, 100)
	// The first address picks the port; the others listen on the same
	// port if they can (an address family may be unavailable).
	first := startExecutor(t, tt.store, net.JoinHostPort(ips[0], "0"), nil)
	_, port, _ := net.SplitHostPort(first.addr)
	serving := map[string]bool{first.addr: true}
	for _, ip := range ips[1:] {
		addr := net.JoinHostPort(ip, port)
		if serving[addr] {
			continue
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Logf("localhost address %s unusable: %v", addr, err)
			continue
		}
		ln.Close()
		serving[startExecutor(t, tt.store, addr, nil).addr] = true
	}
	cl := newCluster(t, nil, Options{Executors: "dns:localhost:" + port})
	var want []string
	for a := range serving {
		want = append(want, a)
	}
	slices.Sort(want)
	waitFor(t, 5*time.Second, "every resolved executor is alive", func() bool {
		var alive []string
		for _, m := range cl.Members() {
			if m.Alive {
				alive = append(alive, m.Addr)
			}
		}
		return slices.Equal(alive, want)
	})
	g, err := cl.Run(context.Background(), tt.build(t, fragSpec{}))
	if err != nil {
		t.Fatal(err)
	}
	cols, err := drainInts(t, g)
	stats, retries, fallbacks := g.ExecutorStats()
	g.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(cols[0]) != 300 || retries != 0 || fallbacks != 0 {
		t.Fatalf("%d rows, %d retries, %d fallbacks; want 300, 0, 0", len(cols[0]), retries, fallbacks)
	}
	for _, s := range stats {
		if !serving[s.Executor] {
			t.Errorf("stats of %s, which is not a resolved executor", s.Executor)
		}
	}
}

// TestClusterDNSUnresolved keeps a cluster whose name does not resolve
// yet: no members, statements fail with 57P03.
func TestClusterDNSUnresolved(t *testing.T) {
	cl := newCluster(t, nil, Options{Executors: "dns:no-such-host.invalid:7000"})
	if m := cl.Members(); len(m) != 0 {
		t.Fatalf("members %v", m)
	}
	tt := makeTable(t, 1, 10)
	_, err := cl.Run(context.Background(), tt.build(t, fragSpec{}))
	checkCode(t, err, "57P03")
}
