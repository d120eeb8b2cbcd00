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
}

// impl is the kernel set in use, chosen once by the build variant (see
// selectKernels in the *_amd64.go / generic_other.go files).
var impl = selectKernels()

// Impl names the kernel set in use, for start-up logs and benchmark reports:
// "avx2" (assembly), "archsimd-avx2" (GOEXPERIMENT=simd) or "generic".
func Impl() string { return impl.name }
