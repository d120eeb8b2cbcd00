// Command lancebench compares lancegate's vector search, through the wire,
// with LanceDB OSS on the same data (docs/benchmarks.md; the methodology is
// performance.md §3).
//
//	go run ./cmd/lancebench [flags]
//
// It generates N × D clustered vectors and held-out queries with
// internal/benchdata (cached with their exact ground truth under -workdir),
// writes them as the table bench(id bigint, embedding vector(D)) into a
// lancegate storage root with the Go Lance writer, builds lancegate's
// IVF_PQ index, starts `lancegate serve` on a free port, and sweeps
// nprobes × refine factor with C concurrent pgx connections, measuring
// recall@k, QPS and p50/p99 latency. Then lancedb_bench.py (run by the
// .venv python) does the same with LanceDB OSS on its own table of the
// same vectors and ids, with an index built with the same parameters.
// The results go to stdout as a markdown table and to
// <workdir>/results-<time>.json; -plot draws recall against QPS.
//
// Engines (-engines): lancegate; lancedb (LanceDB's own table and index);
// lancedb-lgidx (LanceDB searching lancegate's table and the index
// lancegate wrote, which isolates search from index quality).
package main

import (
	_ "embed"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lancegate/lancegate/internal/benchdata"
	"github.com/lancegate/lancegate/storage/index/distance"
)

//go:embed lancedb_bench.py
var lancedbScript []byte

//go:embed plot.py
var plotScript []byte

type config struct {
	n, dim, queries, k int
	seed               uint64
	metric             string
	clusters, rank     int
	sc, sigma          float64

	workdir    string
	partitions int
	subVectors int
	// indexType is ivf_pq or ivf_hnsw_sq; for ivf_hnsw_sq the second sweep
	// list (refine) holds ef values instead (-ef).
	indexType string
	m, efc    int
	// serverArgs are extra `lancegate serve` flags.
	serverArgs string
	index      bool
	indexVia   string
	nprobes    []int
	refine     []int
	clients    int
	warmup     int
	engines    []string
	dsn        string
	root       string
	bin        string
	python     string
	plot       string
	timeout    time.Duration
	rounds     int
	cpus       string
}

func intList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		v, err := strconv.Atoi(f)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("bad list element %q", f)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty list %q", s)
	}
	return out, nil
}

func parseFlags(args []string) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("lancebench", flag.ContinueOnError)
	fs.IntVar(&c.n, "n", 1_000_000, "base vectors")
	fs.IntVar(&c.dim, "dim", 128, "dimension")
	fs.IntVar(&c.queries, "queries", 1000, "held-out queries")
	fs.IntVar(&c.k, "k", 10, "neighbours per query (recall@k)")
	fs.Uint64Var(&c.seed, "seed", 1, "generator seed")
	fs.StringVar(&c.metric, "metric", "l2", "distance: l2, cosine or dot (cosine and dot normalise the vectors)")
	fs.IntVar(&c.clusters, "clusters", 0, "cluster centres (0: 1000, at most n/20; performance.md §3.3)")
	fs.IntVar(&c.rank, "rank", 32, "rank of each cluster's subspace")
	fs.Float64Var(&c.sc, "sc", 0.40, "spread of the cluster centres: the difficulty knob (0.40 = the hard set)")
	fs.Float64Var(&c.sigma, "sigma", 0.3, "isotropic noise")
	fs.StringVar(&c.workdir, "workdir", ".tools/lancebench", "cache of data sets, ground truth, tables and results")
	fs.IntVar(&c.partitions, "partitions", 0, "IVF partitions (0: ⌊√n⌋, LanceDB's suggestion; 1000 at 1M)")
	fs.IntVar(&c.subVectors, "subvectors", 0, "PQ sub-vectors (0: dim/8)")
	fs.BoolVar(&c.index, "index", true, "build the IVF_PQ indexes (false: both engines search exactly)")
	fs.StringVar(&c.indexVia, "index-via", "api", "how lancegate's index is built: api (ivfpq.Build + lanceindex.WriteIVFPQ) or sql (CREATE INDEX over the wire)")
	np := fs.String("nprobes", "5,10,20,40", "nprobes sweep")
	rf := fs.String("refine", "1,2,5,10", "refine factor sweep (0: no refine); ivf_pq only")
	fs.StringVar(&c.serverArgs, "server-args", "", "extra `lancegate serve` flags, space-separated (e.g. \"--metrics-listen 127.0.0.1:9464 --pprof\")")
	fs.StringVar(&c.indexType, "index-type", "ivf_pq", "index type: ivf_pq or ivf_hnsw_sq (then the sweep is nprobes × -ef)")
	efl := fs.String("ef", "40,80,160", "HNSW ef sweep (ivf_hnsw_sq)")
	fs.IntVar(&c.m, "m", 20, "HNSW m (ivf_hnsw_sq)")
	fs.IntVar(&c.efc, "ef-construction", 150, "HNSW ef_construction (ivf_hnsw_sq)")
	fs.IntVar(&c.clients, "clients", 2*runtime.NumCPU(), "concurrent connections (LanceDB: threads)")
	fs.IntVar(&c.warmup, "warmup", 100, "warm-up queries per engine before the sweep")
	eng := fs.String("engines", "lancegate,lancedb", "engines to run: lancegate, lancedb, lancedb-lgidx")
	fs.StringVar(&c.dsn, "dsn", "", "use this running lancegate instead of starting one (it must serve -root)")
	fs.StringVar(&c.root, "root", "", "lancegate storage root to write bench.lance into (default <workdir>/tables/<set>/lancegate; with -dsn and no -root the table is assumed present)")
	fs.StringVar(&c.bin, "lancegate-bin", "", "lancegate binary (default: go build ./cmd/lancegate into the work dir)")
	fs.StringVar(&c.python, "python", ".venv/bin/python", "python with lancedb and pylance (make venv)")
	fs.StringVar(&c.plot, "plot", "", "write a recall-vs-QPS plot to this PNG (needs matplotlib; plot.py installs it into the python's environment)")
	fs.IntVar(&c.rounds, "rounds", 1, "sweep every engine this many times, interleaved (A B A B); the table shows medians and the QPS range")
	fs.StringVar(&c.cpus, "taskset", "", "pin the lancegate server and the LanceDB process to these CPUs (taskset -c LIST, performance.md §3.5); the harness's own client is not pinned")
	fs.DurationVar(&c.timeout, "index-timeout", time.Hour, "-index-via sql: how long to wait for the index")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	var err error
	if c.nprobes, err = intList(*np); err != nil {
		return nil, fmt.Errorf("-nprobes: %w", err)
	}
	if c.refine, err = intList(*rf); err != nil {
		return nil, fmt.Errorf("-refine: %w", err)
	}
	switch c.indexType {
	case "ivf_pq":
	case "ivf_hnsw_sq":
		if c.refine, err = intList(*efl); err != nil {
			return nil, fmt.Errorf("-ef: %w", err)
		}
	default:
		return nil, fmt.Errorf("-index-type %q: want ivf_pq or ivf_hnsw_sq", c.indexType)
	}
	for _, e := range strings.Split(*eng, ",") {
		switch e = strings.TrimSpace(e); e {
		case "lancegate", "lancedb", "lancedb-lgidx":
			c.engines = append(c.engines, e)
		case "":
		default:
			return nil, fmt.Errorf("-engines: unknown engine %q", e)
		}
	}
	if c.indexVia != "api" && c.indexVia != "sql" {
		return nil, fmt.Errorf("-index-via %q: want api or sql", c.indexVia)
	}
	if c.rounds < 1 {
		return nil, fmt.Errorf("-rounds must be ≥ 1")
	}
	if c.clients < 1 || c.queries < 1 || c.k < 1 || c.n < c.k {
		return nil, fmt.Errorf("need clients, queries, k ≥ 1 and n ≥ k")
	}
	if c.partitions == 0 {
		c.partitions = max(1, int(math.Sqrt(float64(c.n))))
	}
	if c.subVectors == 0 {
		c.subVectors = max(1, c.dim/8)
	}
	if c.dim%c.subVectors != 0 {
		return nil, fmt.Errorf("-subvectors %d does not divide -dim %d", c.subVectors, c.dim)
	}
	return c, nil
}

// Point is one measured point of a sweep.
type Point struct {
	Engine  string  `json:"engine"`
	NProbes int     `json:"nprobes"`
	Refine  int     `json:"refine"`
	Recall  float64 `json:"recall"`
	QPS     float64 `json:"qps"`
	P50ms   float64 `json:"p50_ms"`
	P99ms   float64 `json:"p99_ms"`
	MeanMs  float64 `json:"mean_ms"`
	BuildS  float64 `json:"build_s"` // index build of the engine (0: none)
	Queries int     `json:"queries"`
	Round   int     `json:"round,omitempty"`
	// Over the rounds (Summary only): QPS range and the number of rounds.
	QPSMin float64 `json:"qps_min,omitempty"`
	QPSMax float64 `json:"qps_max,omitempty"`
	Rounds int     `json:"rounds,omitempty"`
}

// Results is what a run writes to <workdir>/results-<time>.json.
type Results struct {
	Args       []string           `json:"args"`
	Time       time.Time          `json:"time"`
	Data       benchdata.Meta     `json:"data"`
	DataKey    string             `json:"data_key"`
	Partitions int                `json:"partitions"`
	SubVectors int                `json:"sub_vectors"`
	Index      bool               `json:"index"`
	IndexVia   string             `json:"index_via"`
	IndexType  string             `json:"index_type"`
	M          int                `json:"m,omitempty"`
	EfC        int                `json:"ef_construction,omitempty"`
	Clients    int                `json:"clients"`
	Rounds     int                `json:"rounds"`
	K          int                `json:"k"`
	Machine    map[string]string  `json:"machine"`
	Timings    map[string]float64 `json:"timings_s"`
	Points     []Point            `json:"points"`
	// Summary has one point per engine and sweep point: medians over the
	// rounds (recall is the mean), with the QPS range.
	Summary         []Point           `json:"summary"`
	EqualRecall     []EqualRecall     `json:"equal_recall"`
	LanceDBVersions map[string]string `json:"lancedb_versions,omitempty"`
}

func logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, a...)...)
}

// machine records what performance.md §3.1 asks an absolute number to be
// quoted with.
func machine() map[string]string {
	m := map[string]string{
		"go":         runtime.Version(),
		"gomaxprocs": strconv.Itoa(runtime.GOMAXPROCS(0)),
		"num_cpu":    strconv.Itoa(runtime.NumCPU()),
		"kernels":    distance.Impl(),
		"goamd64":    "v1",
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "GOAMD64" {
				m["goamd64"] = s.Value
			}
		}
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m["loadavg_start"] = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				m["cpu"] = strings.TrimSpace(strings.SplitN(l, ":", 2)[1])
				break
			}
		}
	}
	return m
}

// summarize turns one sweep point's answers into a Point.
func summarize(engine string, set *benchdata.Set, nprobes, refine int, qs []int, ids [][]int64, lat []time.Duration, wall time.Duration, build float64) Point {
	var rsum float64
	for i, q := range qs {
		rsum += set.Recall(q, ids[i])
	}
	ms := make([]float64, len(lat))
	var tot float64
	for i, d := range lat {
		ms[i] = float64(d.Microseconds()) / 1000
		tot += ms[i]
	}
	return Point{
		Engine: engine, NProbes: nprobes, Refine: refine,
		Recall: rsum / float64(len(qs)), QPS: float64(len(qs)) / wall.Seconds(),
		P50ms: percentile(ms, 0.50), P99ms: percentile(ms, 0.99), MeanMs: tot / float64(len(ms)),
		BuildS: build, Queries: len(qs),
	}
}

// percentile is the nearest-rank percentile of xs.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	r := int(math.Ceil(p*float64(len(s)))) - 1
	return s[max(0, min(len(s)-1, r))]
}

// summarizeRounds merges the rounds of every (engine, nprobes, refine).
func summarizeRounds(pts []Point) []Point {
	type key struct {
		e     string
		np, r int
	}
	var order []key
	groups := map[key][]Point{}
	for _, p := range pts {
		k := key{p.Engine, p.NProbes, p.Refine}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], p)
	}
	med := func(g []Point, f func(Point) float64) float64 {
		xs := make([]float64, len(g))
		for i, p := range g {
			xs[i] = f(p)
		}
		slices.Sort(xs)
		if n := len(xs); n%2 == 0 {
			return (xs[n/2-1] + xs[n/2]) / 2
		}
		return xs[len(xs)/2]
	}
	out := make([]Point, 0, len(order))
	for _, k := range order {
		g := groups[k]
		s := g[0]
		s.Round, s.Rounds = 0, len(g)
		var rsum float64
		s.QPSMin, s.QPSMax = math.Inf(1), math.Inf(-1)
		for _, p := range g {
			rsum += p.Recall
			s.QPSMin, s.QPSMax = min(s.QPSMin, p.QPS), max(s.QPSMax, p.QPS)
		}
		s.Recall = rsum / float64(len(g))
		s.QPS = med(g, func(p Point) float64 { return p.QPS })
		s.P50ms = med(g, func(p Point) float64 { return p.P50ms })
		s.P99ms = med(g, func(p Point) float64 { return p.P99ms })
		s.MeanMs = med(g, func(p Point) float64 { return p.MeanMs })
		out = append(out, s)
	}
	return out
}

// recallLevels are the recall thresholds of the equal-recall comparison.
var recallLevels = []float64{0.5, 0.7, 0.8, 0.9, 0.95, 0.99}

// EqualRecall is the best QPS of each engine among its sweep points with
// recall ≥ Recall (performance.md §3.5: compare at equal recall).
type EqualRecall struct {
	Recall float64            `json:"recall"`
	QPS    map[string]float64 `json:"qps"`   // engine → best QPS (absent: not reached)
	Point  map[string]string  `json:"point"` // engine → "nprobes/refine" of that QPS
}

func equalRecall(summary []Point) []EqualRecall {
	var out []EqualRecall
	for _, lvl := range recallLevels {
		e := EqualRecall{Recall: lvl, QPS: map[string]float64{}, Point: map[string]string{}}
		for _, p := range summary {
			if p.Recall >= lvl && p.QPS > e.QPS[p.Engine] {
				e.QPS[p.Engine] = p.QPS
				e.Point[p.Engine] = fmt.Sprintf("%d/%d", p.NProbes, p.Refine)
			}
		}
		if len(e.QPS) > 0 {
			out = append(out, e)
		}
	}
	return out
}

func printEqualRecall(w *os.File, r *Results) {
	var engines []string
	for _, p := range r.Summary {
		if !slices.Contains(engines, p.Engine) {
			engines = append(engines, p.Engine)
		}
	}
	if len(r.EqualRecall) == 0 || len(engines) < 2 {
		return
	}
	fmt.Fprintf(w, "Best QPS at recall@%d ≥ level (nprobes/%s of that point)", r.K, map[bool]string{true: "ef", false: "refine"}[r.IndexType == "ivf_hnsw_sq"])
	if slices.Contains(engines, "lancegate") && slices.Contains(engines, "lancedb") {
		fmt.Fprint(w, "; ratio = lancegate / lancedb")
	}
	fmt.Fprint(w, "\n\n| recall ≥ |")
	for _, e := range engines {
		fmt.Fprintf(w, " %s |", e)
	}
	fmt.Fprintln(w, " ratio |")
	fmt.Fprintln(w, "|---|"+strings.Repeat("---|", len(engines)+1))
	for _, e := range r.EqualRecall {
		fmt.Fprintf(w, "| %.2f |", e.Recall)
		for _, en := range engines {
			if q, ok := e.QPS[en]; ok {
				fmt.Fprintf(w, " %.0f (%s) |", q, e.Point[en])
			} else {
				fmt.Fprint(w, " — |")
			}
		}
		a, okA := e.QPS["lancegate"]
		b, okB := e.QPS["lancedb"]
		if okA && okB {
			fmt.Fprintf(w, " %.2f× |\n", a/b)
		} else {
			fmt.Fprintln(w, " — |")
		}
	}
	fmt.Fprintln(w)
}

func printTable(w *os.File, r *Results) {
	model := fmt.Sprintf("IVF%d/PQ%d", r.Partitions, r.SubVectors)
	if r.IndexType == "ivf_hnsw_sq" {
		model = fmt.Sprintf("IVF%d/HNSW(m=%d, ef_construction=%d)/SQ8", r.Partitions, r.M, r.EfC)
	}
	fmt.Fprintf(w, "\n%d × %d %s, %d queries, RC %.3f (%s); %s; %d clients; %s, GOMAXPROCS %s, %s kernels, load %s\n",
		r.Data.Params.N, r.Data.Params.Dim, r.Data.Metric, r.Data.Params.Queries, r.Data.RelativeContrast, r.DataKey,
		model, r.Clients, r.Machine["go"], r.Machine["gomaxprocs"], r.Machine["kernels"], r.Machine["loadavg_start"])
	fmt.Fprintf(w, "cpu: %s, GOAMD64 %s\n", r.Machine["cpu"], r.Machine["goamd64"])
	var ts []string
	for _, k := range slices.Sorted(maps.Keys(r.Timings)) {
		ts = append(ts, fmt.Sprintf("%s %.1fs", k, r.Timings[k]))
	}
	fmt.Fprintf(w, "timings: %s\n", strings.Join(ts, ", "))
	if v := r.LanceDBVersions; v != nil {
		fmt.Fprintf(w, "lancedb %s, pylance %s, pyarrow %s, python %s\n", v["lancedb"], v["pylance"], v["pyarrow"], v["python"])
	}
	fmt.Fprintln(w)
	qpsHead := "QPS"
	if r.Rounds > 1 {
		qpsHead = fmt.Sprintf("QPS (median of %d, range)", r.Rounds)
	}
	second := "refine"
	if r.IndexType == "ivf_hnsw_sq" {
		second = "ef"
	}
	fmt.Fprintf(w, "| engine | nprobes | %s | recall@%d | %s | p50 ms | p99 ms | build s |\n", second, r.K, qpsHead)
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
	for _, p := range r.Summary {
		build := "—"
		if p.BuildS > 0 {
			build = fmt.Sprintf("%.1f", p.BuildS)
		}
		qps := fmt.Sprintf("%.0f", p.QPS)
		if p.Rounds > 1 {
			qps += fmt.Sprintf(" (%.0f–%.0f)", p.QPSMin, p.QPSMax)
		}
		fmt.Fprintf(w, "| %s | %d | %d | %.3f | %s | %.2f | %.2f | %s |\n", p.Engine, p.NProbes, p.Refine, p.Recall, qps, p.P50ms, p.P99ms, build)
	}
	fmt.Fprintln(w)
}

func main() {
	c, err := parseFlags(os.Args[1:])
	if err == flag.ErrHelp {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "lancebench:", err)
		os.Exit(2)
	}
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "lancebench:", err)
		os.Exit(1)
	}
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// writeScript puts an embedded script into the work dir.
func writeScript(dir, name string, b []byte) (string, error) {
	p := filepath.Join(dir, name)
	return p, os.WriteFile(p, b, 0o644)
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
