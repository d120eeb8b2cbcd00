package distance

// kernels is one complete set of float kernels. Exactly one set is chosen,
// once, when the package is initialised (see impl), and never changes
// afterwards; tests reach the other sets through their own variables.
//
// Contract shared by every field: len(b) ≥ len(a) for pair kernels; for batch
// kernels len(q) > 0 and len(vecs) == len(out)·len(q). The exported functions
// in metric.go establish this before calling.
type kernels struct {
	name     string
	dot      func(a, b []float32) float32
	l2       func(a, b []float32) float32
	cos      func(a, b []float32) (dot, na, nb float32)
	dotBatch func(q, vecs, out []float32)
	l2Batch  func(q, vecs, out []float32)
	cosBatch func(q, vecs, out []float32)

	// SQ8 scan kernels over uint8 codes (sq8_kernels.go): raw sums
	// Σ u·c (dot) and Σ w·(u−c)² (l2), for one row, n contiguous rows, or
	// the rows named by an index list.
	sq8Dot       func(u []float32, c []byte) float32
	sq8L2        func(u, w []float32, c []byte) float32
	sq8DotBatch  func(u []float32, codes []byte, out []float32)
	sq8L2Batch   func(u, w []float32, codes []byte, out []float32)
	sq8DotGather func(u []float32, codes []byte, rows []uint32, out []float32)
	sq8L2Gather  func(u, w []float32, codes []byte, rows []uint32, out []float32)

	// Blocked kernels (blocked.go) over blocks of 8 vectors stored
	// dimension-major: l2Blocked writes the 8·n distances of n blocks
	// (len(blocks) = len(out)·len(q), len(q) > 0), dotBlocked the 8·n
	// inner products; nearestL2Blocked
	// returns the nearest vector, its distance and the second-smallest
	// distance (Blocked.NearestL2's results), reducing the per-lane minima
	// (blockLanes) on the stack.
	l2Blocked        func(q, blocks, out []float32)
	dotBlocked       func(q, blocks, out []float32)
	nearestL2Blocked func(q, blocks []float32) (best int, d1, d2 float32)
}

// referenceKernels is the scalar specification. It is never selected for
// production use; tests and benchmarks compare against it.
var referenceKernels = kernels{
	name:     "reference",
	dot:      refDot,
	l2:       refL2,
	cos:      refCos,
	dotBatch: batchOf(refDot),
	l2Batch:  batchOf(refL2),
	cosBatch: cosBatchOf(refCos),

	sq8Dot:       refSQ8Dot,
	sq8L2:        refSQ8L2,
	sq8DotBatch:  sq8DotBatchOf(refSQ8Dot),
	sq8L2Batch:   sq8L2BatchOf(refSQ8L2),
	sq8DotGather: sq8DotGatherOf(refSQ8Dot),
	sq8L2Gather:  sq8L2GatherOf(refSQ8L2),

	l2Blocked:        refL2Blocked,
	dotBlocked:       refDotBlocked,
	nearestL2Blocked: nearestOf(refL2Blocked),
}

// genericKernels is the portable unrolled pure-Go set.
var genericKernels = kernels{
	name:     "generic",
	dot:      goDot,
	l2:       goL2,
	cos:      goCos,
	dotBatch: batchOf(goDot),
	l2Batch:  batchOf(goL2),
	cosBatch: cosBatchOf(goCos),

	sq8Dot:       goSQ8Dot,
	sq8L2:        goSQ8L2,
	sq8DotBatch:  sq8DotBatchOf(goSQ8Dot),
	sq8L2Batch:   sq8L2BatchOf(goSQ8L2),
	sq8DotGather: sq8DotGatherOf(goSQ8Dot),
	sq8L2Gather:  sq8L2GatherOf(goSQ8L2),

	l2Blocked:        goL2Blocked,
	dotBlocked:       goDotBlocked,
	nearestL2Blocked: nearestOf(goL2Blocked),
}

// impl is the kernel set in use, chosen once by the build variant (see
// selectKernels in the *_amd64.go / generic_other.go files).
var impl = selectKernels()

// Impl names the kernel set in use, for start-up logs and benchmark reports:
// "avx2" (assembly), "archsimd-avx2" (GOEXPERIMENT=simd) or "generic".
func Impl() string { return impl.name }
