package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/lancegate/lancegate/internal/benchdata"
	"github.com/lancegate/lancegate/storage/index/distance"
)

func run(c *config) error {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()

	needPython := c.plot != ""
	for _, e := range c.engines {
		needPython = needPython || strings.HasPrefix(e, "lancedb")
	}
	if needPython {
		if _, err := exec.LookPath(c.python); err != nil {
			return fmt.Errorf("-python %s: %w (create the venv with `make venv`: lancedb 0.40.0, pylance 14.0.2)", c.python, err)
		}
	}
	metric, err := distance.ParseMetric(c.metric)
	if err != nil {
		return err
	}
	p := benchdata.Default(c.n, c.dim, c.queries, c.seed)
	if c.clusters > 0 {
		p.Cluster = c.clusters
	}
	p.Rank, p.SC, p.Sigma = min(c.rank, c.dim), c.sc, c.sigma
	p.Normalize = metric != distance.L2
	c.workdir = absPath(c.workdir)
	if err := os.MkdirAll(c.workdir, 0o755); err != nil {
		return err
	}
	t0 := time.Now()
	set, err := benchdata.Prepare(filepath.Join(c.workdir, "data"), p, metric, c.k, logf)
	if err != nil {
		return err
	}
	res := &Results{
		Args: os.Args[1:], Time: time.Now().UTC(), Data: set.Meta, DataKey: benchdata.Key(p, metric, c.k),
		Partitions: c.partitions, SubVectors: c.subVectors, Index: c.index, IndexVia: c.indexVia, IndexType: c.indexType, M: c.m, EfC: c.efc,
		Clients: c.clients, Rounds: c.rounds, K: c.k, Machine: machine(), Timings: map[string]float64{"data": time.Since(t0).Seconds()},
	}
	tables := filepath.Join(c.workdir, "tables", res.DataKey)
	root := c.root
	if root == "" && c.dsn == "" {
		root = filepath.Join(tables, "lancegate")
	}
	if root != "" {
		root = absPath(root)
	}
	qs := make([]int, c.queries)
	for i := range qs {
		qs[i] = i
	}

	var engines []engine
	defer func() {
		for _, e := range engines {
			e.close()
		}
	}()
	for _, name := range c.engines {
		var e engine
		switch name {
		case "lancegate":
			e = &lancegateEngine{c: c, set: set, root: root, res: res}
		case "lancedb", "lancedb-lgidx":
			e = &lancedbEngine{c: c, set: set, name: name, root: root, dbDir: filepath.Join(tables, "lancedb"), res: res}
		}
		engines = append(engines, e) // closed even when setup fails
		if err := e.setup(ctx); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	// Rounds interleave the engines (A B A B, performance.md §3.1).
	for round := range c.rounds {
		for i, e := range engines {
			pts, err := e.sweep(ctx, qs)
			if err != nil {
				return fmt.Errorf("%s: round %d: %w", c.engines[i], round+1, err)
			}
			for j := range pts {
				pts[j].Round = round + 1
			}
			res.Points = append(res.Points, pts...)
		}
	}
	res.Summary = summarizeRounds(res.Points)
	res.EqualRecall = equalRecall(res.Summary)

	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		res.Machine["loadavg_end"] = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	out := filepath.Join(c.workdir, "results-"+res.Time.Format("20060102-150405")+".json")
	if err := writeJSON(out, res); err != nil {
		return err
	}
	printTable(os.Stdout, res)
	printEqualRecall(os.Stdout, res)
	logf("results: %s", out)
	if c.plot != "" {
		script, err := writeScript(c.workdir, "plot.py", plotScript)
		if err != nil {
			return err
		}
		cmd := exec.CommandContext(ctx, c.python, script, out, absPath(c.plot))
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("plot: %w (plot.py needs matplotlib: %s -m pip install matplotlib)", err, c.python)
		}
		logf("plot: %s", c.plot)
	}
	return nil
}

// engine is one side of the comparison.
type engine interface {
	// setup loads the data and builds the index (timed), once.
	setup(ctx context.Context) error
	// sweep runs the query set at every sweep point, once.
	sweep(ctx context.Context, qs []int) ([]Point, error)
	close()
}

// lancegateEngine writes the table, builds the index, starts the server
// and sweeps through pgx.
type lancegateEngine struct {
	c     *config
	set   *benchdata.Set
	root  string
	res   *Results
	build float64
	srv   *server
	r     *pgRunner
}

func (e *lancegateEngine) setup(ctx context.Context) error {
	c, set, root, res := e.c, e.set, e.root, e.res
	if root != "" {
		ds, took, err := writeLancegateTable(ctx, root, set)
		if err != nil {
			return fmt.Errorf("write %s/bench.lance: %w", root, err)
		}
		res.Timings["lancegate_write"] = took.Seconds()
		logf("lancegate: wrote %s/bench.lance (%d rows) in %.1fs", root, ds.CountRows(), took.Seconds())
		if c.index && c.indexVia == "api" {
			train, write, err := buildIndexAPI(ctx, ds, set, c)
			if err != nil {
				return fmt.Errorf("index: %w", err)
			}
			e.build = (train + write).Seconds()
			res.Timings["lancegate_index_train"] = train.Seconds()
			res.Timings["lancegate_index_write"] = write.Seconds()
			logf("lancegate: IVF%d/PQ%d built in %.1fs (train+encode %.1fs, write+commit %.1fs)", c.partitions, c.subVectors, e.build, train.Seconds(), write.Seconds())
		}
	}

	dsn := c.dsn
	if dsn == "" {
		bin := c.bin
		if bin == "" {
			var err error
			if bin, err = buildLancegate(ctx, filepath.Join(c.workdir, "bin")); err != nil {
				return err
			}
		}
		extra := strings.Fields(c.serverArgs)
		if c.index && c.indexVia == "sql" {
			// CREATE INDEX is built by the agent: run it in process, without
			// the automatic index policy, which would otherwise start its
			// own build of the unindexed table at the first sweep.
			extra = append([]string{"--role", "all", "--policy", "index.enabled=false"}, extra...)
		}
		srv, err := startServer(ctx, bin, root, filepath.Join(c.workdir, "lancegate.log"), c.cpus, extra)
		if err != nil {
			return err
		}
		e.srv = srv
		dsn = srv.dsn
		logf("lancegate: serving %s at %s (pid %d)", root, dsn, srv.cmd.Process.Pid)
	}

	if c.index && c.indexVia == "sql" {
		took, err := buildIndexSQL(ctx, dsn, set.Metric, c)
		if err != nil {
			return fmt.Errorf("index: %w", err)
		}
		e.build = took.Seconds()
		res.Timings["lancegate_index_sql"] = e.build
		logf("lancegate: CREATE INDEX done in %.1fs", e.build)
	}

	r, err := newPGRunner(ctx, dsn, set, c.clients, c.k)
	if r != nil {
		r.hnsw = c.indexType == "ivf_hnsw_sq"
	}
	if err != nil {
		return err
	}
	e.r = r
	if err := checkRowCount(ctx, r, set.Params.N); err != nil {
		return err
	}
	if c.warmup > 0 {
		if err := r.set(ctx, c.nprobes[0], c.refine[0]); err != nil {
			return err
		}
		wq := make([]int, c.warmup)
		for i := range wq {
			wq[i] = i % set.Params.Queries
		}
		t0 := time.Now()
		if _, _, _, err := r.run(ctx, wq); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
		logf("lancegate: warm-up of %d queries in %.1fs", c.warmup, time.Since(t0).Seconds())
	}
	return nil
}

func (e *lancegateEngine) sweep(ctx context.Context, qs []int) ([]Point, error) {
	var pts []Point
	for _, np := range sweepNProbes(e.c) {
		for _, rf := range sweepRefine(e.c) {
			if err := e.r.set(ctx, np, rf); err != nil {
				return nil, err
			}
			ids, lat, wall, err := e.r.run(ctx, qs)
			if err != nil {
				return nil, fmt.Errorf("nprobes %d refine %d: %w", np, rf, err)
			}
			p := summarize("lancegate", e.set, np, rf, qs, ids, lat, wall, e.build)
			logf("lancegate: nprobes %d refine %d: recall %.3f, %.0f QPS, p50 %.2f ms, p99 %.2f ms", np, rf, p.Recall, p.QPS, p.P50ms, p.P99ms)
			pts = append(pts, p)
		}
	}
	return pts, nil
}

func (e *lancegateEngine) close() {
	if e.r != nil {
		e.r.close()
	}
	if e.srv != nil {
		e.srv.stop()
		logf("lancegate: server (pid %d) stopped", e.srv.cmd.Process.Pid)
	}
}

// sweepNProbes and sweepRefine are the sweep lists, or one point when
// there is no index (the settings then change nothing).
func sweepNProbes(c *config) []int {
	if !c.index {
		return c.nprobes[:1]
	}
	return c.nprobes
}

func sweepRefine(c *config) []int {
	if !c.index {
		return c.refine[:1]
	}
	return c.refine
}

func checkRowCount(ctx context.Context, r *pgRunner, n int) error {
	var got int64
	if err := r.conns[0].QueryRow(ctx, "SELECT count(*) FROM "+tableName).Scan(&got); err != nil {
		return fmt.Errorf("SELECT count(*) FROM %s: %w", tableName, err)
	}
	if got != int64(n) {
		return fmt.Errorf("table %s has %d rows, the data set %d", tableName, got, n)
	}
	return nil
}

// lancedbConfig is what lancedb_bench.py reads (see the script).
type lancedbConfig struct {
	Base       string `json:"base"`
	Queries    string `json:"queries"`
	DB         string `json:"db"`
	Table      string `json:"table"`
	Create     bool   `json:"create"`
	Index      bool   `json:"index"`
	Metric     string `json:"metric"`
	Partitions int    `json:"partitions"`
	SubVectors int    `json:"sub_vectors"`
	NProbes    []int  `json:"nprobes"`
	Refine     []int  `json:"refine"` // ef values for ivf_hnsw_sq
	IndexType  string `json:"index_type"`
	M          int    `json:"m"`
	EfC        int    `json:"ef_construction"`
	Clients    int    `json:"clients"`
	Warmup     int    `json:"warmup"`
	K          int    `json:"k"`
	Out        string `json:"out"`
}

type lancedbResult struct {
	Versions map[string]string `json:"versions"`
	WriteS   float64           `json:"write_s"`
	BuildS   float64           `json:"build_s"`
	Points   []struct {
		NProbes int       `json:"nprobes"`
		Refine  int       `json:"refine"`
		WallS   float64   `json:"wall_s"`
		LatMs   []float64 `json:"lat_ms"`
		IDs     [][]int64 `json:"ids"`
	} `json:"points"`
}

// lancedbEngine runs lancedb_bench.py: engine lancedb builds LanceDB's
// own table and index in dbDir (in setup); lancedb-lgidx opens lancegate's
// table in root, with the index lancegate wrote. Every sweep is one run of
// the script (a new process: it warms up first).
type lancedbEngine struct {
	c           *config
	set         *benchdata.Set
	name        string
	root, dbDir string
	res         *Results
	build       float64
}

func (e *lancedbEngine) config() (lancedbConfig, error) {
	c := e.c
	cfg := lancedbConfig{
		Base: filepath.Join(e.set.Dir, benchdata.BaseFile), Queries: filepath.Join(e.set.Dir, benchdata.QueriesFile),
		DB: e.dbDir, Table: tableName, Metric: e.set.Metric.String(),
		Partitions: c.partitions, SubVectors: c.subVectors, NProbes: sweepNProbes(c), Refine: sweepRefine(c),
		IndexType: c.indexType, M: c.m, EfC: c.efc,
		Clients: c.clients, Warmup: c.warmup, K: c.k, Out: filepath.Join(c.workdir, e.name+"-out.json"),
	}
	if e.name == "lancedb-lgidx" {
		if e.root == "" {
			return cfg, fmt.Errorf("needs the lancegate storage root (-root)")
		}
		cfg.DB = e.root
	}
	return cfg, nil
}

func (e *lancedbEngine) setup(ctx context.Context) error {
	if e.name == "lancedb-lgidx" {
		e.build = e.res.Timings["lancegate_index_train"] + e.res.Timings["lancegate_index_write"] + e.res.Timings["lancegate_index_sql"]
		return nil
	}
	cfg, err := e.config()
	if err != nil {
		return err
	}
	cfg.Create, cfg.Index, cfg.NProbes, cfg.Refine, cfg.Warmup = true, e.c.index, []int{}, []int{}, 0
	out, err := runScript(ctx, e.c, e.name+"-setup", cfg)
	if err != nil {
		return err
	}
	e.res.LanceDBVersions = out.Versions
	e.res.Timings["lancedb_write"] = out.WriteS
	e.res.Timings["lancedb_index"] = out.BuildS
	e.build = out.BuildS
	return nil
}

func (e *lancedbEngine) close() {}

func (e *lancedbEngine) sweep(ctx context.Context, qs []int) ([]Point, error) {
	cfg, err := e.config()
	if err != nil {
		return nil, err
	}
	out, err := runScript(ctx, e.c, e.name, cfg)
	if err != nil {
		return nil, err
	}
	e.res.LanceDBVersions = out.Versions
	var pts []Point
	for _, p := range out.Points {
		if len(p.IDs) != len(qs) || len(p.LatMs) != len(qs) {
			return nil, fmt.Errorf("nprobes %d refine %d: %d answers for %d queries", p.NProbes, p.Refine, len(p.IDs), len(qs))
		}
		lat := make([]time.Duration, len(p.LatMs))
		for i, ms := range p.LatMs {
			lat[i] = time.Duration(ms * float64(time.Millisecond))
		}
		pt := summarize(e.name, e.set, p.NProbes, p.Refine, qs, p.IDs, lat, time.Duration(p.WallS*float64(time.Second)), e.build)
		logf("%s: nprobes %d refine %d: recall %.3f, %.0f QPS, p50 %.2f ms, p99 %.2f ms", e.name, pt.NProbes, pt.Refine, pt.Recall, pt.QPS, pt.P50ms, pt.P99ms)
		pts = append(pts, pt)
	}
	return pts, nil
}

// runScript runs lancedb_bench.py with cfg and reads its result.
func runScript(ctx context.Context, c *config, tag string, cfg lancedbConfig) (*lancedbResult, error) {
	script, err := writeScript(c.workdir, "lancedb_bench.py", lancedbScript)
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(c.workdir, tag+"-config.json")
	if err := writeJSON(cfgPath, cfg); err != nil {
		return nil, err
	}
	_ = os.Remove(cfg.Out)
	cmd := exec.CommandContext(ctx, c.python, script, cfgPath)
	if c.cpus != "" {
		cmd = exec.CommandContext(ctx, "taskset", "-c", c.cpus, c.python, script, cfgPath)
	}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	logf("%s: %s %s %s", tag, c.python, script, cfgPath)
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %w (is the venv there? make venv)", script, err)
	}
	b, err := os.ReadFile(cfg.Out)
	if err != nil {
		return nil, err
	}
	var out lancedbResult
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Out, err)
	}
	return &out, nil
}
