package planner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/spec"
)

// Distributed execution. When the catalog has plan executors (a query
// node started with --executors), the rule distribute marks the parts of
// a query plan executors can run: a scan with the filter and projection
// above it (a pipeline), an aggregation over a pipeline (partial on the
// executors, final here), and a top-k over a pipeline (on each executor,
// merged here by the same top-k). Each becomes a remoteNode that keeps
// the subtree it replaces: at execution the subtree runs here instead
// when its table cannot be read by executors (a transaction's pending
// writes, system tables, a table without fragments), when an expression
// has no serialisable form, or for a vector search an index serves.
// Everything above remoteNodes (joins, sorts, final aggregates) runs on
// the query node.

// Cluster runs plan fragments on plan executors; executor/remote
// implements it. Run returns the union of the fragment's output over its
// pieces; the operator may implement ExecutorStats for EXPLAIN ANALYZE.
type Cluster interface {
	Run(ctx context.Context, frag *spec.Fragment) (executor.Operator, error)
}

// ExecutorStatser is implemented by the operators Cluster.Run returns.
type ExecutorStatser interface {
	ExecutorStats() (stats []spec.Stats, retries, fallbacks int)
}

// ClusterCatalog is implemented by catalogs of query nodes with plan
// executors.
type ClusterCatalog interface {
	Cluster() Cluster
}

// PiecedTable is implemented by tables whose snapshot executors can read:
// Pieces returns where the snapshot is and its data fragments; ok is
// false when this snapshot must be read on the query node.
type PiecedTable interface {
	Pieces(ctx context.Context) (ref spec.TableRef, fragments []uint64, ok bool, err error)
}

// PartitionedIndex is a VectorIndex executors can search partition by
// partition (executor/remote's vector searches).
type PartitionedIndex interface {
	// Partitions plans req for executors: the (segment, partition) pieces
	// to probe, the fragments no segment covers (searched exactly), and
	// the candidates each executor takes.
	Partitions(ctx context.Context, req VectorSearch) (ANNPlan, error)
}

// ANNPlan is a distributed vector search's plan.
type ANNPlan struct {
	Pieces    []spec.Piece
	Unindexed []uint64
	Want      int
}

// remoteNode is a subtree executors run.
type remoteNode struct {
	local   node // the subtree, as run on the query node
	scan    *scanNode
	filter  expr.Expr    // over the scan's columns; nil: none
	project *projectNode // over the filter; nil: none
	agg     *aggNode     // partial on executors, final here
	topK    *topKNode    // on executors, merged here
	ann     *annScanNode // set when the pipeline reads a vector search's table
}

func (n *remoteNode) columns() []column { return n.local.columns() }
func (n *remoteNode) inputs() []node    { return []node{n.local} }
func (n *remoteNode) label() string {
	switch {
	case n.agg != nil:
		return "Gather: partial aggregate on executors, final here"
	case n.topK != nil:
		return "Gather: top-k on executors, merged here"
	}
	return "Gather: scan on executors"
}

// clusterOf returns the catalog's executors, or nil.
func clusterOf(cat Catalog) Cluster {
	if c, ok := cat.(ClusterCatalog); ok {
		return c.Cluster()
	}
	return nil
}

// distribute rewrites a query plan for executors (see above).
func distribute(n node) node {
	switch x := n.(type) {
	case *aggNode:
		if r := pipelineOf(x.in); r != nil && splittable(x) {
			r.local, r.agg = x, x
			return r
		}
	case *topKNode:
		if r := pipelineOf(x.in); r != nil {
			r.local, r.topK = x, x
			return r
		}
	}
	if r := pipelineOf(n); r != nil && r.ann == nil {
		r.local = n
		return r
	}
	ins := n.inputs()
	if len(ins) == 0 {
		return n
	}
	changed := false
	out := make([]node, len(ins))
	for i, in := range ins {
		out[i] = distribute(in)
		changed = changed || out[i] != in
	}
	if !changed {
		return n
	}
	return withInputs(n, out)
}

// pipelineOf matches [Project] [Filter] Scan over a table (a vector
// search's table counts: without an index its search is this pipeline).
func pipelineOf(n node) *remoteNode {
	r := &remoteNode{}
	if p, ok := n.(*projectNode); ok {
		r.project, n = p, p.in
	}
	if f, ok := n.(*filterNode); ok {
		r.filter, n = f.pred, f.in
	}
	switch s := n.(type) {
	case *scanNode:
		r.scan = s
	case *annScanNode:
		r.scan, r.ann = s.scan, s
	default:
		return nil
	}
	if r.scan.rowAddr || strings.HasPrefix(r.scan.table.name, SystemSchema+".") {
		return nil
	}
	return r
}

// splittable reports whether every aggregate of n has a partial form.
func splittable(n *aggNode) bool {
	for _, a := range n.aggs {
		c := expr.AggCall{Agg: a.agg, Distinct: a.distinct}
		if !c.Splittable() || a.filter != nil {
			return false
		}
	}
	return true
}

// withInputs returns a copy of n over new inputs; node kinds it does not
// know come back unchanged.
func withInputs(n node, ins []node) node {
	switch x := n.(type) {
	case *filterNode:
		c := *x
		c.in = ins[0]
		return &c
	case *projectNode:
		c := *x
		c.in = ins[0]
		return &c
	case *aggNode:
		c := *x
		c.in = ins[0]
		return &c
	case *distinctNode:
		c := *x
		c.in = ins[0]
		return &c
	case *sortNode:
		c := *x
		c.in = ins[0]
		return &c
	case *limitNode:
		c := *x
		c.in = ins[0]
		return &c
	case *topKNode:
		c := *x
		c.in = ins[0]
		return &c
	case *joinNode:
		c := *x
		c.left, c.right = ins[0], ins[1]
		return &c
	case *unionNode:
		c := *x
		c.ins = ins
		return &c
	case *setOpNode:
		c := *x
		c.left, c.right = ins[0], ins[1]
		return &c
	}
	return n
}

// remoteRun records what a remoteNode's execution did, for EXPLAIN
// ANALYZE.
type remoteRun struct {
	op     executor.Operator // the Gather, or nil when run here
	reason string            // why it ran here
}

// buildRemote runs n on the executors, or its subtree here.
func (x *execution) buildRemote(n *remoteNode) (executor.Operator, error) {
	run := &remoteRun{}
	if x.remote != nil {
		x.remote[n] = run
	}
	local := func(reason string) (executor.Operator, error) {
		run.reason = reason
		return x.build(n.local)
	}
	cl := clusterOf(x.cat)
	if cl == nil {
		return local("no executors")
	}
	t, err := x.table(n.scan.table)
	if err != nil {
		return nil, err
	}
	pt, ok := t.(PiecedTable)
	if !ok {
		return local("the table is read on the query node")
	}
	ref, frags, ok, err := pt.Pieces(x.ctx)
	if err != nil {
		return nil, err
	}
	if !ok {
		return local("the transaction has pending writes to the table")
	}
	if len(frags) == 0 {
		return local("the table has no data fragments")
	}
	var annPlan *ANNPlan
	var annReq VectorSearch
	if n.ann != nil {
		annRun, idx, req, err := x.planANN(t, n.ann)
		if err != nil {
			return nil, err
		}
		if x.ann != nil {
			x.ann[n.ann] = annRun
		}
		if idx != nil {
			if reason := indexRunsHere(n.ann, idx); reason != "" {
				return local(reason)
			}
			plan, err := idx.(PartitionedIndex).Partitions(x.ctx, req)
			if err != nil {
				return nil, err
			}
			annPlan, annReq = &plan, req
			annRun.stats.Probed = len(plan.Pieces) + len(plan.Unindexed)
			annRun.distributed = true
		}
	}
	var limit int64 = -1
	if n.topK != nil {
		count, offset, ok, err := x.topKSize(n.topK)
		if err != nil {
			return nil, err
		}
		if !ok {
			return local("the top-k is too large to push down")
		}
		limit = count + offset
	}
	if annPlan != nil {
		op, err := x.runANN(cl, n, t, ref, annPlan, annReq, limit)
		if errors.Is(err, spec.ErrUnsupported) {
			return local(err.Error())
		}
		if err != nil {
			return nil, err
		}
		run.op = op
		return x.buildTopKOver(n.topK, op)
	}
	frag, err := x.fragment(n, t, ref, frags, limit)
	if errors.Is(err, spec.ErrUnsupported) {
		return local(err.Error())
	}
	if err != nil {
		return nil, err
	}
	op, err := cl.Run(x.ctx, frag)
	if err != nil {
		return nil, err
	}
	run.op = op
	switch {
	case n.agg != nil:
		return x.finalAggregate(n.agg, op)
	case n.topK != nil:
		return x.buildTopKOver(n.topK, op)
	}
	return op, nil
}

// runANN runs a vector search an index serves on the executors: each
// probes the partitions it owns and returns its top-k of their candidates;
// the fragments no segment covers are scanned as an ordinary top-k
// fragment. The union goes to the query node's top-k.
func (x *execution) runANN(cl Cluster, n *remoteNode, t Table, ref spec.TableRef, plan *ANNPlan, req VectorSearch, limit int64) (executor.Operator, error) {
	var ops []executor.Operator
	fail := func(err error) (executor.Operator, error) {
		for _, op := range ops {
			op.Close()
		}
		return nil, err
	}
	if len(plan.Pieces) > 0 {
		frag, err := x.fragment(n, t, ref, nil, limit)
		if err != nil {
			return nil, err
		}
		frag.Pieces = plan.Pieces
		frag.ANN = &spec.ANN{Query: req.Query, Want: plan.Want, Ef: req.Ef}
		op, err := cl.Run(x.ctx, frag)
		if err != nil {
			return nil, err
		}
		ops = append(ops, op)
	}
	if len(plan.Unindexed) > 0 {
		frag, err := x.fragment(n, t, ref, plan.Unindexed, limit)
		if err != nil {
			return fail(err)
		}
		op, err := cl.Run(x.ctx, frag)
		if err != nil {
			return fail(err)
		}
		ops = append(ops, op)
	}
	switch len(ops) {
	case 0:
		return nil, spec.ErrUnsupported // nothing to search: let the query node answer
	case 1:
		return ops[0], nil
	}
	u, err := executor.NewUnionAll(ops)
	if err != nil {
		return nil, err
	}
	return &unionStats{UnionAll: u, parts: ops}, nil
}

// unionStats is the union of a vector search's two distributed parts,
// reporting both parts' executor statistics.
type unionStats struct {
	*executor.UnionAll
	parts []executor.Operator
}

func (u *unionStats) ExecutorStats() (stats []spec.Stats, retries, fallbacks int) {
	byName := map[string]*spec.Stats{}
	var names []string
	for _, p := range u.parts {
		st, ok := p.(ExecutorStatser)
		if !ok {
			continue
		}
		s, r, f := st.ExecutorStats()
		retries += r
		fallbacks += f
		for _, e := range s {
			if byName[e.Executor] == nil {
				byName[e.Executor] = &spec.Stats{Executor: e.Executor}
				names = append(names, e.Executor)
			}
			byName[e.Executor].Add(e)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		stats = append(stats, *byName[n])
	}
	return stats, retries, fallbacks
}

// topKSize evaluates a top-k's count and offset; ok is false when it
// does not fit a heap (LIMIT NULL, or beyond executor.MaxTopK).
func (x *execution) topKSize(t *topKNode) (count, offset int64, ok bool, err error) {
	if count, err = x.evalInt(t.count, "LIMIT"); err != nil {
		return 0, 0, false, err
	}
	if t.offset != nil {
		if offset, err = x.evalInt(t.offset, "OFFSET"); err != nil {
			return 0, 0, false, err
		}
	}
	if count < 0 || count > executor.MaxTopK || offset > executor.MaxTopK || count+offset > executor.MaxTopK {
		return 0, 0, false, nil
	}
	return count, offset, true, nil
}

// fragment encodes n's work over the given pieces.
func (x *execution) fragment(n *remoteNode, t Table, ref spec.TableRef, frags []uint64, limit int64) (*spec.Fragment, error) {
	cols := t.Columns()
	f := &spec.Fragment{Table: ref}
	for _, id := range frags {
		f.Pieces = append(f.Pieces, spec.Piece{ID: id})
	}
	for _, c := range n.scan.cols {
		f.Columns = append(f.Columns, cols[c].Name)
	}
	enc := spec.NewEncoder()
	var err error
	if n.filter != nil {
		if f.Filter, err = enc.Expr(n.filter); err != nil {
			return nil, err
		}
	}
	if n.project != nil {
		for i, e := range n.project.exprs {
			se, err := enc.Expr(e)
			if err != nil {
				return nil, err
			}
			f.Project = append(f.Project, se)
			f.Names = append(f.Names, n.project.out[i].name)
		}
	}
	if a := n.agg; a != nil {
		f.Agg = &spec.PartialAgg{}
		for i, g := range a.groups {
			se, err := enc.Expr(g)
			if err != nil {
				return nil, err
			}
			f.Agg.GroupBy = append(f.Agg.GroupBy, se)
			f.Agg.Names = append(f.Agg.Names, a.out[i].name)
		}
		for i, c := range a.aggs {
			call := expr.AggCall{Agg: c.agg, Distinct: c.distinct}
			if c.arg != nil {
				call.Args = append([]expr.Expr{c.arg}, c.consts...)
			}
			sa, err := enc.AggCall(call)
			if err != nil {
				return nil, err
			}
			f.Agg.Aggs = append(f.Agg.Aggs, sa)
			f.Agg.Names = append(f.Agg.Names, a.out[len(a.groups)+i].name)
		}
	}
	if k := n.topK; k != nil {
		f.TopK = &spec.TopK{Limit: limit}
		for _, key := range k.keys {
			se, err := enc.Expr(key.e)
			if err != nil {
				return nil, err
			}
			f.TopK.Keys = append(f.TopK.Keys, spec.SortKey{Expr: se, Desc: key.desc, NullsFirst: key.nullsFirst})
		}
	}
	if f.Consts, err = enc.Consts(x.env.Mem); err != nil {
		return nil, err
	}
	if f.Env, err = spec.EncodeEnv(x.env, x.params); err != nil {
		return nil, err
	}
	return f, nil
}

// finalAggregate merges the executors' partial aggregates.
func (x *execution) finalAggregate(a *aggNode, in executor.Operator) (executor.Operator, error) {
	groups := make([]expr.Expr, len(a.groups))
	for i, g := range a.groups {
		groups[i] = &expr.Column{Index: i, T: g.Type(), Name: a.out[i].name}
	}
	calls := make([]expr.AggCall, len(a.aggs))
	for i, c := range a.aggs {
		j := len(a.groups) + i
		calls[i] = expr.AggCall{Agg: c.agg, Args: []expr.Expr{&expr.Column{Index: j, T: c.agg.Result, Name: a.out[j].name}}}
	}
	return executor.NewHashAggregate(x.env, in, executor.HashAggregateConfig{GroupBy: groups, Aggs: calls, Names: names(a.out), Mode: executor.AggFinal})
}

// buildTopKOver merges the executors' top-k lists.
func (x *execution) buildTopKOver(t *topKNode, in executor.Operator) (executor.Operator, error) {
	count, offset, _, err := x.topKSize(t)
	if err != nil {
		in.Close()
		return nil, err
	}
	return executor.NewTopK(x.env, in, executor.TopKConfig{Keys: execKeys(t.keys), Limit: count, Offset: offset})
}

// ranLocally reports whether n ran (under EXPLAIN ANALYZE), or would run
// (under EXPLAIN, for a vector search an index serves), on the query node.
func (x *execution) ranLocally(n *remoteNode) bool {
	if x.remote != nil {
		run := x.remote[n]
		return run != nil && run.op == nil
	}
	if n.ann == nil {
		return false
	}
	t, err := x.table(n.scan.table)
	if err != nil {
		return false
	}
	_, idx, _, err := x.planANN(t, n.ann)
	return err == nil && idx != nil && indexRunsHere(n.ann, idx) != ""
}

// indexRunsHere says why a vector search idx serves must run on the query
// node, or "" when executors can search its partitions.
func indexRunsHere(ann *annScanNode, idx VectorIndex) string {
	if ann.pred != nil {
		return "a prefiltered vector search runs on the query node"
	}
	if _, ok := idx.(PartitionedIndex); !ok {
		return "the index cannot be searched by executors"
	}
	return ""
}

// describeRemote renders what a remoteNode did, under EXPLAIN ANALYZE: a
// line per executor, as PostgreSQL lists parallel workers.
func (x *execution) describeRemote(n *remoteNode, indent string) []string {
	run := x.remote[n]
	if run == nil {
		return nil
	}
	st, ok := run.op.(ExecutorStatser)
	if !ok {
		return nil
	}
	stats, retries, fallbacks := st.ExecutorStats()
	var lines []string
	for _, s := range stats {
		lines = append(lines, fmt.Sprintf("%sExecutor %s: pieces=%d rows read=%d rows sent=%d time=%.3f ms storage=%s cache=%s",
			indent, s.Executor, s.Pieces, s.RowsRead, s.Rows, float64(s.Elapsed.Microseconds())/1000, bytesString(s.BytesStorage), bytesString(s.BytesCache)))
	}
	if retries > 0 || fallbacks > 0 {
		lines = append(lines, fmt.Sprintf("%sRetried streams: %d, on the query node: %d", indent, retries, fallbacks))
	}
	if h, ok := run.op.(interface{ Hedged() (int, int) }); ok {
		if started, won := h.Hedged(); started > 0 {
			lines = append(lines, fmt.Sprintf("%sHedged streams: %d, answered first: %d", indent, started, won))
		}
	}
	return lines
}

func bytesString(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
