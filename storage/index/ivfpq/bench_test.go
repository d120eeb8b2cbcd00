package ivfpq

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lancegate/lancegate/storage/index/distance"
)

// benchParams is performance.md §3.3's default "hard" set scaled to
// 100k × 128: 1,000 Zipf clusters (N/100), rank 32, s_c 0.40.
func benchParams() genParams {
	return genParams{n: 100_000, nq: 200, dim: 128, clusters: 1000, rank: 32, sc: 0.4, sigma: 0.3, seed: 7}
}

func benchIDs(n int) []uint64 {
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = uint64(i)
	}
	return ids
}

// BenchmarkBuild builds IVF_PQ (√n = 316 partitions, 50 iterations,
// Lance's sample caps; PQ8 by default, and PQ16) over 100k × 128. Run with -benchtime=1x.
func BenchmarkBuild(b *testing.B) {
	p := benchParams()
	base, _ := genClustered(p)
	ids := benchIDs(p.n)
	for _, c := range []struct {
		name string
		opts BuildOptions
	}{
		{"default-PQ8", BuildOptions{}},
		{"PQ16", BuildOptions{NumSubVectors: 16}},
		{"PQ16-pqiters=20", BuildOptions{NumSubVectors: 16, PQ: KMeansOptions{MaxIters: 20}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				start := time.Now()
				if _, err := Build(context.Background(), base, ids, p.dim, c.opts); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(time.Since(start).Seconds(), "s/build")
			}
		})
	}
}

// BenchmarkSearch measures one-query-at-a-time latency on 100k × 128 (L2,
// IVF316/PQ16)
// at nprobes 8/16/32, unrefined and with refine ×4 and ×16 (vectors read from RAM),
// and reports recall@10 against exact search alongside.
func BenchmarkSearch(b *testing.B) {
	const k = 10
	p := benchParams()
	s := newRecallSet(p, distance.L2, k)
	ix, err := Build(context.Background(), s.base, s.rowIDs(), p.dim, BuildOptions{NumSubVectors: 16, PQ: KMeansOptions{MaxIters: 20}})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("RC %.2f, %d partitions, PQ%d", s.rc, ix.NumPartitions(), ix.PQ.M)
	for _, np := range []int{8, 16, 32} {
		for _, rf := range []int{0, 4, 16} {
			b.Run(fmt.Sprintf("nprobes=%d/refine=%d", np, rf), func(b *testing.B) {
				recall := s.recall(b, ix, k, np, rf)
				i := 0
				for b.Loop() {
					s.search(b, ix, i%p.nq, k, np, rf)
					i++
				}
				per := b.Elapsed().Seconds() / float64(b.N)
				b.ReportMetric(recall, "recall@10")
				b.ReportMetric(1/per, "QPS")
				b.ReportMetric(per*1e6, "µs/query")
			})
		}
	}
}

// BenchmarkTrainPQ trains PQ16 (256 centroids of 8 dimensions each, 25
// iterations) alone on the 100k × 128 benchmark data, which TrainPQ
// samples down to 65,536 rows. Run with -benchtime=1x.
func BenchmarkTrainPQ(b *testing.B) {
	p := benchParams()
	base, _ := genClustered(p)
	for b.Loop() {
		start := time.Now()
		if _, err := TrainPQ(context.Background(), base, p.dim, 16, KMeansOptions{}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/train")
	}
}

// BenchmarkDistanceTable builds the per-query ADC table of a PQ16 over
// 128-d vectors (16 rows of 256 sub-distances), once per query of a
// search.
func BenchmarkDistanceTable(b *testing.B) {
	p := benchParams()
	p.n = 4096
	base, queries := genClustered(p)
	pq, err := TrainPQ(context.Background(), base, p.dim, 16, KMeansOptions{MaxIters: 5})
	if err != nil {
		b.Fatal(err)
	}
	table := make([]float32, pq.M*Codes)
	for _, m := range []distance.Metric{distance.L2, distance.Dot} {
		b.Run(m.String(), func(b *testing.B) {
			i := 0
			for b.Loop() {
				q := queries[(i%p.nq)*p.dim : (i%p.nq+1)*p.dim]
				if err := pq.DistanceTable(m, q, table); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
