package hnsw

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lancegate/lancegate/storage/index/distance"
)

// benchParams is the recall test's hard set (performance.md §3.3, s_c 0.4)
// at 20k × 128, kept small for the 2-core CI machines.
func benchParams() genParams {
	return genParams{n: 20000, nq: 200, dim: 128, clusters: 200, rank: 32, sc: 0.4, sigma: 0.3, seed: 7}
}

// BenchmarkBuild builds IVF8_HNSW_SQ (M 20, ef_construction 150) over the
// benchmark set. Run with -benchtime=1x.
func BenchmarkBuild(b *testing.B) {
	p := benchParams()
	base, _ := genClustered(p)
	ids := make([]uint64, p.n)
	for i := range ids {
		ids[i] = uint64(i)
	}
	for b.Loop() {
		start := time.Now()
		if _, err := Build(context.Background(), base, ids, p.dim, BuildOptions{NumPartitions: 8, Seed: 1}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/build")
	}
}

// BenchmarkSearch measures one-query-at-a-time latency (L2, 20k × 128,
// IVF8, M 20, ef_construction 150) at several nprobes and ef, with
// recall@10 against exact search as a custom metric, and brute force over
// the float vectors (the batched kernel plus top-k) as the baseline.
func BenchmarkSearch(b *testing.B) {
	const k = 10
	p := benchParams()
	s := newDataSet(p, distance.L2, k)
	ix, err := Build(context.Background(), s.base, s.rowIDs(), p.dim, BuildOptions{NumPartitions: 8, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	report := func(b *testing.B, recall float64) {
		per := b.Elapsed().Seconds() / float64(b.N)
		b.ReportMetric(recall, "recall@10")
		b.ReportMetric(1/per, "QPS")
		b.ReportMetric(per*1e6, "µs/query")
	}
	b.Run("exact", func(b *testing.B) {
		i := 0
		for b.Loop() {
			s.exact(s.query(i%p.nq), k, nil)
			i++
		}
		report(b, 1)
	})
	for _, np := range []int{2, 4, 8} {
		for _, ef := range []int{16, 40, 64, 128} {
			opts := SearchOptions{K: k, NProbes: np, Ef: ef}
			b.Run(fmt.Sprintf("nprobes=%d/ef=%d", np, ef), func(b *testing.B) {
				recall, dists := s.recall(b, ix, opts)
				i := 0
				for b.Loop() {
					if _, _, err := ix.Search(s.query(i%p.nq), opts); err != nil {
						b.Fatal(err)
					}
					i++
				}
				report(b, recall)
				b.ReportMetric(dists, "dists/query")
			})
		}
	}
}
