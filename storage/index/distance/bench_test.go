package distance

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// Benchmarks report ns per vector ("ns/vec") and, for the float kernels,
// input bandwidth (MB/s from SetBytes). BenchmarkSpeedup interleaves the
// reference and the selected kernels inside one run (A B A B, per
// performance.md §3.1) and reports both and their ratio. Every run logs
// Impl(). Data is in cache: 1024 vectors per batch.

var benchDims = []int{128, 768}

const benchBatch = 1024

func benchVariants() []kernels {
	return append([]kernels{referenceKernels}, variants()...)
}

func BenchmarkDistance(b *testing.B) {
	b.Logf("Impl() = %s", Impl())
	r := rand.New(rand.NewPCG(11, 12))
	for _, dim := range benchDims {
		x, y := randVec(r, dim), randVec(r, dim)
		for _, k := range benchVariants() {
			for _, c := range []struct {
				name string
				f    func(a, b []float32) float32
			}{
				{"l2", k.l2}, {"dot", k.dot},
				{"cosine", func(a, b []float32) float32 { return cosineFrom(k.cos(a, b)) }},
			} {
				b.Run(fmt.Sprintf("%s/dim=%d/%s", c.name, dim, k.name), func(b *testing.B) {
					b.SetBytes(int64(8 * dim))
					var sink float32
					for b.Loop() {
						sink += c.f(x, y)
					}
					_ = sink
				})
			}
		}
	}
}

func BenchmarkBatch(b *testing.B) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, dim := range benchDims {
		q, vecs := randVec(r, dim), randVec(r, benchBatch*dim)
		out := make([]float32, benchBatch)
		for _, k := range benchVariants() {
			for _, c := range []struct {
				name string
				f    func(q, vecs, out []float32)
			}{{"l2", k.l2Batch}, {"dot", k.dotBatch}, {"cosine", k.cosBatch}} {
				b.Run(fmt.Sprintf("%s/dim=%d/%s", c.name, dim, k.name), func(b *testing.B) {
					b.SetBytes(int64(4 * dim * benchBatch))
					for b.Loop() {
						c.f(q, vecs, out)
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchBatch), "ns/vec")
				})
			}
		}
	}
}

// BenchmarkSpeedup times the reference and the selected batched kernels
// alternately within each iteration and reports ref-ns/vec, fast-ns/vec and
// speedup = reference time / selected time.
func BenchmarkSpeedup(b *testing.B) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, dim := range benchDims {
		q, vecs := randVec(r, dim), randVec(r, benchBatch*dim)
		out := make([]float32, benchBatch)
		for _, c := range []struct {
			name      string
			ref, fast func(q, vecs, out []float32)
		}{
			{"l2", referenceKernels.l2Batch, impl.l2Batch},
			{"dot", referenceKernels.dotBatch, impl.dotBatch},
			{"cosine", referenceKernels.cosBatch, impl.cosBatch},
		} {
			b.Run(fmt.Sprintf("%s/dim=%d/%s", c.name, dim, Impl()), func(b *testing.B) {
				var tr, tf time.Duration
				for b.Loop() {
					t0 := time.Now()
					c.ref(q, vecs, out)
					t1 := time.Now()
					c.fast(q, vecs, out)
					tf += time.Since(t1)
					tr += t1.Sub(t0)
				}
				vecsDone := float64(b.N * benchBatch)
				b.ReportMetric(float64(tr.Nanoseconds())/vecsDone, "ref-ns/vec")
				b.ReportMetric(float64(tf.Nanoseconds())/vecsDone, "fast-ns/vec")
				b.ReportMetric(float64(tr)/float64(tf), "speedup")
			})
		}
	}
}

// BenchmarkPQDistances scans 1M code rows (16 or 32 MB of codes, out of
// cache) and reports ns per code row.
func BenchmarkPQDistances(b *testing.B) {
	const n = 1 << 20
	r := rand.New(rand.NewPCG(17, 18))
	out := make([]float32, n)
	for _, m := range []int{16, 32} {
		table, codes := randTable(r, m), randCodes(r, n*m)
		for _, v := range []struct {
			name string
			f    func()
		}{
			{"reference", func() { refPQ(table, m, codes, out) }},
			{"generic-loop", func() { pqGeneric(table, m, codes, out) }},
			{"selected", func() { PQDistances(table, m, codes, out) }},
		} {
			b.Run(fmt.Sprintf("m=%d/%s", m, v.name), func(b *testing.B) {
				for b.Loop() {
					v.f()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/code")
			})
		}
	}
}

// BenchmarkSQ8 scans 1024 SQ8 code rows (in cache) with a prepared query
// and reports ns per code row: the scalar formula on decoded values
// ("decoded"), the portable kernels ("generic"), and the selected kernels
// as Distances over the block ("selected"), Distances one row per call
// ("selected-one", what a graph search without DistancesAt does), and
// DistancesAt over shuffled rows in lists of 32 ("selected-gather", a
// graph search's neighbour lists).
func BenchmarkSQ8(b *testing.B) {
	b.Logf("Impl() = %s", Impl())
	r := rand.New(rand.NewPCG(19, 20))
	for _, dim := range benchDims {
		vecs := randVec(r, benchBatch*dim)
		s, err := TrainSQ8(vecs, dim)
		if err != nil {
			b.Fatal(err)
		}
		codes := s.Encode(nil, vecs)
		q := randVec(r, dim)
		out := make([]float32, benchBatch)
		rows := make([]uint32, benchBatch)
		for i, v := range r.Perm(benchBatch) {
			rows[i] = uint32(v)
		}
		for _, m := range []Metric{L2, Dot} {
			p, err := s.Query(m, q)
			if err != nil {
				b.Fatal(err)
			}
			decoded := func() {
				for i := range out {
					c := codes[i*dim : (i+1)*dim]
					var sum float32
					for d, x := range q {
						xd := s.Min[d] + s.Scale[d]*float32(c[d])
						if m == L2 {
							sum += (x - xd) * (x - xd)
						} else {
							sum -= x * xd
						}
					}
					out[i] = sum
				}
			}
			generic := func() { genericKernels.sq8DotBatch(p.u, codes, out) }
			if m == L2 {
				generic = func() { genericKernels.sq8L2Batch(p.u, p.w, codes, out) }
			}
			for _, v := range []struct {
				name string
				f    func()
			}{
				{"decoded", decoded},
				{"generic", generic},
				{"selected", func() { p.Distances(codes, out) }},
				{"selected-one", func() {
					for i := range out {
						p.Distances(codes[i*dim:(i+1)*dim], out[i:i+1])
					}
				}},
				{"selected-gather", func() {
					for i := 0; i < benchBatch; i += 32 {
						p.DistancesAt(codes, rows[i:i+32], out[i:i+32])
					}
				}},
			} {
				b.Run(fmt.Sprintf("%s/dim=%d/%s", m, dim, v.name), func(b *testing.B) {
					b.SetBytes(int64(dim * benchBatch))
					for b.Loop() {
						v.f()
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchBatch), "ns/code")
				})
			}
		}
	}
}

// BenchmarkSQ8Speedup times the reference SQ8 kernels (one accumulator, in
// order) and the selected ones alternately within each iteration, over the
// same 1024 code rows, and reports ref-ns/code, fast-ns/code and speedup =
// reference time / selected time (performance.md §3.1).
func BenchmarkSQ8Speedup(b *testing.B) {
	r := rand.New(rand.NewPCG(25, 26))
	for _, dim := range benchDims {
		c := randSQ8Case(r, dim, benchBatch)
		out := make([]float32, benchBatch)
		for _, v := range []struct {
			name      string
			ref, fast func()
		}{
			{"l2", func() { referenceKernels.sq8L2Batch(c.u, c.w, c.codes, out) }, func() { impl.sq8L2Batch(c.u, c.w, c.codes, out) }},
			{"dot", func() { referenceKernels.sq8DotBatch(c.u, c.codes, out) }, func() { impl.sq8DotBatch(c.u, c.codes, out) }},
		} {
			b.Run(fmt.Sprintf("%s/dim=%d/%s", v.name, dim, Impl()), func(b *testing.B) {
				var tr, tf time.Duration
				for b.Loop() {
					t0 := time.Now()
					v.ref()
					t1 := time.Now()
					v.fast()
					tf += time.Since(t1)
					tr += t1.Sub(t0)
				}
				codes := float64(b.N * benchBatch)
				b.ReportMetric(float64(tr.Nanoseconds())/codes, "ref-ns/code")
				b.ReportMetric(float64(tf.Nanoseconds())/codes, "fast-ns/code")
				b.ReportMetric(float64(tr)/float64(tf), "speedup")
			})
		}
	}
}

// BenchmarkNearest times one query against k vectors of small dimension,
// the k-means assignment and PQ encoding step. Each iteration runs 64
// queries through each of, in turn (A B C, interleaved): the row-major
// batch kernel followed by a scalar arg-min (the former k-means path),
// Blocked.L2 and Blocked.NearestL2. It reports ns per query for each.
func BenchmarkNearest(b *testing.B) {
	b.Logf("Impl() = %s", Impl())
	r := rand.New(rand.NewPCG(19, 20))
	for _, c := range []struct{ dim, k int }{{4, 256}, {8, 256}, {16, 256}, {32, 256}, {128, 316}} {
		const nq = 64
		qs, vecs := randVec(r, nq*c.dim), randVec(r, c.k*c.dim)
		blk := NewBlocked(vecs, c.dim)
		out := make([]float32, c.k)
		b.Run(fmt.Sprintf("dim=%d/k=%d/%s", c.dim, c.k, Impl()), func(b *testing.B) {
			var tr, tl, tn time.Duration
			sink := 0
			for b.Loop() {
				t0 := time.Now()
				for i := range nq {
					L2.Batch(qs[i*c.dim:(i+1)*c.dim], vecs, out)
					best, _, _ := nearestOfDists(out)
					sink += best
				}
				t1 := time.Now()
				for i := range nq {
					blk.L2(qs[i*c.dim:(i+1)*c.dim], out)
				}
				t2 := time.Now()
				for i := range nq {
					best, _, _ := blk.NearestL2(qs[i*c.dim : (i+1)*c.dim])
					sink += best
				}
				t3 := time.Now()
				tr, tl, tn = tr+t1.Sub(t0), tl+t2.Sub(t1), tn+t3.Sub(t2)
			}
			qsDone := float64(b.N * nq)
			b.ReportMetric(float64(tr.Nanoseconds())/qsDone, "rowmajor+argmin-ns/q")
			b.ReportMetric(float64(tl.Nanoseconds())/qsDone, "blockedL2-ns/q")
			b.ReportMetric(float64(tn.Nanoseconds())/qsDone, "nearest-ns/q")
			b.ReportMetric(float64(tr)/float64(tn), "speedup")
			_ = sink
		})
	}
}
