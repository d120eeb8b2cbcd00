package expr

import "math"

// Distance kernels over float32 slices. Like pgvector 0.8 (src/vector.c),
// sums are accumulated in float32 and converted to float64 at the end
// (vector_norm alone accumulates in float64). The loops keep four
// independent accumulators, one per lane of the auto-vectorised loop
// pgvector is compiled to, combined as (s0+s2)+(s1+s3) and followed by
// the remainder in order; for fewer than four dimensions that is the
// plain sequential sum. Go does not vectorise, so the four chains are
// what keeps the adder busy.
//
// The batch forms compute one query against n consecutive vectors of a
// flat buffer (a fixed_size_list column's child), which is the exact
// top-k scan's hot loop.

// l2sq returns Σ (a[i]-b[i])²; len(b) ≥ len(a).
func l2sq(a, b []float32) float32 {
	n := len(a)
	b = b[:n]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= n; i += 4 {
		x := a[i : i+4 : i+4]
		y := b[i : i+4 : i+4]
		d0, d1, d2, d3 := x[0]-y[0], x[1]-y[1], x[2]-y[2], x[3]-y[3]
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	s := (s0 + s2) + (s1 + s3)
	for ; i < n; i++ {
		d := a[i] - b[i]
		s += d * d
	}
	return s
}

// dot returns Σ a[i]·b[i]; len(b) ≥ len(a).
func dot(a, b []float32) float32 {
	n := len(a)
	b = b[:n]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= n; i += 4 {
		x := a[i : i+4 : i+4]
		y := b[i : i+4 : i+4]
		s0 += x[0] * y[0]
		s1 += x[1] * y[1]
		s2 += x[2] * y[2]
		s3 += x[3] * y[3]
	}
	s := (s0 + s2) + (s1 + s3)
	for ; i < n; i++ {
		s += a[i] * b[i]
	}
	return s
}

// l1 returns Σ |a[i]-b[i]|; len(b) ≥ len(a).
func l1(a, b []float32) float32 {
	n := len(a)
	b = b[:n]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= n; i += 4 {
		x := a[i : i+4 : i+4]
		y := b[i : i+4 : i+4]
		s0 += abs32(x[0] - y[0])
		s1 += abs32(x[1] - y[1])
		s2 += abs32(x[2] - y[2])
		s3 += abs32(x[3] - y[3])
	}
	s := (s0 + s2) + (s1 + s3)
	for ; i < n; i++ {
		s += abs32(a[i] - b[i])
	}
	return s
}

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }

// cosineDistance is pgvector's cosine_distance: 1 − a·b / √(|a|²|b|²),
// the similarity clamped to [−1, 1]; NaN when either vector is zero.
func cosineDistance(a, b []float32) float64 {
	n := len(a)
	b = b[:n]
	var d0, d1, d2, d3, p0, p1, p2, p3, q0, q1, q2, q3 float32
	i := 0
	for ; i+4 <= n; i += 4 {
		x := a[i : i+4 : i+4]
		y := b[i : i+4 : i+4]
		d0 += x[0] * y[0]
		d1 += x[1] * y[1]
		d2 += x[2] * y[2]
		d3 += x[3] * y[3]
		p0 += x[0] * x[0]
		p1 += x[1] * x[1]
		p2 += x[2] * x[2]
		p3 += x[3] * x[3]
		q0 += y[0] * y[0]
		q1 += y[1] * y[1]
		q2 += y[2] * y[2]
		q3 += y[3] * y[3]
	}
	d, p, q := (d0+d2)+(d1+d3), (p0+p2)+(p1+p3), (q0+q2)+(q1+q3)
	for ; i < n; i++ {
		d += a[i] * b[i]
		p += a[i] * a[i]
		q += b[i] * b[i]
	}
	return cosineFromParts(d, p, q)
}

func cosineFromParts(d, p, q float32) float64 {
	sim := float64(d) / math.Sqrt(float64(p)*float64(q))
	if sim > 1 {
		sim = 1
	} else if sim < -1 {
		sim = -1
	}
	return 1 - sim
}

// Batch kernels that an architecture file may replace (with SIMD): they
// write the L2 distance (the square root of a float32 sum of squares), or
// the float32 dot product, of q and each of the len(out) vectors of flat,
// as float64. Nil means the Go loops.
var (
	batchL2    func(q, flat []float32, out []float64)
	batchDot   func(q, flat []float32, out []float64)
	kernelImpl = "go"
)

// simdMinDim is the smallest dimension the SIMD kernels take; smaller
// vectors keep pgvector's exact summation order.
const simdMinDim = 16

// KernelImpl names the distance kernels in use ("avx2" or "go"), for
// logs and benchmark reports.
func KernelImpl() string { return kernelImpl }

// l2Batch writes the L2 distance of q to each of the len(out) vectors of
// flat (dim = len(q) floats each).
func l2Batch(q, flat []float32, out []float64) {
	dim := len(q)
	flat = flat[:len(out)*dim]
	if batchL2 != nil && dim >= simdMinDim {
		batchL2(q, flat, out)
		return
	}
	for i := range out {
		out[i] = math.Sqrt(float64(l2sq(q, flat[i*dim:])))
	}
}

// dotBatch writes q·v for each vector v of flat, times sign.
func dotBatch(q, flat []float32, out []float64, sign float64) {
	dim := len(q)
	flat = flat[:len(out)*dim]
	if batchDot != nil && dim >= simdMinDim {
		batchDot(q, flat, out)
		if sign < 0 {
			for i, s := range out {
				out[i] = -s
			}
		}
		return
	}
	for i := range out {
		out[i] = sign * float64(dot(q, flat[i*dim:]))
	}
}

// l1Batch writes the L1 distance of q to each vector of flat.
func l1Batch(q, flat []float32, out []float64) {
	dim := len(q)
	flat = flat[:len(out)*dim]
	for i := range out {
		out[i] = float64(l1(q, flat[i*dim:]))
	}
}

// cosineBatch writes the cosine distance of q to each vector of flat.
func cosineBatch(q, flat []float32, out []float64) {
	dim := len(q)
	flat = flat[:len(out)*dim]
	for i := range out {
		out[i] = cosineDistance(q, flat[i*dim:(i+1)*dim])
	}
}
