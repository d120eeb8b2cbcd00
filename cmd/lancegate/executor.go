package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/remote"
	"github.com/lancegate/lancegate/executor/spec"
	"github.com/lancegate/lancegate/storage/catalog"
	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/objstore"
	"github.com/lancegate/lancegate/storage/objstore/blockcache"
)

// byteSize is a flag of a byte count: 512MiB, 4GiB, 1000000.
type byteSize int64

func (b *byteSize) String() string { return humanize.IBytes(uint64(max(*b, 0))) }

func (b *byteSize) Set(v string) error {
	n, err := humanize.ParseBytes(v)
	if err != nil {
		return err
	}
	*b = byteSize(n)
	return nil
}

// executorConfig holds the executor role's flags.
type executorConfig struct {
	listen    string
	advertise string
	ramBytes  byteSize
	diskDir   string
	diskBytes byteSize
	blockSize byteSize
	prewarm   string
}

func (e *executorConfig) register(fs *flag.FlagSet) {
	e.ramBytes, e.diskBytes, e.blockSize = 1<<30, 10<<30, 256<<10
	fs.StringVar(&e.listen, "executor-listen", "127.0.0.1:5434", "Arrow Flight listen address of --role executor")
	fs.StringVar(&e.advertise, "executor-advertise", "", "the name query nodes reach this executor by, reported in EXPLAIN ANALYZE (default: the address it listens on)")
	fs.Var(&e.ramBytes, "cache-ram", "RAM tier of the executor's block cache (bigcache), e.g. 4GiB; 0 disables")
	fs.StringVar(&e.diskDir, "cache-dir", "", "folder of the executor's disk cache tier (kept across restarts); empty: no disk tier")
	fs.Var(&e.diskBytes, "cache-disk", "size bound of the disk cache tier, e.g. 100GiB")
	fs.Var(&e.blockSize, "cache-block", "block size of the executor's cache")
	fs.StringVar(&e.prewarm, "prewarm", "", "tables whose data the executor reads into its cache before it reports ready (comma-separated)")
}

// clusterConfig holds a query node's executor and cache flags.
type clusterConfig struct {
	executors  string
	timeout    time.Duration
	hedge      time.Duration
	fallback   string
	queryCache byteSize
}

func (c *clusterConfig) register(fs *flag.FlagSet) {
	c.queryCache = 256 << 20
	fs.Var(&c.queryCache, "query-cache", "RAM cache of a query node for manifests and the immutable Lance files it reads (data file footers and pages, deletion and index files), e.g. 512MiB; 0 disables")
	fs.StringVar(&c.executors, "executors", "", "plan executors of a query node: host:port,host:port or dns:name:port (a headless service); empty: run everything in this process")
	fs.DurationVar(&c.timeout, "executor-timeout", 30*time.Second, "an executor stream that shows no progress (rows or bytes read) this long counts as failed and moves to the next executor")
	fs.DurationVar(&c.hedge, "executor-hedge", 0, "when positive, a partial aggregate or top-k stream running this long also starts on the next executor; the first answer wins (0: no hedging)")
	fs.StringVar(&c.fallback, "executor-fallback", "local", "when no executor can run a fragment: local (the query node runs it) or error (SQLSTATE 57P03)")
}

// build returns the cluster the flags describe, or nil without
// --executors. The caller closes it.
func (c *clusterConfig) build(ctx context.Context, store objstore.Store, locations catalog.Locator, m *metrics, logger *slog.Logger) (*remote.Cluster, error) {
	if c.executors == "" {
		return nil, nil
	}
	opts := remote.Options{Executors: c.executors, StreamTimeout: c.timeout, Hedge: c.hedge, Logger: logger}
	switch c.fallback {
	case "local":
		opts.Fallback = remote.NewStoreOpener(store, locations, 0)
	case "error":
	default:
		return nil, fmt.Errorf("--executor-fallback %s: want local or error", c.fallback)
	}
	cl, err := remote.NewCluster(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("--executors: %w", err)
	}
	cl.Start(ctx)
	m.cluster(cl)
	logger.Info("distributed execution", "executors", c.executors, "fallback", c.fallback)
	return cl, nil
}

// cachedStore wraps a query node's store in its caches (--query-cache):
// a RAM block cache of immutable Lance files (data file footers and pages,
// deletion and index files, all named uniquely, so never stale) and the
// manifests it read, each kept under the ETag its listing reported (a
// table dropped and created again reuses manifest names, with new ETags).
// Opening a table's newest version then costs one listing. The returned
// close releases the cache.
func (c *clusterConfig) cachedStore(store objstore.Store, m *metrics) (objstore.Store, func(), error) {
	if c.queryCache <= 0 {
		return store, func() {}, nil
	}
	cached, err := blockcache.New(store, blockcache.Options{RAMBytes: int64(c.queryCache)})
	if err != nil {
		return nil, nil, fmt.Errorf("--query-cache: %w", err)
	}
	m.cache(cached.Stats)
	return blockcache.NewManifests(cached, 0), func() { cached.Close() }, nil
}

// clusterRunner adapts remote.Cluster to planner.Cluster (and lists its
// members for lancegate.executors).
type clusterRunner struct{ *remote.Cluster }

func (r clusterRunner) Run(ctx context.Context, frag *spec.Fragment) (executor.Operator, error) {
	g, err := r.Cluster.Run(ctx, frag)
	if err != nil {
		return nil, err
	}
	return g, nil
}

// runExecutor serves plan fragments until ctx ends.
func (e *executorConfig) run(ctx context.Context, store objstore.Store, locations catalog.Locator, cat *catalog.Catalog, m *metrics, logger *slog.Logger) (func() error, error) {
	ram := int64(e.ramBytes)
	if ram == 0 {
		ram = -1
	}
	cached, err := blockcache.New(store, blockcache.Options{BlockSize: int(e.blockSize), RAMBytes: ram, DiskDir: e.diskDir, DiskBytes: int64(e.diskBytes), Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("executor cache: %w", err)
	}
	m.cache(cached.Stats)
	// Not ready, on Flight and on /readyz, until the prewarm is done: the
	// readiness probe keeps the pod out of the headless Service's DNS
	// records, so query nodes do not even try it.
	var ready atomic.Bool
	m.readyWhen(func() error {
		if !ready.Load() {
			return errors.New("executor: prewarming its cache")
		}
		return nil
	})
	ln, err := net.Listen("tcp", e.listen)
	if err != nil {
		cached.Close()
		return nil, fmt.Errorf("--executor-listen: %w", err)
	}
	name := e.advertise
	if name == "" {
		name = ln.Addr().String()
	}
	srv := remote.NewServer(remote.ServerConfig{
		Name:   name,
		Open:   remote.NewStoreOpener(cached, locations, 0),
		Reads:  cached,
		Logger: logger,
		Ready:  ready.Load,
	})
	logger.Info("executor serving", "listen", ln.Addr().String(), "cache_ram", humanize.IBytes(uint64(max(ram, 0))), "cache_dir", e.diskDir)
	return func() error {
		defer cached.Close()
		go func() {
			if err := prewarm(ctx, cat, cached, e.prewarm, logger); err != nil && ctx.Err() == nil {
				logger.Warn("prewarm failed; serving anyway", "err", err)
			}
			ready.Store(true)
			logger.Info("executor ready", "listen", ln.Addr().String())
		}()
		return srv.Serve(ctx, ln)
	}, nil
}

// prewarm reads every data file of the named tables' newest versions
// through the cache.
func prewarm(ctx context.Context, cat *catalog.Catalog, cached objstore.Store, tables string, logger *slog.Logger) error {
	for _, name := range strings.Split(tables, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		start := time.Now()
		ds, err := cat.Open(ctx, name)
		if err != nil {
			return fmt.Errorf("prewarm %s: %w", name, err)
		}
		if ds.Store() != cat.Store() {
			logger.Warn("prewarm skips a table outside the storage root", "table", name)
			continue
		}
		ds, err = lance.OpenVersion(ctx, cached, ds.Root(), ds.Version())
		if err != nil {
			return fmt.Errorf("prewarm %s: %w", name, err)
		}
		sc, err := ds.Scan(lance.ScanOptions{})
		if err != nil {
			return fmt.Errorf("prewarm %s: %w", name, err)
		}
		rows := int64(0)
		for {
			rec, err := sc.Next(ctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				sc.Close()
				return fmt.Errorf("prewarm %s: %w", name, err)
			}
			rows += rec.NumRows()
			rec.Release()
		}
		sc.Close()
		logger.Info("prewarmed", "table", name, "rows", rows, "elapsed", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// cache exports an executor cache's counters.
func (m *metrics) cache(stats func() blockcache.Stats) {
	counter := func(name, help string, v func(blockcache.Stats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "lancegate", Subsystem: "cache", Name: name, Help: help},
			func() float64 { return float64(v(stats())) })
	}
	gauge := func(name, help string, v func(blockcache.Stats) int64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "lancegate", Subsystem: "cache", Name: name, Help: help},
			func() float64 { return float64(v(stats())) })
	}
	m.reg.MustRegister(
		counter("ram_hits_total", "Block lookups the RAM tier answered.", func(s blockcache.Stats) uint64 { return s.RAMHits }),
		counter("ram_misses_total", "Block lookups the RAM tier missed.", func(s blockcache.Stats) uint64 { return s.RAMMisses }),
		counter("disk_hits_total", "Block lookups the disk tier answered.", func(s blockcache.Stats) uint64 { return s.DiskHits }),
		counter("disk_misses_total", "Block lookups the disk tier missed.", func(s blockcache.Stats) uint64 { return s.DiskMisses }),
		counter("ram_evictions_total", "Blocks the RAM tier dropped for space.", func(s blockcache.Stats) uint64 { return s.Evictions }),
		counter("disk_evictions_total", "Block files the disk tier deleted for space.", func(s blockcache.Stats) uint64 { return s.DiskEvictions }),
		counter("storage_read_bytes_total", "Bytes of data files read from object storage.", func(s blockcache.Stats) uint64 { return s.BytesFromStore }),
		counter("served_bytes_total", "Bytes of data files served from the cache.", func(s blockcache.Stats) uint64 { return s.BytesFromCache }),
		gauge("ram_bytes", "Bytes held by the RAM tier.", func(s blockcache.Stats) int64 { return s.RAMBytes }),
		gauge("disk_bytes", "Bytes held by the disk tier.", func(s blockcache.Stats) int64 { return s.DiskBytes }),
	)
}

// cluster exports a query node's view of its executors.
func (m *metrics) cluster(c *remote.Cluster) {
	count := func(alive bool) float64 {
		n := 0
		for _, s := range c.Members() {
			if s.Alive == alive {
				n++
			}
		}
		return float64(n)
	}
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "lancegate", Subsystem: "executors", Name: "live", Help: "Plan executors answering pings."},
			func() float64 { return count(true) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "lancegate", Subsystem: "executors", Name: "down", Help: "Plan executors marked down."},
			func() float64 { return count(false) }),
	)
}
