package distance

// This file holds the two pure-Go tiers that every build compiles:
//
//   - the reference kernels (ref*): one accumulator, one element at a time,
//     in index order. They are the specification the tests hold every other
//     path to, and they are deliberately not tuned.
//   - the portable fast kernels (go*): four independent accumulators, so the
//     CPU can overlap four multiply-add chains, and bounds checks hoisted out
//     of the loop by re-slicing. They are the fallback on non-amd64 targets,
//     on amd64 CPUs without AVX2+FMA, and in `-tags purego` builds.
//
// All kernels here assume their callers already checked lengths: the b side is
// at least as long as a. The exported entry points in metric.go do that.

import "math"

// refDot is the reference inner product Σ a[i]·b[i].
func refDot(a, b []float32) float32 {
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// refL2 is the reference squared Euclidean distance Σ (a[i]−b[i])².
func refL2(a, b []float32) float32 {
	var s float32
	for i := range a {
		d := a[i] - b[i]
		s += d * d
	}
	return s
}

// refCos is the reference for the three sums cosine distance needs:
// a·b, |a|² and |b|².
func refCos(a, b []float32) (dot, na, nb float32) {
	for i := range a {
		dot += a[i] * b[i]
		na += a[i] * a[i]
		nb += b[i] * b[i]
	}
	return dot, na, nb
}

// goDot is the unrolled inner product with four accumulators. The
// array-pointer conversions cost one length check per step instead of one
// per element.
func goDot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	for len(a) >= 4 {
		x, y := (*[4]float32)(a), (*[4]float32)(b)
		s0 += x[0] * y[0]
		s1 += x[1] * y[1]
		s2 += x[2] * y[2]
		s3 += x[3] * y[3]
		a, b = a[4:], b[4:]
	}
	for i := range a {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// goL2 is the unrolled squared Euclidean distance with four accumulators.
func goL2(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	for len(a) >= 4 {
		x, y := (*[4]float32)(a), (*[4]float32)(b)
		d0 := x[0] - y[0]
		d1 := x[1] - y[1]
		d2 := x[2] - y[2]
		d3 := x[3] - y[3]
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
		a, b = a[4:], b[4:]
	}
	for i := range a {
		d := a[i] - b[i]
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

// goCos is the unrolled form of refCos, two elements per step (six chains).
func goCos(a, b []float32) (dot, na, nb float32) {
	b = b[:len(a)]
	var d0, d1, a0, a1, b0, b1 float32
	for len(a) >= 2 {
		x, y := (*[2]float32)(a), (*[2]float32)(b)
		x0, x1 := x[0], x[1]
		y0, y1 := y[0], y[1]
		d0 += x0 * y0
		d1 += x1 * y1
		a0 += x0 * x0
		a1 += x1 * x1
		b0 += y0 * y0
		b1 += y1 * y1
		a, b = a[2:], b[2:]
	}
	if len(a) == 1 {
		d0 += a[0] * b[0]
		a0 += a[0] * a[0]
		b0 += b[0] * b[0]
	}
	return d0 + d1, a0 + a1, b0 + b1
}

// cosineFrom turns the three sums into 1 − a·b/(|a|·|b|), clamped to [0, 2].
// A zero vector on either side gives 1 (no similarity) instead of 0/0; NaN
// inputs stay NaN because every comparison below is false for NaN.
func cosineFrom(dot, na, nb float32) float32 {
	if na == 0 || nb == 0 {
		return 1
	}
	// float64 for the division keeps the result identical across paths once
	// the three sums agree; sqrt(na·nb) as in pgvector.
	sim := float64(dot) / math.Sqrt(float64(na)*float64(nb))
	if sim > 1 {
		sim = 1
	} else if sim < -1 {
		sim = -1
	}
	return float32(1 - sim)
}

// batchOf builds a batched kernel from a single-pair one. out has n entries
// and vecs holds exactly n·len(q) values.
func batchOf(f func(a, b []float32) float32) func(q, vecs, out []float32) {
	return func(q, vecs, out []float32) {
		dim := len(q)
		for i := range out {
			out[i] = f(q, vecs[i*dim:(i+1)*dim])
		}
	}
}

// cosBatchOf builds a batched cosine kernel from a three-sum kernel. It
// recomputes |q|² per vector (one extra FMA chain, hidden by the loads) so
// that Batch and Distance agree bit for bit.
func cosBatchOf(cos func(a, b []float32) (float32, float32, float32)) func(q, vecs, out []float32) {
	return func(q, vecs, out []float32) {
		dim := len(q)
		for i := range out {
			out[i] = cosineFrom(cos(q, vecs[i*dim:(i+1)*dim]))
		}
	}
}
