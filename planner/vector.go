package planner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
)

// Approximate nearest-neighbour search.
//
// A query such as
//
//	SELECT id FROM items WHERE cat = 'b' ORDER BY embedding <-> $1 LIMIT 10
//
// binds to TopK(Project(Filter(Scan))) and runs exactly: every row's
// distance is computed. When the table has a vector index on embedding
// whose metric is the operator's (l2 for <->, cosine for <=>, dot for
// <#>), the rewrite below replaces the Scan with an annScanNode, keeping
// everything above it:
//
//	TopK 10 by d
//	  -> Project id, embedding <-> $1 AS d
//	       -> Filter cat = 'b'
//	            -> Vector Search items using idx …   (was: Scan items)
//
// At execution the annScanNode
//
//  1. evaluates the filter first over the filter's columns and keeps the
//     addresses of the rows that pass (the prefilter), so the index is
//     searched among qualifying rows only and widens its probes until k of
//     them are found;
//  2. asks the index for the k·refine_factor nearest candidates among
//     live, qualifying rows, and reads those rows;
//  3. appends every row of the fragments the index does not cover yet.
//
// The Filter, Project and TopK above then run unchanged over that much
// smaller row set: the filter is re-applied (it must be, for the
// unindexed rows), distances are computed exactly from the stored
// vectors (the refine step), and TopK picks the k best. So no committed
// row is ever missed because it is not indexed yet, deleted rows never
// come back, and the distances a client sees are exact. Recall is lost
// only where the index's candidate list misses a true neighbour.
//
// When no index applies (no index, another metric, LIMIT ALL, a NULL or
// wrongly sized query vector, a table inside a transaction with pending
// writes) the node is a plain scan and the search is exact.

// VectorMetric is the distance an index answers.
type VectorMetric string

// The metrics of pgvector's operators.
const (
	MetricL2     VectorMetric = "l2"     // <->, l2_distance
	MetricCosine VectorMetric = "cosine" // <=>, cosine_distance
	MetricDot    VectorMetric = "dot"    // <#>, vector_negative_inner_product
)

// metricOf maps a distance function to the metric an index must have.
func metricOf(fn string) (VectorMetric, bool) {
	switch fn {
	case "<->", "l2_distance":
		return MetricL2, true
	case "<=>", "cosine_distance":
		return MetricCosine, true
	case "<#>", "vector_negative_inner_product":
		return MetricDot, true
	}
	return "", false
}

// VectorTable is implemented by tables that can serve nearest-neighbour
// searches from a vector index.
type VectorTable interface {
	Table
	// VectorIndex returns the index over column col (an index into
	// Columns) that answers metric, or nil when there is none.
	VectorIndex(ctx context.Context, col int, metric VectorMetric) (VectorIndex, error)
}

// VectorIndex is one index of a table snapshot, ready to search.
type VectorIndex interface {
	// Info describes the index for EXPLAIN.
	Info() VectorIndexInfo
	// Search returns the candidate rows of req: the rows the index ranks
	// nearest (K·RefineFactor of them, among live rows Allow accepts)
	// followed by every row of the fragments the index does not cover.
	// The operator yields the columns req.Cols (indexes into Columns),
	// plus a trailing int8 row address when req.RowAddr is set.
	Search(ctx context.Context, req VectorSearch, mem memory.Allocator) (executor.Operator, VectorSearchStats, error)
}

// VectorIndexInfo describes an index for EXPLAIN.
type VectorIndexInfo struct {
	Name   string
	Type   string // "IVF_PQ"
	Metric VectorMetric
	Dim    int
	// Segments counts the index's parts (a base index and its deltas).
	Segments int
	// IndexedFragments and UnindexedFragments count the snapshot's
	// fragments the index covers and does not cover; UnindexedRows is the
	// rows searched exactly.
	IndexedFragments, UnindexedFragments int
	UnindexedRows                        uint64
}

// VectorSearch is one search request.
type VectorSearch struct {
	Query []float32
	// K is the number of rows wanted (LIMIT + OFFSET).
	K int
	// NProbes, RefineFactor and Ef are the session's knobs
	// (lancegate.nprobes, lancegate.refine_factor, lancegate.ef).
	NProbes, RefineFactor, Ef int
	// Allow is the prefilter: nil, or the row addresses that pass the
	// statement's WHERE clause.
	Allow func(addr uint64) bool
	// Cols and RowAddr shape the output as Table.Scan does.
	Cols    []int
	RowAddr bool
}

// VectorSearchStats report what a search did, for EXPLAIN ANALYZE.
type VectorSearchStats struct {
	// Probed counts the partitions searched over all segments (more than
	// NProbes per segment when a prefilter made the search widen).
	Probed int
	// Candidates counts the rows the index returned.
	Candidates int
	// Allowed counts the rows that passed the prefilter (-1: none ran).
	Allowed int64
}

// The session settings that steer index searches, and their defaults
// (LanceDB's: 20 probes, no refine beyond the k candidates).
const (
	settingNProbes      = "lancegate.nprobes"
	settingRefineFactor = "lancegate.refine_factor"
	settingEf           = "lancegate.ef"
	defaultNProbes      = 20
	defaultRefineFactor = 1
	defaultEf           = 40
)

// SearchSettings is implemented by catalogs that carry a session's
// settings; the planner reads the vector search knobs through it at every
// execution, so SET after PREPARE applies.
type SearchSettings interface {
	// SearchSetting returns the value of lancegate.nprobes,
	// lancegate.refine_factor or lancegate.ef as the session resolves it
	// (including the pgvector spellings ivfflat.probes and
	// hnsw.ef_search), or false when unset.
	SearchSetting(name string) (string, bool)
}

// searchKnobs are the knob values for one execution.
type searchKnobs struct{ nprobes, refine, ef int }

func (x *execution) knobs() searchKnobs {
	k := searchKnobs{nprobes: defaultNProbes, refine: defaultRefineFactor, ef: defaultEf}
	s, ok := x.cat.(SearchSettings)
	if !ok {
		return k
	}
	get := func(name string, into *int) {
		if v, ok := s.SearchSetting(name); ok {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n > 0 {
				*into = n
			}
		}
	}
	get(settingNProbes, &k.nprobes)
	get(settingRefineFactor, &k.refine)
	get(settingEf, &k.ef)
	return k
}

// annScanNode is a Scan that an index may narrow to the candidates of a
// nearest-neighbour search: see the comment at the top of this file. Its
// outputs are the scan's.
type annScanNode struct {
	scan   *scanNode
	vecCol int // table column searched
	metric VectorMetric
	op     string    // the operator or function, for EXPLAIN
	query  expr.Expr // reads no columns
	count  expr.Expr
	offset expr.Expr // nil: none
	// pred is the filter directly above the scan (over the scan's
	// outputs), evaluated first as the prefilter; nil when none.
	pred expr.Expr
}

func (n *annScanNode) columns() []column { return n.scan.out }
func (n *annScanNode) inputs() []node    { return nil }
func (n *annScanNode) label() string {
	return fmt.Sprintf("Vector Search on %s (%s %s, k=%s)", strings.TrimPrefix(n.scan.label(), "Scan "), n.scan.out[n.scanOutput()].name, n.op, n.kString())
}

func (n *annScanNode) kString() string {
	if n.offset == nil {
		return n.count.String()
	}
	return n.count.String() + "+" + n.offset.String()
}

// scanOutput is the scan output index of the searched column.
func (n *annScanNode) scanOutput() int {
	for i, c := range n.scan.cols {
		if c == n.vecCol {
			return i
		}
	}
	return -1
}

// useIndexes rewrites nearest-neighbour queries to annScanNodes. It runs
// after column pruning, so the scan reads only what the query uses.
func useIndexes(n node) node {
	switch x := n.(type) {
	case *projectNode:
		in := useIndexes(x.in)
		if in == x.in {
			return n
		}
		return &projectNode{in: in, exprs: x.exprs, out: x.out}
	case *limitNode:
		in := useIndexes(x.in)
		if in == x.in {
			return n
		}
		return &limitNode{in: in, count: x.count, offset: x.offset}
	case *topKNode:
		if ann := annFor(x); ann != nil {
			return ann
		}
	}
	return n
}

// annFor matches TopK(k by dist(col, q)) over Project over [Filter over]
// Scan and returns the TopK with the scan replaced, or nil.
func annFor(t *topKNode) node {
	if len(t.keys) == 0 || t.keys[0].desc || t.keys[0].nullsFirst {
		// Descending or NULLS FIRST orders want the rows an index does not
		// hold (the farthest, the NULL vectors): exact.
		return nil
	}
	p, ok := t.in.(*projectNode)
	if !ok {
		return nil
	}
	key := t.keys[0].e
	if c, ok := key.(*expr.Column); ok {
		if c.Index >= len(p.exprs) {
			return nil
		}
		key = p.exprs[c.Index]
	}
	call, ok := key.(*expr.Call)
	if !ok || len(call.Args) != 2 {
		return nil
	}
	metric, ok := metricOf(call.Func.Name)
	if !ok {
		return nil
	}
	var (
		pred expr.Expr
		in   = p.in
	)
	if f, ok := in.(*filterNode); ok {
		pred, in = f.pred, f.in
	}
	sc, ok := in.(*scanNode)
	if !ok {
		return nil
	}
	col, q := call.Args[0], call.Args[1]
	if !readsNoColumns(q) {
		col, q = q, col
	}
	c, ok := col.(*expr.Column)
	if !ok || !readsNoColumns(q) || c.Index >= len(sc.cols) || c.T.OID != pgtype.OIDVector {
		return nil
	}
	ann := &annScanNode{scan: sc, vecCol: sc.cols[c.Index], metric: metric, op: call.Func.Name, query: q, count: t.count, offset: t.offset, pred: pred}
	var below node = ann
	if pred != nil {
		below = &filterNode{in: ann, pred: pred}
	}
	return &topKNode{in: &projectNode{in: below, exprs: p.exprs, out: p.out}, keys: t.keys, count: t.count, offset: t.offset}
}

func readsNoColumns(e expr.Expr) bool {
	return visit(e, func(x expr.Expr) bool {
		_, isCol := x.(*expr.Column)
		return !isCol
	})
}

// annRun records, per annScanNode, what its execution did.
type annRun struct {
	info   *VectorIndexInfo // nil: the search was exact
	knobs  searchKnobs
	stats  VectorSearchStats
	reason string // why no index was used
	// noIndex is set when the table has no index for the search at all.
	noIndex bool
	// distributed is set when executors ran the search's partitions.
	distributed bool
}

// buildANN runs the prefilter and the index search, or falls back to a
// plain scan.
func (x *execution) buildANN(n *annScanNode) (executor.Operator, error) {
	t, err := x.table(n.scan.table)
	if err != nil {
		return nil, err
	}
	run, idx, req, err := x.planANN(t, n)
	if err != nil {
		return nil, err
	}
	if x.ann != nil {
		x.ann[n] = run
	}
	if idx == nil {
		return t.Scan(x.ctx, n.scan.cols, n.scan.rowAddr, x.env.Mem)
	}
	if n.pred != nil {
		allow, count, err := x.prefilter(t, n)
		if err != nil {
			return nil, err
		}
		req.Allow = allow
		run.stats.Allowed = count
	}
	op, st, err := idx.Search(x.ctx, req, x.env.Mem)
	if err != nil {
		return nil, err
	}
	st.Allowed = run.stats.Allowed
	run.stats = st
	return op, nil
}

// planANN decides whether an index serves n and builds the request. It
// returns a nil index, with the reason in run, when the search must be
// exact.
func (x *execution) planANN(t Table, n *annScanNode) (*annRun, VectorIndex, VectorSearch, error) {
	run := &annRun{knobs: x.knobs(), stats: VectorSearchStats{Allowed: -1}}
	var req VectorSearch
	vt, ok := t.(VectorTable)
	if !ok {
		run.reason = "the table cannot use indexes here"
		run.noIndex = true
		return run, nil, req, nil
	}
	idx, err := vt.VectorIndex(x.ctx, n.vecCol, n.metric)
	if err != nil {
		return nil, nil, req, err
	}
	if idx == nil {
		run.reason = fmt.Sprintf("no %s index on %s", n.metric, t.Columns()[n.vecCol].Name)
		run.noIndex = true
		return run, nil, req, nil
	}
	info := idx.Info()
	count, err := x.evalInt(n.count, "LIMIT")
	if err != nil {
		return nil, nil, req, err
	}
	var offset int64
	if n.offset != nil {
		if offset, err = x.evalInt(n.offset, "OFFSET"); err != nil {
			return nil, nil, req, err
		}
	}
	if count < 0 {
		run.reason = "no LIMIT"
		return run, nil, req, nil
	}
	if count > maxIndexK || offset > maxIndexK || count+offset > maxIndexK {
		run.reason = fmt.Sprintf("LIMIT + OFFSET above %d", maxIndexK)
		return run, nil, req, nil
	}
	q, err := x.evalVector(n.query)
	if err != nil {
		return nil, nil, req, err
	}
	if q == nil || len(q) != info.Dim || !finite(q) {
		// NULL, non-finite or wrongly sized query: the exact path gives
		// the statement its result or its error.
		run.reason = "the query vector is NULL, not finite or does not match the index"
		return run, nil, req, nil
	}
	run.info = &info
	req = VectorSearch{Query: q, K: int(count + offset), NProbes: run.knobs.nprobes, RefineFactor: run.knobs.refine, Ef: run.knobs.ef, Cols: n.scan.cols, RowAddr: n.scan.rowAddr}
	return run, idx, req, nil
}

// maxIndexK bounds LIMIT + OFFSET of an index search: beyond it a query
// wants a large share of the table, which an exact scan serves better.
const maxIndexK = 100_000

func finite(v []float32) bool {
	for _, x := range v {
		if x != x || x > math.MaxFloat32 || x < -math.MaxFloat32 {
			return false
		}
	}
	return true
}

// evalVector evaluates an expression that reads no columns to a vector;
// nil for NULL.
func (x *execution) evalVector(e expr.Expr) ([]float32, error) {
	rec := array.NewRecord(arrow.NewSchema(nil, nil), nil, 1)
	defer rec.Release()
	a, err := e.Eval(x.ctx, x.env, rec)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	if a.IsNull(0) {
		return nil, nil
	}
	var vals arrow.Array
	switch l := a.(type) {
	case *array.List:
		start, end := l.ValueOffsets(0)
		vals = array.NewSlice(l.ListValues(), start, end)
	case *array.FixedSizeList:
		n := int64(l.DataType().(*arrow.FixedSizeListType).Len())
		vals = array.NewSlice(l.ListValues(), int64(l.Offset())*n, int64(l.Offset()+1)*n)
	default:
		return nil, nil
	}
	defer vals.Release()
	f, ok := vals.(*array.Float32)
	if !ok {
		return nil, nil
	}
	return append([]float32(nil), f.Float32Values()...), nil
}

// prefilter evaluates the filter over the columns it reads and returns
// the addresses of the rows that pass.
func (x *execution) prefilter(t Table, n *annScanNode) (func(uint64) bool, int64, error) {
	used := map[int]bool{}
	usedColumns([]expr.Expr{n.pred}, used)
	m := make([]int, len(n.scan.out))
	for i := range m {
		m[i] = -1
	}
	var cols []int
	for i, c := range n.scan.cols {
		if used[i] {
			m[i] = len(cols)
			cols = append(cols, c)
		}
	}
	pred, ok := remap(n.pred, m)
	if !ok {
		return nil, 0, fmt.Errorf("prefilter: cannot remap %s", n.pred)
	}
	in, err := t.Scan(x.ctx, cols, true, x.env.Mem)
	if err != nil {
		return nil, 0, err
	}
	f, err := closeOnError(in)(executor.NewFilter(x.env, in, executor.FilterConfig{Pred: pred}))
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	allowed := roaring64.New()
	addrCol := len(cols)
	for {
		rec, err := f.Next(x.ctx)
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, 0, err
		}
		for _, a := range rec.Column(addrCol).(*array.Int64).Int64Values() {
			allowed.Add(uint64(a))
		}
		rec.Release()
	}
	return allowed.Contains, int64(allowed.GetCardinality()), nil
}

// describeANN renders an annScanNode for EXPLAIN: the index it uses (or
// why it searches exactly), the knobs, and the index's coverage.
func (x *execution) describeANN(n *annScanNode) string {
	run, ok := x.ann[n]
	if !ok {
		// Plain EXPLAIN: decide as an execution would, without searching.
		t, err := x.table(n.scan.table)
		if err != nil {
			return n.label()
		}
		if run, _, _, err = x.planANN(t, n); err != nil || run == nil {
			// Parameters are not known before execution.
			return n.label() + ": index chosen at execution"
		}
	}
	if run.info == nil {
		if run.noIndex {
			return n.scan.label()
		}
		return n.scan.label() + " (exact: " + run.reason + ")"
	}
	i := run.info
	knobs := fmt.Sprintf("nprobes=%d", run.knobs.nprobes)
	if i.Type == "IVF_HNSW_SQ" {
		knobs += fmt.Sprintf(" ef=%d", run.knobs.ef)
	}
	s := fmt.Sprintf("%s using %s (%s, %s): %s refine_factor=%d, %d of %d fragments indexed",
		n.label(), i.Name, i.Type, i.Metric, knobs, run.knobs.refine, i.IndexedFragments, i.IndexedFragments+i.UnindexedFragments)
	if i.UnindexedRows > 0 {
		s += fmt.Sprintf(", %d unindexed rows searched exactly", i.UnindexedRows)
	}
	if n.pred != nil {
		s += ", prefilter " + n.pred.String()
	}
	if ok && run.distributed {
		s += fmt.Sprintf(" (%d partitions and unindexed fragments probed on executors)", run.stats.Probed)
	} else if ok {
		s += fmt.Sprintf(" (probed=%d candidates=%d", run.stats.Probed, run.stats.Candidates)
		if run.stats.Allowed >= 0 {
			s += fmt.Sprintf(" prefiltered=%d", run.stats.Allowed)
		}
		s += ")"
	}
	return s
}
