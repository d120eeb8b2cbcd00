package remote

import (
	"context"
	"log/slog"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor/spec"
)

// Options configures a query node's view of its executors.
type Options struct {
	// Executors is --executors: "host:port,host:port", or "dns:name:port"
	// for every address a DNS name resolves to (a Kubernetes headless
	// service), re-resolved every Refresh.
	Executors string
	// Refresh is the DNS re-resolution interval; default 10 s.
	Refresh time.Duration
	// Probe is the interval of health pings; default 1 s.
	Probe time.Duration
	// StreamTimeout is how long a stream may stay silent before its
	// executor counts as failed; default 30 s, negative disables.
	StreamTimeout time.Duration
	// Buffer is how many batches each stream may queue; default 4.
	Buffer int
	// Hedge, when positive, is how long a partial aggregate or top-k
	// stream may run before the same pieces start on the next executor
	// too; the first answer is used. Scans are not hedged.
	Hedge time.Duration
	// Fallback opens snapshots on the query node, which then runs the
	// pieces no executor could; nil fails such statements with 57P03.
	Fallback Opener
	// Mem allocates received batches; nil is memory.DefaultAllocator.
	Mem memory.Allocator
	// Logger receives membership changes; nil is slog.Default().
	Logger *slog.Logger
	// Resolver resolves DNS names; nil is net.DefaultResolver.
	Resolver *net.Resolver
}

// Cluster is a query node's set of plan executors: membership, health,
// placement, and the distributed fragments it runs on them.
type Cluster struct {
	opts    Options
	ms      *membership
	indexes *indexCache // for fragments the query node runs itself

	wg     sync.WaitGroup
	stop   context.CancelFunc
	mu     sync.Mutex
	closed bool
}

// NewCluster parses opts.Executors and, for a DNS name, resolves it once
// (a failure is logged and retried by Start's loop).
func NewCluster(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.Refresh <= 0 {
		opts.Refresh = 10 * time.Second
	}
	if opts.Probe <= 0 {
		opts.Probe = time.Second
	}
	if opts.StreamTimeout == 0 {
		opts.StreamTimeout = 30 * time.Second
	}
	if opts.Buffer <= 0 {
		opts.Buffer = 4
	}
	if opts.Mem == nil {
		opts.Mem = memory.DefaultAllocator
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Resolver == nil {
		opts.Resolver = net.DefaultResolver
	}
	static, host, port, err := parseExecutors(opts.Executors)
	if err != nil {
		return nil, err
	}
	ms := &membership{static: static, dnsHost: host, dnsPort: port, resolver: opts.Resolver}
	if static != nil {
		if err := ms.set(slices.Clone(static)); err != nil {
			return nil, err
		}
	} else if err := ms.refresh(ctx); err != nil {
		opts.Logger.Warn("executors not resolved yet", "err", err)
	}
	return &Cluster{opts: opts, ms: ms, indexes: newIndexCache(0)}, nil
}

// Start runs the membership loop (health pings, DNS refresh) until Close.
func (c *Cluster) Start(ctx context.Context) {
	ctx, c.stop = context.WithCancel(ctx)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.loop(ctx)
	}()
}

func (c *Cluster) loop(ctx context.Context) {
	probe := time.NewTicker(c.opts.Probe)
	defer probe.Stop()
	lastRefresh := time.Now()
	c.probe(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-probe.C:
		}
		if time.Since(lastRefresh) >= c.opts.Refresh {
			lastRefresh = time.Now()
			if err := c.ms.refresh(ctx); err != nil && ctx.Err() == nil {
				c.opts.Logger.Warn("executor discovery failed", "err", err)
			}
		}
		c.probe(ctx)
	}
}

// probe pings every member concurrently: a member that answers is up,
// one that does not is down (its backoff grows while it stays silent).
func (c *Cluster) probe(ctx context.Context) {
	members, names := c.ms.snapshot()
	var wg sync.WaitGroup
	for _, n := range names {
		m := members[n]
		wg.Add(1)
		go func() {
			defer wg.Done()
			pctx, cancel := context.WithTimeout(ctx, max(c.opts.Probe, time.Second))
			defer cancel()
			if err := m.ping(pctx); err != nil {
				if ctx.Err() != nil {
					return
				}
				if m.down(time.Now(), err) {
					c.opts.Logger.Warn("executor down", "executor", m.addr, "err", err)
				}
				return
			}
			if m.up(time.Now()) {
				c.opts.Logger.Info("executor up", "executor", m.addr)
			}
		}()
	}
	wg.Wait()
}

// live lists the members fragments may go to now.
func (c *Cluster) live() []string {
	members, names := c.ms.snapshot()
	out := make([]string, 0, len(names))
	for _, n := range names {
		if members[n].alive() {
			out = append(out, n)
		}
	}
	return out
}

// markDown records that addr failed a stream.
func (c *Cluster) markDown(addr string, err error) {
	members, _ := c.ms.snapshot()
	if m := members[addr]; m != nil && m.down(time.Now(), err) {
		c.opts.Logger.Warn("executor down", "executor", addr, "err", err)
	}
}

// Members describes the executors.
func (c *Cluster) Members() []MemberStatus { return c.ms.statuses() }

// Run starts frag over its pieces and returns the operator yielding their
// output once the first stream's schema arrived.
func (c *Cluster) Run(ctx context.Context, frag *spec.Fragment) (*Gather, error) {
	return c.gather(ctx, frag)
}

// open starts a fragment on addr, or on the query node when addr is "".
func (c *Cluster) open(ctx context.Context, addr string, frag *spec.Fragment) (source, error) {
	if addr == "" {
		ds, err := c.opts.Fallback.Open(ctx, frag.Table)
		if err != nil {
			return nil, err
		}
		r, err := startRun(ctx, ds, c.indexes, frag, c.opts.Mem)
		if err != nil {
			return nil, err
		}
		return r, nil
	}
	members, _ := c.ms.snapshot()
	m := members[addr]
	if m == nil {
		return nil, &faultError{addr, errNotMember}
	}
	return openFlight(ctx, m, frag, c.opts.Mem)
}

// Close stops the membership loop and closes the connections.
func (c *Cluster) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.closed = true
	if c.stop != nil {
		c.stop()
	}
	c.wg.Wait()
	c.ms.close()
}
