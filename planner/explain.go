package planner

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// explainPlan is EXPLAIN [ANALYZE] of a statement.
type explainPlan struct {
	inner   *Prepared
	analyze bool
}

func (b *binder) bindExplain(s *ast.ExplainStmt) (*explainPlan, error) {
	inner, err := b.bindStatement(s.Stmt)
	if err != nil {
		return nil, err
	}
	if inner.explain != nil {
		return nil, sqlstate.New(sqlstate.SyntaxError, "EXPLAIN of EXPLAIN is not allowed")
	}
	return &explainPlan{inner: inner, analyze: s.Analyze}, nil
}

// nodeStats are the measurements of one plan node under EXPLAIN ANALYZE.
type nodeStats struct {
	rows    int64
	batches int64
	elapsed time.Duration
}

// instrumented wraps an operator to count its rows and time its Next
// calls (including its inputs', as PostgreSQL reports inclusive times).
type instrumented struct {
	executor.Operator
	stats *nodeStats
}

func (o *instrumented) Next(ctx context.Context) (arrow.Record, error) {
	start := time.Now()
	rec, err := o.Operator.Next(ctx)
	o.stats.elapsed += time.Since(start)
	if err == nil {
		o.stats.rows += rec.NumRows()
		o.stats.batches++
	}
	return rec, err
}

// planRoot returns the query plan of a statement, for rendering.
func planRoot(p *Prepared) (string, node) {
	switch {
	case p.query != nil:
		return "", p.query.root
	case p.insert != nil:
		return "Insert on " + p.insert.table.name, p.insert.source
	case p.update != nil:
		return "Update on " + p.update.table.name, p.update.source
	case p.delete != nil:
		return "Delete on " + p.delete.table.name, p.delete.source
	}
	return "Utility Statement", nil
}

func (x *execution) runExplain(p *explainPlan) (*Result, error) {
	head, root := planRoot(p.inner)
	var total time.Duration
	if p.analyze {
		x.stats = map[node]*nodeStats{}
		x.ann = map[*annScanNode]*annRun{}
		x.remote = map[*remoteNode]*remoteRun{}
		x.params = p.inner.Params
		start := time.Now()
		res, err := p.inner.execute(x)
		if err != nil {
			return nil, err
		}
		if res.Rows != nil {
			recs, err := drain(x.ctx, &instrumented{Operator: res.Rows, stats: &nodeStats{}})
			if err != nil {
				return nil, err
			}
			release(recs)
		}
		total = time.Since(start)
	}
	var lines []string
	depth := 0
	if head != "" {
		lines = append(lines, head)
		depth = 1
	}
	if root != nil {
		x.render(root, depth, false, &lines)
	}
	if p.analyze {
		lines = append(lines, fmt.Sprintf("Execution Time: %.3f ms", float64(total.Microseconds())/1000))
	}
	schema, err := columnsSchema([]column{{name: "QUERY PLAN", typ: pgtype.Text}})
	if err != nil {
		return nil, err
	}
	b := array.NewStringBuilder(x.env.Mem)
	defer b.Release()
	for _, l := range lines {
		b.Append(l)
	}
	col := b.NewArray()
	rec := array.NewRecord(schema, []arrow.Array{col}, int64(len(lines)))
	col.Release()
	return &Result{Rows: executor.NewRecords(schema, []arrow.Record{rec}), Tag: func(int64) string { return "EXPLAIN" }}, nil
}

// render appends a node and its inputs as PostgreSQL-style plan lines.
// remote marks the subtree of a distributed node that ran on executors:
// its measurements are the executors' lines, not per node.
func (x *execution) render(n node, depth int, remote bool, lines *[]string) {
	if r, ok := n.(*remoteNode); ok && x.ranLocally(r) {
		// A distributed node that runs here shows as what it runs.
		var sub []string
		x.render(r.local, depth, remote, &sub)
		*lines = append(*lines, sub[0])
		if run := x.remote[r]; run != nil {
			*lines = append(*lines, strings.Repeat("      ", depth)+"  Not distributed: "+run.reason)
		}
		*lines = append(*lines, sub[1:]...)
		return
	}
	prefix := ""
	if depth > 0 {
		prefix = strings.Repeat("      ", depth-1) + "  ->  "
	}
	label := n.label()
	if a, ok := n.(*annScanNode); ok {
		label = x.describeANN(a)
	}
	line := prefix + label
	if st, ok := x.stats[n]; ok {
		line += fmt.Sprintf("  (actual time=%.3f ms rows=%d batches=%d)", float64(st.elapsed.Microseconds())/1000, st.rows, st.batches)
	} else if remote {
		line += "  (on executors)"
	} else if x.stats != nil {
		line += "  (never executed)"
	}
	*lines = append(*lines, line)
	if r, ok := n.(*remoteNode); ok && x.remote != nil {
		indent := strings.Repeat("      ", depth) + "  "
		*lines = append(*lines, x.describeRemote(r, indent)...)
		remote = true
	}
	for _, in := range n.inputs() {
		x.render(in, depth+1, remote, lines)
	}
}
