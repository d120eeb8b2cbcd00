package remote

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/exectest"
	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
)

// TestParallelReduction: one executor splits a partial aggregate's 12
// pieces over 5 runs on its cores; the final aggregate over their 5
// partial results is exact, the stats count every piece and row once,
// and the allocator ends at zero.
func TestParallelReduction(t *testing.T) {
	mem := checkedMem(t)
	tt := makeTable(t, 12, 1000)
	p := startExecutor(t, tt.store, "", func(c *ServerConfig) { c.Parallelism = 5 })
	cl := newCluster(t, []string{p.addr}, Options{Mem: mem})
	count, sum := aggCall(t, "count"), aggCall(t, "sum", colX)
	g, err := cl.Run(context.Background(), tt.build(t, fragSpec{
		groupBy:  []expr.Expr{colG},
		aggs:     []expr.AggCall{count, sum},
		aggNames: []string{"g", "count", "sum"},
	}))
	if err != nil {
		t.Fatal(err)
	}
	final, err := executor.NewHashAggregate(&expr.Env{Mem: mem}, g, executor.HashAggregateConfig{
		GroupBy: []expr.Expr{&expr.Column{Index: 0, T: pgtype.Int4}},
		Aggs: []expr.AggCall{
			{Agg: count.Agg, Args: []expr.Expr{&expr.Column{Index: 1, T: count.Agg.Result}}},
			{Agg: sum.Agg, Args: []expr.Expr{&expr.Column{Index: 2, T: sum.Agg.Result}}},
		},
		Names: []string{"g", "count", "sum"},
		Mode:  executor.AggFinal,
	})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := exectest.Drain(context.Background(), final)
	if err != nil {
		t.Fatal(err)
	}
	stats, _, _ := g.ExecutorStats()
	final.Close()
	rows := exectest.Rows(recs)
	exectest.Release(recs)
	sort.Slice(rows, func(i, j int) bool { return rows[i][0].(int64) < rows[j][0].(int64) })
	var want [][]any
	for k := range int64(7) {
		var n, s int64
		for id := k; id < 12000; id += 7 {
			n++
			s += 3 * id
		}
		want = append(want, []any{k, n, fmt.Sprint(s)})
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Fatalf("groups %v; want %v", rows, want)
	}
	if len(stats) != 1 || stats[0].Pieces != 12 || stats[0].RowsRead != 12000 || stats[0].Rows != 5*7 {
		t.Fatalf("stats %+v; want one executor, 12 pieces, 12000 rows read, 5 runs × 7 groups sent", stats)
	}
}
