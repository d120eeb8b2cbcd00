package expr

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestBatchKernels checks the batch kernels in use (SIMD or Go) against
// the Go pair kernels for dimensions around the SIMD block sizes.
func TestBatchKernels(t *testing.T) {
	t.Logf("distance kernels: %s", KernelImpl())
	r := rand.New(rand.NewPCG(1, 1))
	for _, dim := range []int{1, 3, 7, 8, 15, 16, 17, 31, 32, 33, 64, 100, 128, 768, 1536} {
		const n = 37
		q := make([]float32, dim)
		flat := make([]float32, n*dim)
		for i := range q {
			q[i] = r.Float32()*2 - 1
		}
		for i := range flat {
			flat[i] = r.Float32()*2 - 1
		}
		l2 := make([]float64, n)
		ip := make([]float64, n)
		l2Batch(q, flat, l2)
		dotBatch(q, flat, ip, -1)
		for i := 0; i < n; i++ {
			v := flat[i*dim : (i+1)*dim]
			if w := math.Sqrt(float64(l2sq(q, v))); !close32(l2[i], w) {
				t.Fatalf("dim %d row %d: l2 %v; want %v", dim, i, l2[i], w)
			}
			if w := -float64(dot(q, v)); !close32(ip[i], w) {
				t.Fatalf("dim %d row %d: -dot %v; want %v", dim, i, ip[i], w)
			}
		}
	}
}

// close32 allows for float32 summation in another order.
func close32(a, b float64) bool {
	return math.Abs(a-b) <= 1e-5*math.Max(1, math.Abs(b))
}

func BenchmarkL2Batch128(b *testing.B) {
	const dim, n = 128, 8192
	r := rand.New(rand.NewPCG(1, 1))
	q := make([]float32, dim)
	flat := make([]float32, n*dim)
	for i := range flat {
		flat[i] = r.Float32()
	}
	out := make([]float64, n)
	b.SetBytes(n * dim * 4)
	for i := 0; i < b.N; i++ {
		l2Batch(q, flat, out)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/vector")
}
