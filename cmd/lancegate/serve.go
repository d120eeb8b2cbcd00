package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/lancegate/lancegate/agent"
	"github.com/lancegate/lancegate/executor/remote"
	"github.com/lancegate/lancegate/gateway"
	"github.com/lancegate/lancegate/gateway/pgwire"
	"github.com/lancegate/lancegate/storage/catalog"
	"github.com/lancegate/lancegate/storage/events"
	"github.com/lancegate/lancegate/storage/objstore"
	"github.com/lancegate/lancegate/storage/roles"
)

// serveConfig holds serve's flags.
type serveConfig struct {
	commonConfig
	listen        string
	role          string
	auth          string
	password      string
	tlsCert       string
	tlsKey        string
	tlsRequired   bool
	metricsListen string
	pprof         bool
	agent         agentConfig
	executor      executorConfig
	cluster       clusterConfig
}

func serveFlags(stderr io.Writer) (*flag.FlagSet, *serveConfig) {
	c := &serveConfig{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.commonConfig.register(fs)
	c.agent.register(fs)
	c.executor.register(fs)
	c.cluster.register(fs)
	fs.StringVar(&c.listen, "listen", "127.0.0.1:5433", "pgwire listen address")
	fs.StringVar(&c.role, "role", "all", "role to run: all (query node and agent in one process), query, agent, or executor (plan executor over Arrow Flight)")
	fs.StringVar(&c.auth, "auth", "trust", "client authentication: trust or scram")
	fs.StringVar(&c.password, "password", "", "password of the superuser lancegate, stored in the role database at start (LANCEGATE_PASSWORD)")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "TLS certificate file (PEM); with --tls-key enables TLS")
	fs.StringVar(&c.tlsKey, "tls-key", "", "TLS private key file (PEM)")
	fs.BoolVar(&c.tlsRequired, "tls-required", false, "refuse clients that do not use TLS (needs --tls-cert)")
	fs.StringVar(&c.metricsListen, "metrics-listen", "", "address of the Prometheus /metrics, /healthz and /readyz endpoints (empty: none)")
	fs.BoolVar(&c.pprof, "pprof", false, "also serve Go's /debug/pprof/ profiles on --metrics-listen")
	return fs, c
}

// busCapacity is how many events the in-process bus holds for the agent.
const busCapacity = 100_000

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fs, c := serveFlags(stderr)
	if ok, err := parseFlags(fs, args); !ok || err != nil {
		return err
	}
	logger, err := c.logger(stderr)
	if err != nil {
		return err
	}
	query, runAgent, runExecutor := false, false, false
	switch c.role {
	case "all":
		query, runAgent = true, true
	case "query":
		query = true
	case "agent":
		runAgent = true
	case "executor":
		runExecutor = true
	default:
		return fmt.Errorf("--role %s: want all, query, agent or executor", c.role)
	}
	if c.cluster.executors != "" && !query {
		return fmt.Errorf("--executors: only query nodes (--role all or query) use executors, not --role %s", c.role)
	}
	store, opener, cat, err := c.openStorage(ctx, logger)
	if err != nil {
		return err
	}
	metrics := newMetrics()
	if runExecutor {
		return c.serveExecutor(ctx, store, opener, cat, metrics, logger)
	}
	kcfg, kafka, err := c.kafkaConfig(logger)
	if err != nil {
		return err
	}

	// Events: Kafka or Event Hubs when configured, else the in-process bus,
	// which only connects a query node to the agent in the same process.
	var pub gateway.Publisher
	var src events.Source
	switch {
	case kafka:
		kp, closePub, err := startPublisher(ctx, kcfg, logger)
		if err != nil {
			return err
		}
		defer closePub()
		pub = kp
		metrics.events(kp.Stats)
		if runAgent {
			cctx, cancel := context.WithTimeout(ctx, connectTimeout)
			ks, err := events.NewKafkaSource(cctx, kcfg, c.agent.group)
			cancel()
			if err != nil {
				return err
			}
			defer ks.Close()
			src = ks
		}
		logger.Info("write events over Kafka", "brokers", kcfg.Brokers, "topic", kcfg.Topic)
	case query && runAgent:
		bus := events.NewBus(busCapacity)
		defer bus.Close()
		pub, src = bus, bus
		metrics.events(bus.Stats)
	case query:
		logger.Warn("no --kafka-brokers: write events go nowhere, so no agent maintains the tables")
	default:
		logger.Warn("no --kafka-brokers: the agent sweeps tables every interval but gets no write events", "sweep", c.agent.sweep)
	}

	g, ctx := errgroup.WithContext(ctx)
	if err := c.serveMetrics(ctx, g, metrics, store, logger); err != nil {
		return err
	}
	if runAgent {
		a, err := c.agent.build(ctx, cat, src, pub, c.commonConfig, logger)
		if err != nil {
			return err
		}
		g.Go(func() error { return a.Run(ctx) })
	}
	if query {
		// The query node reads through its RAM cache; the agent (which
		// deletes old versions) does not.
		store, closeCache, err := c.cluster.cachedStore(store, metrics)
		if err != nil {
			return err
		}
		defer closeCache()
		cl, err := c.cluster.build(ctx, store, opener, metrics, logger)
		if err != nil {
			return err
		}
		if cl != nil {
			defer cl.Close()
		}
		srv, ln, err := c.queryNode(ctx, store, opener, pub, cl, logger)
		if err != nil {
			return err
		}
		g.Go(func() error { return srv.Serve(ctx, ln) })
	}
	logger.Info("lancegate running", "role", c.role, "storage", c.storage, "version", version)
	return g.Wait()
}

// serveMetrics serves /metrics (and the health endpoints) on
// --metrics-listen, if set, in g.
func (c *serveConfig) serveMetrics(ctx context.Context, g *errgroup.Group, metrics *metrics, store objstore.Store, logger *slog.Logger) error {
	if c.metricsListen == "" {
		return nil
	}
	ln, err := net.Listen("tcp", c.metricsListen)
	if err != nil {
		return fmt.Errorf("--metrics-listen: %w", err)
	}
	logger.Info("metrics serving", "listen", ln.Addr().String())
	g.Go(func() error { return metrics.serve(ctx, ln, store, c.pprof) })
	return nil
}

// serveExecutor runs the executor role: Flight on --executor-listen,
// metrics on --metrics-listen.
func (c *serveConfig) serveExecutor(ctx context.Context, store objstore.Store, opener *objstore.Opener, cat *catalog.Catalog, metrics *metrics, logger *slog.Logger) error {
	g, ctx := errgroup.WithContext(ctx)
	run, err := c.executor.run(ctx, store, opener, cat, metrics, logger)
	if err != nil {
		return err
	}
	if err := c.serveMetrics(ctx, g, metrics, store, logger); err != nil {
		return err
	}
	g.Go(run)
	logger.Info("lancegate running", "role", c.role, "storage", c.storage, "version", version)
	return g.Wait()
}

// queryNode builds the pgwire server of the query role.
func (c *serveConfig) queryNode(ctx context.Context, store objstore.Store, opener *objstore.Opener, pub gateway.Publisher, cl *remote.Cluster, logger *slog.Logger) (*pgwire.Server, net.Listener, error) {
	cfg := pgwire.Config{Logger: logger}
	// Roles live in the storage root (storage/roles); --password sets the
	// bootstrap superuser's at every start (a no-op when unchanged).
	rs := roles.New(store, roles.Options{})
	if c.password != "" {
		if err := gateway.SetPassword(ctx, rs, roles.BootstrapName, c.password); err != nil {
			return nil, nil, fmt.Errorf("--password: %w", err)
		}
	}
	switch c.auth {
	case "trust":
	case "scram":
		cfg.Auth = gateway.RoleAuth(rs)
		if c.password == "" {
			logger.Warn("--auth scram without --password: only roles given a password earlier can log in")
		}
	default:
		return nil, nil, fmt.Errorf("--auth %s: want trust or scram", c.auth)
	}
	if c.tlsCert != "" || c.tlsKey != "" {
		cert, err := tls.LoadX509KeyPair(c.tlsCert, c.tlsKey)
		if err != nil {
			return nil, nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		cfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	if c.tlsRequired {
		if cfg.TLS == nil {
			return nil, nil, errors.New("--tls-required needs --tls-cert and --tls-key")
		}
		cfg.Auth.RequireTLS = true
	}
	opts := gateway.Options{
		Version: version, Logger: logger, Locations: opener, Events: pub, StorageURI: c.storage, Roles: rs,
	}
	if cl != nil {
		opts.Cluster = clusterRunner{cl}
	}
	eng := gateway.NewEngine(store, opts)
	ln, err := net.Listen("tcp", c.listen)
	if err != nil {
		return nil, nil, err
	}
	logger.Info("lancegate serving", "listen", ln.Addr().String(), "storage", c.storage, "auth", c.auth, "tls", cfg.TLS != nil, "version", version)
	return pgwire.NewServer(cfg, eng), ln, nil
}

// agentConfig holds the agent role's flags.
type agentConfig struct {
	group       string
	sweep       time.Duration
	concurrency int
	launcher    string
	kube        kubeFlags
}

func (a *agentConfig) register(fs *flag.FlagSet) {
	fs.StringVar(&a.group, "agent-group", "lancegate-agent", "consumer group the agent replicas share")
	fs.DurationVar(&a.sweep, "agent-sweep", 10*time.Minute, "interval of the agent's sweep over every table")
	fs.IntVar(&a.concurrency, "agent-concurrency", 4, "tables the agent reconciles (and in-process jobs it runs) at once")
	fs.StringVar(&a.launcher, "job-launcher", "inprocess", "where jobs run: inprocess or kubernetes")
	a.kube.register(fs)
}

// build returns the agent of the agent role.
func (a *agentConfig) build(ctx context.Context, cat *catalog.Catalog, src events.Source, pub events.Publisher, common commonConfig, logger *slog.Logger) (*agent.Agent, error) {
	policy, err := common.maintenancePolicy()
	if err != nil {
		return nil, err
	}
	cfg := agent.Config{Policy: policy, SweepInterval: a.sweep, Concurrency: a.concurrency, Logger: logger, Indexer: agent.IVFPQIndexer{}}
	var launcher agent.Launcher
	switch a.launcher {
	case "inprocess":
		runner := agent.NewRunner(cat, agent.RunnerConfig{Policy: cfg.Policy, Publisher: pub, Logger: logger, StorageURI: common.storage, Indexer: agent.IVFPQIndexer{}})
		launcher = agent.NewInProcess(runner, logger)
		// An in-process job starts at once: the lease taken for it
		// need not outlast a pod's scheduling.
		cfg.PendingTTL = 2 * time.Minute
	case "kubernetes":
		l, err := a.kube.launcher(common, logger)
		if err != nil {
			return nil, err
		}
		launcher = l
	default:
		return nil, fmt.Errorf("--job-launcher %s: want inprocess or kubernetes", a.launcher)
	}
	logger.Info("agent running", "group", a.group, "sweep", a.sweep, "launcher", a.launcher)
	return agent.New(cat, src, launcher, cfg), nil
}
