package remote

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow/go/v17/arrow/flight"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
)

// member is one executor as a query node sees it. A member is down from
// a failed stream or ping until a ping succeeds; the prober pings every
// member each Probe interval, so a returning executor is used again
// within about a second.
type member struct {
	addr   string
	conn   *grpc.ClientConn
	client flight.Client

	mu       sync.Mutex
	isDown   bool
	failures int // consecutive
	since    time.Time
	lastErr  string
}

// alive reports whether fragments may be sent to m now.
func (m *member) alive() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return !m.isDown
}

// down marks m unusable; it reports whether m was alive before.
func (m *member) down(now time.Time, err error) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	was := !m.isDown
	if was {
		m.since = now
	}
	m.isDown = true
	m.failures++
	m.lastErr = err.Error()
	return was
}

// up marks m usable; it reports whether m was down before.
func (m *member) up(now time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	was := m.isDown
	if was {
		m.since = now
	}
	m.isDown = false
	m.failures = 0
	m.lastErr = ""
	return was
}

// MemberStatus describes one executor for lancegate.executors.
type MemberStatus struct {
	Addr  string
	Alive bool
	// Failures counts consecutive failed streams and pings.
	Failures int
	// Since is when the member last changed state (zero: alive since it
	// was added).
	Since     time.Time
	LastError string
}

func (m *member) status() MemberStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	return MemberStatus{Addr: m.addr, Alive: !m.isDown, Failures: m.failures, Since: m.since, LastError: m.lastErr}
}

// ping asks m whether it serves fragments.
func (m *member) ping(ctx context.Context) error {
	stream, err := m.client.DoAction(ctx, &flight.Action{Type: actionPing})
	if err != nil {
		return err
	}
	_, err = stream.Recv()
	return err
}

// membership is the set of executors: a static list, or the addresses a
// DNS name resolves to (a Kubernetes headless service), refreshed.
type membership struct {
	static []string
	// dnsHost and dnsPort are set for a DNS-discovered set.
	dnsHost, dnsPort string
	resolver         *net.Resolver

	mu      sync.RWMutex
	members map[string]*member
	names   []string // sorted keys of members
}

// parseExecutors reads --executors: "host:port,host:port", or
// "dns:name:port" for the records of a DNS name.
func parseExecutors(spec string) (static []string, dnsHost, dnsPort string, err error) {
	spec = strings.TrimSpace(spec)
	if rest, ok := strings.CutPrefix(spec, "dns:"); ok {
		rest = strings.TrimPrefix(rest, "//")
		host, port, err := net.SplitHostPort(rest)
		if err != nil || host == "" || port == "" {
			return nil, "", "", fmt.Errorf("executors %q: want dns:host:port", spec)
		}
		return nil, host, port, nil
	}
	for _, a := range strings.Split(spec, ",") {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(a); err != nil {
			return nil, "", "", fmt.Errorf("executor address %q: %w", a, err)
		}
		static = append(static, a)
	}
	if len(static) == 0 {
		return nil, "", "", fmt.Errorf("executors %q: no addresses", spec)
	}
	return static, "", "", nil
}

// set replaces the member set with addrs, keeping the state of members
// that stay and closing the clients of those that left.
func (ms *membership) set(addrs []string) error {
	slices.Sort(addrs)
	addrs = slices.Compact(addrs)
	ms.mu.Lock()
	defer ms.mu.Unlock()
	next := make(map[string]*member, len(addrs))
	for _, a := range addrs {
		if m, ok := ms.members[a]; ok {
			next[a] = m
			continue
		}
		conn, err := grpc.NewClient(a,
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(256<<20)),
			// Reconnect quickly: a restarted executor should be back
			// within seconds, not after gRPC's default 2-minute backoff.
			grpc.WithConnectParams(grpc.ConnectParams{
				Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 2 * time.Second},
				MinConnectTimeout: 2 * time.Second,
			}))
		if err != nil {
			return fmt.Errorf("executor %s: %w", a, err)
		}
		// Closing the connection (not the Flight client, which clears its
		// fields) is safe while statements still use it: their calls fail,
		// which they treat as the executor's fault.
		next[a] = &member{addr: a, conn: conn, client: flight.NewClientFromConn(conn, nil)}
	}
	for a, m := range ms.members {
		if _, ok := next[a]; !ok {
			m.conn.Close()
		}
	}
	ms.members = next
	ms.names = addrs
	return nil
}

// refresh re-resolves a DNS-discovered set.
func (ms *membership) refresh(ctx context.Context) error {
	if ms.dnsHost == "" {
		return nil
	}
	ips, err := ms.resolver.LookupHost(ctx, ms.dnsHost)
	if err != nil {
		return fmt.Errorf("resolve executors %s: %w", ms.dnsHost, err)
	}
	addrs := make([]string, len(ips))
	for i, ip := range ips {
		addrs[i] = net.JoinHostPort(ip, ms.dnsPort)
	}
	return ms.set(addrs)
}

// snapshot returns the members, by name.
func (ms *membership) snapshot() (map[string]*member, []string) {
	ms.mu.RLock()
	defer ms.mu.RUnlock()
	return ms.members, ms.names
}

func (ms *membership) close() {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	for _, m := range ms.members {
		m.conn.Close()
	}
	ms.members = nil
	ms.names = nil
}

// statuses lists the members.
func (ms *membership) statuses() []MemberStatus {
	members, names := ms.snapshot()
	out := make([]MemberStatus, 0, len(names))
	for _, n := range names {
		out = append(out, members[n].status())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Addr < out[j].Addr })
	return out
}
