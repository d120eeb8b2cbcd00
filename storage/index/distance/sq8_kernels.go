package distance

// The SQ8 scan kernels, in the same tiers as the float kernels (see the
// package doc): ref* is the one-accumulator specification, go* the
// portable four-accumulator fallback, and asm_amd64.s holds the AVX2+FMA
// forms. Each metric has three shapes, so that a caller pays one indirect
// call per batch rather than per code:
//
//   - pair: one code row;
//   - batch: n contiguous code rows (an IVF list, a whole small partition);
//   - gather: the code rows named by a list of row indexes (the unvisited
//     neighbours of an HNSW node).
//
// All of them return the raw sums (Σ u·c for Dot, Σ w·(u−c)² for L2);
// SQ8Query adds the bias, so the three shapes agree bit for bit on one path.

// refSQ8Dot is the reference Σ u[d]·c[d], in index order.
func refSQ8Dot(u []float32, c []byte) float32 {
	var s float32
	for d := range u {
		s += u[d] * float32(c[d])
	}
	return s
}

// refSQ8L2 is the reference Σ w[d]·(u[d] − c[d])², in index order.
func refSQ8L2(u, w []float32, c []byte) float32 {
	var s float32
	for d := range u {
		x := u[d] - float32(c[d])
		s += w[d] * x * x
	}
	return s
}

// goSQ8L2 returns Σ w[d]·(u[d] − c[d])² with four accumulators.
func goSQ8L2(u, w []float32, c []byte) float32 {
	w, c = w[:len(u)], c[:len(u)]
	var s0, s1, s2, s3 float32
	for len(u) >= 4 {
		x, v, b := (*[4]float32)(u), (*[4]float32)(w), (*[4]byte)(c)
		d0 := x[0] - float32(b[0])
		d1 := x[1] - float32(b[1])
		d2 := x[2] - float32(b[2])
		d3 := x[3] - float32(b[3])
		s0 += v[0] * d0 * d0
		s1 += v[1] * d1 * d1
		s2 += v[2] * d2 * d2
		s3 += v[3] * d3 * d3
		u, w, c = u[4:], w[4:], c[4:]
	}
	for i := range u {
		d := u[i] - float32(c[i])
		s0 += w[i] * d * d
	}
	return (s0 + s1) + (s2 + s3)
}

// goSQ8Dot returns Σ u[d]·c[d] with four accumulators.
func goSQ8Dot(u []float32, c []byte) float32 {
	c = c[:len(u)]
	var s0, s1, s2, s3 float32
	for len(u) >= 4 {
		x, b := (*[4]float32)(u), (*[4]byte)(c)
		s0 += x[0] * float32(b[0])
		s1 += x[1] * float32(b[1])
		s2 += x[2] * float32(b[2])
		s3 += x[3] * float32(b[3])
		u, c = u[4:], c[4:]
	}
	for i := range u {
		s0 += u[i] * float32(c[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// The shapes built from a pair kernel. Contract (as for kernels): len(u) > 0,
// len(w) == len(u), len(codes) == len(out)·len(u) for batches, and for
// gathers len(rows) == len(out) with every rows[i] < len(codes)/len(u).

func sq8DotBatchOf(f func(u []float32, c []byte) float32) func(u []float32, codes []byte, out []float32) {
	return func(u []float32, codes []byte, out []float32) {
		dim := len(u)
		for i := range out {
			out[i] = f(u, codes[i*dim:(i+1)*dim])
		}
	}
}

func sq8L2BatchOf(f func(u, w []float32, c []byte) float32) func(u, w []float32, codes []byte, out []float32) {
	return func(u, w []float32, codes []byte, out []float32) {
		dim := len(u)
		for i := range out {
			out[i] = f(u, w, codes[i*dim:(i+1)*dim])
		}
	}
}

func sq8DotGatherOf(f func(u []float32, c []byte) float32) func(u []float32, codes []byte, rows []uint32, out []float32) {
	return func(u []float32, codes []byte, rows []uint32, out []float32) {
		dim := len(u)
		for i, r := range rows[:len(out)] {
			o := int(r) * dim
			out[i] = f(u, codes[o:o+dim])
		}
	}
}

func sq8L2GatherOf(f func(u, w []float32, c []byte) float32) func(u, w []float32, codes []byte, rows []uint32, out []float32) {
	return func(u, w []float32, codes []byte, rows []uint32, out []float32) {
		dim := len(u)
		for i, r := range rows[:len(out)] {
			o := int(r) * dim
			out[i] = f(u, w, codes[o:o+dim])
		}
	}
}
