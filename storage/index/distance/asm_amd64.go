//go:build amd64 && !purego

//go:generate go run asm_gen.go

package distance

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// The AVX2+FMA kernels in asm_amd64.s. Each takes raw pointers and an
// element count; the Go wrappers below check nothing, because the exported
// API already did (see the kernels contract).

//go:noescape
func dotAVX2(a, b *float32, n int) float32

//go:noescape
func l2AVX2(a, b *float32, n int) float32

//go:noescape
func cosAVX2(a, b *float32, n int) (dot, na, nb float32)

//go:noescape
func dotBatchAVX2(q, vecs *float32, dim, n int, out *float32)

//go:noescape
func l2BatchAVX2(q, vecs *float32, dim, n int, out *float32)

// The SQ8 kernels: u and w are float32 query terms, c and codes uint8 code
// rows of dim bytes; rows holds n row indexes into codes. The pair kernels
// take slices (len(w) and len(c) ≥ len(u), unchecked) so that the table
// holds them without a wrapper: a graph search calls them once per row.

//go:noescape
func sq8DotAVX2(u []float32, c []byte) float32

//go:noescape
func sq8L2AVX2(u, w []float32, c []byte) float32

//go:noescape
func sq8DotBatchAVX2(u *float32, codes *byte, dim, n int, out *float32)

//go:noescape
func sq8L2BatchAVX2(u, w *float32, codes *byte, dim, n int, out *float32)

//go:noescape
func sq8DotGatherAVX2(u *float32, codes *byte, dim int, rows *uint32, n int, out *float32)

//go:noescape
func sq8L2GatherAVX2(u, w *float32, codes *byte, dim int, rows *uint32, n int, out *float32)

// The blocked kernels (blocked.go): q has dim values, blocks holds
// nblocks blocks of dim×8 values; the L2 and dot forms write 8·nblocks
// sums to out, the nearest form returns Blocked.NearestL2's results.

//go:noescape
func l2BlockedAVX2(q, blocks *float32, dim, nblocks int, out *float32)

//go:noescape
func dotBlockedAVX2(q, blocks *float32, dim, nblocks int, out *float32)

//go:noescape
func nearestL2BlockedAVX2(q, blocks *float32, dim, nblocks int) (best int, d1, d2 float32)

// avx2Kernels wraps the assembly. Empty slices never reach it (dim 0 is
// handled by the pair wrappers, and Batch never passes dim 0).
var avx2Kernels = kernels{
	name: "avx2",
	dot: func(a, b []float32) float32 {
		if len(a) == 0 {
			return 0
		}
		return dotAVX2(unsafe.SliceData(a), unsafe.SliceData(b), len(a))
	},
	l2: func(a, b []float32) float32 {
		if len(a) == 0 {
			return 0
		}
		return l2AVX2(unsafe.SliceData(a), unsafe.SliceData(b), len(a))
	},
	cos: func(a, b []float32) (float32, float32, float32) {
		if len(a) == 0 {
			return 0, 0, 0
		}
		return cosAVX2(unsafe.SliceData(a), unsafe.SliceData(b), len(a))
	},
	dotBatch: func(q, vecs, out []float32) {
		dotBatchAVX2(unsafe.SliceData(q), unsafe.SliceData(vecs), len(q), len(out), unsafe.SliceData(out))
	},
	l2Batch: func(q, vecs, out []float32) {
		l2BatchAVX2(unsafe.SliceData(q), unsafe.SliceData(vecs), len(q), len(out), unsafe.SliceData(out))
	},
	cosBatch: func(q, vecs, out []float32) {
		dim := len(q)
		qp := unsafe.SliceData(q)
		for i := range out {
			out[i] = cosineFrom(cosAVX2(qp, &vecs[i*dim], dim))
		}
	},
	// The SQ8 assembly reads nothing when the count is 0, so empty slices
	// (nil data pointers) need no special case.
	sq8Dot: sq8DotAVX2,
	sq8L2:  sq8L2AVX2,
	sq8DotBatch: func(u []float32, codes []byte, out []float32) {
		sq8DotBatchAVX2(unsafe.SliceData(u), unsafe.SliceData(codes), len(u), len(out), unsafe.SliceData(out))
	},
	sq8L2Batch: func(u, w []float32, codes []byte, out []float32) {
		sq8L2BatchAVX2(unsafe.SliceData(u), unsafe.SliceData(w), unsafe.SliceData(codes), len(u), len(out), unsafe.SliceData(out))
	},
	sq8DotGather: func(u []float32, codes []byte, rows []uint32, out []float32) {
		sq8DotGatherAVX2(unsafe.SliceData(u), unsafe.SliceData(codes), len(u), unsafe.SliceData(rows), len(out), unsafe.SliceData(out))
	},
	sq8L2Gather: func(u, w []float32, codes []byte, rows []uint32, out []float32) {
		sq8L2GatherAVX2(unsafe.SliceData(u), unsafe.SliceData(w), unsafe.SliceData(codes), len(u), unsafe.SliceData(rows), len(out), unsafe.SliceData(out))
	},
	// Blocked never calls these with dim 0 (the assembly's dimension
	// loop runs at least once).
	l2Blocked: func(q, blocks, out []float32) {
		l2BlockedAVX2(unsafe.SliceData(q), unsafe.SliceData(blocks), len(q), len(out)/BlockLanes, unsafe.SliceData(out))
	},
	dotBlocked: func(q, blocks, out []float32) {
		dotBlockedAVX2(unsafe.SliceData(q), unsafe.SliceData(blocks), len(q), len(out)/BlockLanes, unsafe.SliceData(out))
	},
	nearestL2Blocked: func(q, blocks []float32) (int, float32, float32) {
		return nearestL2BlockedAVX2(unsafe.SliceData(q), unsafe.SliceData(blocks), len(q), len(blocks)/(len(q)*BlockLanes))
	},
}

// hasAVX2 reports whether the assembly may run: AVX2 and FMA, with the OS
// saving YMM state (x/sys/cpu folds the OSXSAVE check into HasAVX/HasAVX2).
var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// selectKernels picks the assembly on CPUs with AVX2 and FMA, and the
// portable Go kernels otherwise.
func selectKernels() kernels {
	if hasAVX2 {
		return avx2Kernels
	}
	return genericKernels
}
