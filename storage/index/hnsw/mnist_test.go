package hnsw

import (
	"context"
	"testing"
	"time"

	"github.com/lancegate/lancegate/internal/mnist"
	"github.com/lancegate/lancegate/storage/index/distance"
)

// TestMNISTRecall: IVF_HNSW_SQ on real data (performance.md §3.2): the
// first 5,000 MNIST training images (2,000 under -race) as the base, test
// images as queries, L2 and cosine, 4 partitions, M 16, ef_construction
// 100, one SQ range (as Lance stores it). The build is deterministic, so
// recall is stable; floors sit about 0.03 below the measured values. The
// data must be found (the test fails, never skips).
func TestMNISTRecall(t *testing.T) {
	n, nq := 5000, 100
	if raceEnabled || testing.Short() {
		n, nq = 2000, 30
	}
	base, err := mnist.Load(mnist.Train, n)
	if err != nil {
		t.Fatalf("MNIST data (Go module %s) not found: %v", mnist.ModulePath, err)
	}
	queries, err := mnist.Load(mnist.Test, nq)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		metric distance.Metric
		floor  map[[2]int]float64 // (nprobes, ef) → minimum recall@10
	}{
		{distance.L2, map[[2]int]float64{{1, 40}: 0.78, {4, 40}: 0.96, {4, 128}: 0.96}},
		{distance.Cosine, map[[2]int]float64{{1, 40}: 0.78, {4, 40}: 0.96, {4, 128}: 0.96}},
	} {
		t.Run(c.metric.String(), func(t *testing.T) {
			s := &dataSet{dim: mnist.Dim, metric: c.metric, base: append([]float32(nil), base.Vectors...), queries: append([]float32(nil), queries.Vectors...)}
			if c.metric == distance.Cosine {
				for i := 0; i < len(s.base); i += s.dim {
					distance.Normalize(s.base[i : i+s.dim])
				}
				for i := 0; i < len(s.queries); i += s.dim {
					distance.Normalize(s.queries[i : i+s.dim])
				}
			}
			for i := range nq {
				s.truth = append(s.truth, s.exact(s.query(i), 10, nil))
			}
			start := time.Now()
			ix, err := Build(context.Background(), s.base, s.rowIDs(), s.dim, BuildOptions{
				Metric: c.metric, NumPartitions: 4, M: 16, EfConstruction: 100, SingleRange: true, Seed: 1,
				KMeans: kmeansIters(10),
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("built %d × %d in %s", n, mnist.Dim, time.Since(start).Round(time.Millisecond))
			prev := 0.0
			for _, pe := range [][2]int{{1, 40}, {4, 40}, {4, 128}} {
				r, d := s.recall(t, ix, SearchOptions{K: 10, NProbes: pe[0], Ef: pe[1]})
				t.Logf("nprobes %d ef %d: recall@10 %.3f, %.0f distances/query", pe[0], pe[1], r, d)
				if r < c.floor[pe] {
					t.Errorf("nprobes %d ef %d: recall@10 %.3f < %.2f", pe[0], pe[1], r, c.floor[pe])
				}
				if r < prev-0.01 {
					t.Errorf("nprobes %d ef %d: recall %.3f fell below the previous setting's %.3f", pe[0], pe[1], r, prev)
				}
				prev = r
			}
		})
	}
}
