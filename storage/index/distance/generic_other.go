//go:build purego || !amd64

package distance

// selectKernels picks the portable unrolled Go kernels: this build has no
// SIMD variant (another architecture, or -tags purego).
func selectKernels() kernels { return genericKernels }
