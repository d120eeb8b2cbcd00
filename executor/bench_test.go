//go:build unix

package executor_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/exectest"
	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
)

// Benchmarks of the three hot shapes (performance.md §4): exact top-10
// L2 search over 1M × 128 float32 vectors, filter + count over 10M int64
// rows, and a 1k-group count over 10M rows. Inputs are built once, in
// memory, in batches of 8192 rows; the numbers are executor work only.

const benchBatch = 8192

// cpuTimer measures the process's CPU time (user + system), which is
// what to compare when other work shares the machine: wall time then
// includes waiting for a core.
type cpuTimer struct{ start time.Duration }

func startCPU() cpuTimer { return cpuTimer{processCPU()} }

// stop returns the CPU milliseconds since start.
func (c cpuTimer) stop() float64 { return float64(processCPU()-c.start) / 1e6 }

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

var (
	vecOnce  sync.Once
	vecRecs  []arrow.Record
	vecQuery []float32
)

func vectorData(b *testing.B) ([]arrow.Record, []float32) {
	vecOnce.Do(func() {
		const n, dim = 1 << 20, 128
		r := rand.New(rand.NewPCG(1, 2))
		schema := exectest.Schema([]string{"id", "embedding"}, []pgtype.Type{i8, pgtype.VectorOf(dim)})
		mem := memory.NewGoAllocator()
		for start := 0; start < n; start += benchBatch {
			m := min(benchBatch, n-start)
			ids := array.NewInt64Builder(mem)
			vb := array.NewFixedSizeListBuilder(mem, dim, arrow.PrimitiveTypes.Float32)
			fb := vb.ValueBuilder().(*array.Float32Builder)
			fb.Reserve(m * dim)
			for i := 0; i < m; i++ {
				ids.Append(int64(start + i))
				vb.Append(true)
				for j := 0; j < dim; j++ {
					fb.UnsafeAppend(r.Float32())
				}
			}
			ia, va := ids.NewArray(), vb.NewArray()
			vecRecs = append(vecRecs, array.NewRecord(schema, []arrow.Array{ia, va}, int64(m)))
			ia.Release()
			va.Release()
			ids.Release()
			vb.Release()
		}
		vecQuery = make([]float32, dim)
		for j := range vecQuery {
			vecQuery[j] = r.Float32()
		}
	})
	return vecRecs, vecQuery
}

// BenchmarkTopKL2 is SELECT id FROM items ORDER BY embedding <-> $1
// LIMIT 10 over 1M × 128 float32 vectors: one op is one query.
func BenchmarkTopKL2(b *testing.B) {
	recs, q := vectorData(b)
	env := &expr.Env{Mem: memory.NewGoAllocator(), Text: pgtype.DefaultTextOptions()}
	key := fn(b, "<->", col(1, pgtype.VectorOf(128)), constant(pgtype.Vector, q))
	ctx := context.Background()
	b.ResetTimer()
	cpu := startCPU()
	for i := 0; i < b.N; i++ {
		src := exectest.NewSource(recs[0].Schema(), recs...)
		tk, err := executor.NewTopK(env, src, executor.TopKConfig{Keys: []executor.SortKey{{Expr: key}}, Limit: 10})
		if err != nil {
			b.Fatal(err)
		}
		out, err := exectest.Drain(ctx, tk)
		if err != nil {
			b.Fatal(err)
		}
		exectest.Release(out)
		tk.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/query")
	b.ReportMetric(cpu.stop()/float64(b.N), "cpu-ms/query")
}

var (
	intOnce sync.Once
	intRecs []arrow.Record
)

// intData is 10M rows of (x int8 uniform in [0, 1e6), g int8 in [0, 1000)).
func intData() []arrow.Record {
	intOnce.Do(func() {
		const n = 10_000_000
		r := rand.New(rand.NewPCG(3, 4))
		schema := exectest.Schema([]string{"x", "g"}, []pgtype.Type{i8, i8})
		mem := memory.NewGoAllocator()
		for start := 0; start < n; start += benchBatch {
			m := min(benchBatch, n-start)
			xb, gb := array.NewInt64Builder(mem), array.NewInt64Builder(mem)
			xb.Reserve(m)
			gb.Reserve(m)
			for i := 0; i < m; i++ {
				xb.UnsafeAppend(int64(r.IntN(1_000_000)))
				gb.UnsafeAppend(int64(r.IntN(1000)))
			}
			xa, ga := xb.NewArray(), gb.NewArray()
			intRecs = append(intRecs, array.NewRecord(schema, []arrow.Array{xa, ga}, int64(m)))
			xa.Release()
			ga.Release()
			xb.Release()
			gb.Release()
		}
	})
	return intRecs
}

func runAgg(b *testing.B, build func(env *expr.Env, src executor.Operator) (executor.Operator, error)) {
	recs := intData()
	env := &expr.Env{Mem: memory.NewGoAllocator(), Text: pgtype.DefaultTextOptions()}
	ctx := context.Background()
	rows := 0
	for _, r := range recs {
		rows += int(r.NumRows())
	}
	b.ResetTimer()
	cpu := startCPU()
	for i := 0; i < b.N; i++ {
		src := exectest.NewSource(recs[0].Schema(), recs...)
		op, err := build(env, src)
		if err != nil {
			b.Fatal(err)
		}
		out, err := exectest.Drain(ctx, op)
		if err != nil {
			b.Fatal(err)
		}
		exectest.Release(out)
		op.Close()
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mrows/s")
	b.ReportMetric(float64(rows)*float64(b.N)/(cpu.stop()/1e3)/1e6, "Mrows/cpu-s")
}

// BenchmarkFilterCount is SELECT count(*) FROM t WHERE x > 500000 over
// 10M int8 rows (half pass).
func BenchmarkFilterCount(b *testing.B) {
	runAgg(b, func(env *expr.Env, src executor.Operator) (executor.Operator, error) {
		f, err := executor.NewFilter(env, src, executor.FilterConfig{
			Pred:    fn(b, ">", col(0, i8), constant(i8, 500000)),
			Columns: []int{},
		})
		if err != nil {
			return nil, err
		}
		return executor.NewHashAggregate(env, f, executor.HashAggregateConfig{Aggs: []expr.AggCall{agg(b, "count", false)}})
	})
}

// BenchmarkGroupByCount is SELECT g, count(*) FROM t GROUP BY g over 10M
// rows and 1000 groups.
func BenchmarkGroupByCount(b *testing.B) {
	runAgg(b, func(env *expr.Env, src executor.Operator) (executor.Operator, error) {
		return executor.NewHashAggregate(env, src, executor.HashAggregateConfig{
			GroupBy: []expr.Expr{col(1, i8)},
			Aggs:    []expr.AggCall{agg(b, "count", false)},
		})
	})
}

// BenchmarkGroupBySum is SELECT g, sum(x) FROM t GROUP BY g.
func BenchmarkGroupBySum(b *testing.B) {
	runAgg(b, func(env *expr.Env, src executor.Operator) (executor.Operator, error) {
		return executor.NewHashAggregate(env, src, executor.HashAggregateConfig{
			GroupBy: []expr.Expr{col(1, i8)},
			Aggs:    []expr.AggCall{agg(b, "sum", false, col(0, i8))},
		})
	})
}
