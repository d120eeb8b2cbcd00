//go:build amd64 && !purego

package expr

// The batch distance kernels in assembly (distance_amd64.s): AVX2 with
// FMA, four 8-lane float32 accumulators per row, so that a constant query
// against a fixed-size vector column runs at memory bandwidth. They are
// used for 16 dimensions and more, on CPUs that have AVX2 and FMA; below
// that the Go loops of distance.go (pgvector's summation order) run.

//go:noescape
func l2BatchAVX2(q, flat *float32, dim, n int, out *float64)

//go:noescape
func dotBatchAVX2(q, flat *float32, dim, n int, out *float64)

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

func xgetbv() (eax, edx uint32)

// hasAVX2FMA reports whether the CPU and OS support AVX2 and FMA.
func hasAVX2FMA() bool {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if ecx1&fma == 0 || ecx1&osxsave == 0 || ecx1&avx == 0 {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&6 != 6 { // XMM and YMM state enabled
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<5) != 0
}

func init() {
	if !hasAVX2FMA() {
		return
	}
	batchL2 = func(q, flat []float32, out []float64) {
		if len(out) > 0 {
			l2BatchAVX2(&q[0], &flat[0], len(q), len(out), &out[0])
		}
	}
	batchDot = func(q, flat []float32, out []float64) {
		if len(out) > 0 {
			dotBatchAVX2(&q[0], &flat[0], len(q), len(out), &out[0])
		}
	}
	kernelImpl = "avx2"
}
