//go:build ignore

// asm_gen writes asm_amd64.s. Run it with `go generate` in this directory;
// never edit asm_amd64.s by hand. The kernels share loop bodies, which Go
// assembly macros cannot hold (labels are per function), so this program
// stamps each body out with its own label prefix.
package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"strings"
)

var out bytes.Buffer

func p(format string, args ...any) { fmt.Fprintf(&out, format+"\n", args...) }

// dotBody accumulates a·b over CX elements at SI and DI into X0. It
// advances SI and DI past the elements. Clobbers Y0–Y7.
func dotBody(l string) {
	zero("Y0", "Y1", "Y2", "Y3")
	p("%s_loop32:", l)
	p("\tCMPQ CX, $32")
	p("\tJL %s_loop8", l)
	for i := 0; i < 4; i++ {
		p("\tVMOVUPS %d(SI), Y%d", 32*i, 4+i)
	}
	for i := 0; i < 4; i++ {
		p("\tVFMADD231PS %d(DI), Y%d, Y%d", 32*i, 4+i, i)
	}
	advance(l, 32, "loop32")
	p("%s_loop8:", l)
	p("\tCMPQ CX, $8")
	p("\tJL %s_reduce", l)
	p("\tVMOVUPS (SI), Y4")
	p("\tVFMADD231PS (DI), Y4, Y0")
	advance(l, 8, "loop8")
	p("%s_reduce:", l)
	p("\tVADDPS Y1, Y0, Y0")
	p("\tVADDPS Y3, Y2, Y2")
	p("\tVADDPS Y2, Y0, Y0")
	hsum("Y0", "X0", "X1")
	p("%s_tail:", l)
	p("\tTESTQ CX, CX")
	p("\tJZ %s_end", l)
	p("\tVMOVSS (SI), X4")
	p("\tVFMADD231SS (DI), X4, X0")
	advance(l, 1, "tail")
	p("%s_end:", l)
}

// l2Body accumulates Σ(a−b)² over CX elements at SI and DI into X0.
func l2Body(l string) {
	zero("Y0", "Y1", "Y2", "Y3")
	p("%s_loop32:", l)
	p("\tCMPQ CX, $32")
	p("\tJL %s_loop8", l)
	for i := 0; i < 4; i++ {
		p("\tVMOVUPS %d(SI), Y%d", 32*i, 4+i)
	}
	for i := 0; i < 4; i++ {
		p("\tVSUBPS %d(DI), Y%d, Y%d", 32*i, 4+i, 4+i)
	}
	for i := 0; i < 4; i++ {
		p("\tVFMADD231PS Y%d, Y%d, Y%d", 4+i, 4+i, i)
	}
	advance(l, 32, "loop32")
	p("%s_loop8:", l)
	p("\tCMPQ CX, $8")
	p("\tJL %s_reduce", l)
	p("\tVMOVUPS (SI), Y4")
	p("\tVSUBPS (DI), Y4, Y4")
	p("\tVFMADD231PS Y4, Y4, Y0")
	advance(l, 8, "loop8")
	p("%s_reduce:", l)
	p("\tVADDPS Y1, Y0, Y0")
	p("\tVADDPS Y3, Y2, Y2")
	p("\tVADDPS Y2, Y0, Y0")
	hsum("Y0", "X0", "X1")
	p("%s_tail:", l)
	p("\tTESTQ CX, CX")
	p("\tJZ %s_end", l)
	p("\tVMOVSS (SI), X4")
	p("\tVSUBSS (DI), X4, X4")
	p("\tVFMADD231SS X4, X4, X0")
	advance(l, 1, "tail")
	p("%s_end:", l)
}

// cosBody accumulates a·b into X0, |a|² into X2 and |b|² into X4.
func cosBody(l string) {
	zero("Y0", "Y1", "Y2", "Y3", "Y4", "Y5")
	p("%s_loop16:", l)
	p("\tCMPQ CX, $16")
	p("\tJL %s_loop8", l)
	p("\tVMOVUPS (SI), Y6")
	p("\tVMOVUPS 32(SI), Y7")
	p("\tVMOVUPS (DI), Y8")
	p("\tVMOVUPS 32(DI), Y9")
	p("\tVFMADD231PS Y8, Y6, Y0")
	p("\tVFMADD231PS Y9, Y7, Y1")
	p("\tVFMADD231PS Y6, Y6, Y2")
	p("\tVFMADD231PS Y7, Y7, Y3")
	p("\tVFMADD231PS Y8, Y8, Y4")
	p("\tVFMADD231PS Y9, Y9, Y5")
	advance(l, 16, "loop16")
	p("%s_loop8:", l)
	p("\tCMPQ CX, $8")
	p("\tJL %s_reduce", l)
	p("\tVMOVUPS (SI), Y6")
	p("\tVMOVUPS (DI), Y8")
	p("\tVFMADD231PS Y8, Y6, Y0")
	p("\tVFMADD231PS Y6, Y6, Y2")
	p("\tVFMADD231PS Y8, Y8, Y4")
	advance(l, 8, "loop8")
	p("%s_reduce:", l)
	p("\tVADDPS Y1, Y0, Y0")
	p("\tVADDPS Y3, Y2, Y2")
	p("\tVADDPS Y5, Y4, Y4")
	hsum("Y0", "X0", "X10")
	hsum("Y2", "X2", "X10")
	hsum("Y4", "X4", "X10")
	p("%s_tail:", l)
	p("\tTESTQ CX, CX")
	p("\tJZ %s_end", l)
	p("\tVMOVSS (SI), X6")
	p("\tVMOVSS (DI), X8")
	p("\tVFMADD231SS X8, X6, X0")
	p("\tVFMADD231SS X6, X6, X2")
	p("\tVFMADD231SS X8, X8, X4")
	advance(l, 1, "tail")
	p("%s_end:", l)
}

func zero(regs ...string) {
	for _, r := range regs {
		p("\tVXORPS %s, %s, %s", r, r, r)
	}
}

func advance(l string, elems int, loop string) {
	p("\tADDQ $%d, SI", 4*elems)
	p("\tADDQ $%d, DI", 4*elems)
	if elems == 1 {
		p("\tDECQ CX")
	} else {
		p("\tSUBQ $%d, CX", elems)
	}
	p("\tJMP %s_%s", l, loop)
}

// hsum leaves the sum of the eight lanes of y in every lane of x (y's low
// half), using t as scratch.
func hsum(y, x, t string) {
	p("\tVEXTRACTF128 $1, %s, %s", y, t)
	p("\tVADDPS %s, %s, %s", t, x, x)
	p("\tVHADDPS %s, %s, %s", x, x, x)
	p("\tVHADDPS %s, %s, %s", x, x, x)
}

// hsumLow leaves the sum of the eight lanes of y in the lowest lane of x
// (y's low half), using t as scratch: shuffles and adds, shorter than
// hsum's two VHADDPS, which matters when one row is scored per call.
func hsumLow(y, x, t string) {
	p("\tVEXTRACTF128 $1, %s, %s", y, t)
	p("\tVADDPS %s, %s, %s", t, x, x)
	p("\tVMOVHLPS %s, %s, %s", x, x, t)
	p("\tVADDPS %s, %s, %s", t, x, x)
	p("\tVMOVSHDUP %s, %s", x, t)
	p("\tVADDSS %s, %s, %s", t, x, x)
}

func pair(name string, body func(string), results []string) {
	size := 24 + 4*len(results)
	p("")
	p("// func %s(a, b *float32, n int) ...", name)
	p("TEXT ·%s(SB), NOSPLIT, $0-%d", name, size)
	p("\tMOVQ a+0(FP), SI")
	p("\tMOVQ b+8(FP), DI")
	p("\tMOVQ n+16(FP), CX")
	body(strings.TrimSuffix(name, "AVX2"))
	p("\tVZEROUPPER")
	for i, r := range results {
		p("\tMOVSS X%d, %s+%d(FP)", 2*i, r, 24+4*i)
	}
	p("\tRET")
}

func batch(name string, body func(string)) {
	l := strings.TrimSuffix(name, "AVX2")
	p("")
	p("// func %s(q, vecs *float32, dim, n int, out *float32)", name)
	p("TEXT ·%s(SB), NOSPLIT, $0-40", name)
	p("\tMOVQ q+0(FP), R8")
	p("\tMOVQ vecs+8(FP), DI")
	p("\tMOVQ dim+16(FP), R9")
	p("\tMOVQ n+24(FP), R10")
	p("\tMOVQ out+32(FP), R11")
	p("%s_vec:", l)
	p("\tTESTQ R10, R10")
	p("\tJZ %s_done", l)
	p("\tMOVQ R8, SI")
	p("\tMOVQ R9, CX")
	body(l + "_in")
	p("\tMOVSS X0, (R11)")
	p("\tADDQ $4, R11")
	p("\tDECQ R10")
	p("\tJMP %s_vec", l)
	p("%s_done:", l)
	p("\tVZEROUPPER")
	p("\tRET")
}

// sq8Body accumulates over CX bytes of SQ8 code at DI, with the float32
// query terms u at SI (and, for L2, the weights w at R8), into X0:
//
//	dot: Σ u[d]·c[d]
//	l2:  Σ w[d]·(c[d] − u[d])²   (= Σ w[d]·(u[d] − c[d])², negation is exact)
//
// Each step widens 8 bytes to int32 (VPMOVZXBD), converts them to float32
// (VCVTDQ2PS) and multiply-adds; four accumulators take 32 bytes per step.
// It advances SI, DI (and R8) past the elements. Clobbers AX and Y0–Y11.
func sq8Body(l string, l2 bool) {
	zero("Y0", "Y1", "Y2", "Y3")
	p("%s_loop32:", l)
	p("\tCMPQ CX, $32")
	p("\tJL %s_loop8", l)
	for i := 0; i < 4; i++ {
		p("\tVPMOVZXBD %d(DI), Y%d", 8*i, 4+i)
	}
	for i := 0; i < 4; i++ {
		p("\tVCVTDQ2PS Y%d, Y%d", 4+i, 4+i)
	}
	if l2 {
		for i := 0; i < 4; i++ {
			p("\tVSUBPS %d(SI), Y%d, Y%d", 32*i, 4+i, 4+i)
		}
		for i := 0; i < 4; i++ {
			p("\tVMULPS %d(R8), Y%d, Y%d", 32*i, 4+i, 8+i)
		}
		for i := 0; i < 4; i++ {
			p("\tVFMADD231PS Y%d, Y%d, Y%d", 4+i, 8+i, i)
		}
	} else {
		for i := 0; i < 4; i++ {
			p("\tVFMADD231PS %d(SI), Y%d, Y%d", 32*i, 4+i, i)
		}
	}
	sq8Advance(l, 32, "loop32", l2)
	p("%s_loop8:", l)
	p("\tCMPQ CX, $8")
	p("\tJL %s_reduce", l)
	p("\tVPMOVZXBD (DI), Y4")
	p("\tVCVTDQ2PS Y4, Y4")
	if l2 {
		p("\tVSUBPS (SI), Y4, Y4")
		p("\tVMULPS (R8), Y4, Y8")
		p("\tVFMADD231PS Y4, Y8, Y0")
	} else {
		p("\tVFMADD231PS (SI), Y4, Y0")
	}
	sq8Advance(l, 8, "loop8", l2)
	p("%s_reduce:", l)
	p("\tVADDPS Y1, Y0, Y0")
	p("\tVADDPS Y3, Y2, Y2")
	p("\tVADDPS Y2, Y0, Y0")
	hsumLow("Y0", "X0", "X1")
	p("%s_tail:", l)
	p("\tTESTQ CX, CX")
	p("\tJZ %s_end", l)
	p("\tMOVBLZX (DI), AX")
	p("\tVCVTSI2SSL AX, X4, X4")
	if l2 {
		p("\tVSUBSS (SI), X4, X4")
		p("\tVMULSS (R8), X4, X8")
		p("\tVFMADD231SS X4, X8, X0")
	} else {
		p("\tVFMADD231SS (SI), X4, X0")
	}
	sq8Advance(l, 1, "tail", l2)
	p("%s_end:", l)
}

func sq8Advance(l string, elems int, loop string, l2 bool) {
	p("\tADDQ $%d, SI", 4*elems)
	if l2 {
		p("\tADDQ $%d, R8", 4*elems)
	}
	if elems == 1 {
		p("\tINCQ DI")
		p("\tDECQ CX")
	} else {
		p("\tADDQ $%d, DI", elems)
		p("\tSUBQ $%d, CX", elems)
	}
	p("\tJMP %s_%s", l, loop)
}

// sq8Kernels writes the pair, batched and gathered SQ8 kernels of one
// metric. The batched form scans n contiguous codes of dim bytes; the
// gathered form scans the codes at rows[i]·dim. Both store the raw sums;
// the Go side adds the query's bias.
func sq8Kernels(l2 bool) {
	name, w, wsz := "sq8Dot", "", 0
	if l2 {
		name, w, wsz = "sq8L2", "w, ", 8
	}
	l := name
	loadW := func() {
		if l2 {
			p("\tMOVQ w+8(FP), R13")
		}
	}
	setup := func() {
		p("\tMOVQ R12, SI")
		if l2 {
			p("\tMOVQ R13, R8")
		}
		p("\tMOVQ R9, CX")
	}

	p("")
	// The pair kernels take slices, so that the kernels table can hold
	// them directly: one call per row instead of a closure and a call.
	p("// func %sAVX2(u, %sc []...) float32", name, w)
	p("TEXT ·%sAVX2(SB), NOSPLIT, $0-%d", name, 52+3*wsz)
	p("\tMOVQ u_base+0(FP), SI")
	p("\tMOVQ u_len+8(FP), CX")
	if l2 {
		p("\tMOVQ w_base+24(FP), R8")
	}
	p("\tMOVQ c_base+%d(FP), DI", 24+3*wsz)
	sq8Body(l, l2)
	p("\tVZEROUPPER")
	p("\tMOVSS X0, ret+%d(FP)", 48+3*wsz)
	p("\tRET")

	p("")
	p("// func %sBatchAVX2(u, %scodes *..., dim, n int, out *float32)", name, w)
	p("TEXT ·%sBatchAVX2(SB), NOSPLIT, $0-%d", name, 40+wsz)
	p("\tMOVQ u+0(FP), R12")
	loadW()
	p("\tMOVQ codes+%d(FP), DI", 8+wsz)
	p("\tMOVQ dim+%d(FP), R9", 16+wsz)
	p("\tMOVQ n+%d(FP), R10", 24+wsz)
	p("\tMOVQ out+%d(FP), R11", 32+wsz)
	p("%sB_vec:", l)
	p("\tTESTQ R10, R10")
	p("\tJZ %sB_done", l)
	setup() // DI already points at the next code
	sq8Body(l+"B_in", l2)
	p("\tMOVSS X0, (R11)")
	p("\tADDQ $4, R11")
	p("\tDECQ R10")
	p("\tJMP %sB_vec", l)
	p("%sB_done:", l)
	p("\tVZEROUPPER")
	p("\tRET")

	p("")
	p("// func %sGatherAVX2(u, %scodes *..., dim int, rows *uint32, n int, out *float32)", name, w)
	p("TEXT ·%sGatherAVX2(SB), NOSPLIT, $0-%d", name, 48+wsz)
	p("\tMOVQ u+0(FP), R12")
	loadW()
	p("\tMOVQ codes+%d(FP), BX", 8+wsz)
	p("\tMOVQ dim+%d(FP), R9", 16+wsz)
	p("\tMOVQ rows+%d(FP), R14", 24+wsz)
	p("\tMOVQ n+%d(FP), R10", 32+wsz)
	p("\tMOVQ out+%d(FP), R11", 40+wsz)
	p("%sG_vec:", l)
	p("\tTESTQ R10, R10")
	p("\tJZ %sG_done", l)
	p("\tMOVL (R14), DI") // zero-extends the row index
	p("\tIMULQ R9, DI")
	p("\tADDQ BX, DI")
	// Prefetch the first two cache lines of the next row: graph
	// neighbours are scattered, and the loads of one row then overlap
	// the arithmetic of the previous one.
	p("\tCMPQ R10, $1")
	p("\tJEQ %sG_go", l)
	p("\tMOVL 4(R14), AX")
	p("\tIMULQ R9, AX")
	p("\tPREFETCHT0 (BX)(AX*1)")
	p("\tPREFETCHT0 64(BX)(AX*1)")
	p("%sG_go:", l)
	setup()
	sq8Body(l+"G_in", l2)
	p("\tMOVSS X0, (R11)")
	p("\tADDQ $4, R11")
	p("\tADDQ $4, R14")
	p("\tDECQ R10")
	p("\tJMP %sG_vec", l)
	p("%sG_done:", l)
	p("\tVZEROUPPER")
	p("\tRET")
}

// blockedKernel writes a kernel over a Blocked set (blocked.go): vectors
// stored dimension-major in blocks of 8, so that one YMM register holds one
// dimension of 8 vectors. For each dimension d it broadcasts q[d] and
// accumulates (q[d] − v[d])² (or q[d]·v[d]) into one register per block,
// in dimension order (as the reference sums), with no horizontal
// reduction. Blocks go
// eight at a time (eight independent FMA chains, enough to cover the FMA
// latency, sharing one broadcast), then four, then one.
//
// The L2 and dot forms store the 8·nblocks sums to out. The nearest form keeps,
// per lane, the smallest sum m1 with its vector index i1 (the first on
// ties: a strict compare, blocks in index order) and the second-smallest
// sum m2 (blockLanes), then reduces the lanes to the results of
// Blocked.NearestL2. NaN sums never enter: VMINPS and VMAXPS return their
// second source operand (Intel order) when either is NaN, so the operands
// are ordered to keep m1 and m2, and NaN < m1 is false.
//
// Registers: R8 q, DI and BX the first and fifth block of a group, R9 dim,
// R11 blocks left, DX out, R12 the block stride (dim·32 bytes), R13 three
// strides; Y0–Y7 sums, Y8 the broadcast, Y9–Y10 differences (and scratch
// after the dimension loop); nearest: Y11 m1, Y12 i1, Y13 m2, Y14 the lane
// indexes of the next block, Y15 eight.
func blockedKernel(name string, mode blockedMode) {
	l := strings.TrimSuffix(name, "AVX2")
	nearest := mode == blockedNearest
	p("")
	if nearest {
		p("// func %s(q, blocks *float32, dim, nblocks int) (best int, d1, d2 float32)", name)
		p("TEXT ·%s(SB), NOSPLIT, $0-48", name)
	} else {
		p("// func %s(q, blocks *float32, dim, nblocks int, out *float32)", name)
		p("TEXT ·%s(SB), NOSPLIT, $0-40", name)
		p("\tMOVQ out+32(FP), DX")
	}
	p("\tMOVQ q+0(FP), R8")
	p("\tMOVQ blocks+8(FP), DI")
	p("\tMOVQ dim+16(FP), R9")
	p("\tMOVQ nblocks+24(FP), R11")
	p("\tMOVQ R9, R12")
	p("\tSHLQ $5, R12")
	p("\tLEAQ (R12)(R12*2), R13")
	if nearest {
		p("\tVBROADCASTSS blockConst<>+32(SB), Y11")
		p("\tVMOVAPS Y11, Y13")
		p("\tVPCMPEQD Y12, Y12, Y12")
		p("\tVMOVDQU blockConst<>+0(SB), Y14")
		p("\tVPBROADCASTD blockConst<>+36(SB), Y15")
	}
	for _, width := range []int{8, 4, 1} {
		blockedGroup(l, width, mode)
	}
	p("%s_done:", l)
	if nearest {
		blockedReduce()
	}
	p("\tVZEROUPPER")
	p("\tRET")
}

// blockedMode selects what a blocked kernel computes.
type blockedMode int

const (
	blockedL2      blockedMode = iota // store Σ (q[d] − v[d])²
	blockedDot                        // store Σ q[d]·v[d]
	blockedNearest                    // reduce Σ (q[d] − v[d])² to the nearest
)

// blockedGroup writes the loop over groups of width (8, 4 or 1) blocks.
func blockedGroup(l string, width int, mode blockedMode) {
	nearest := mode == blockedNearest
	g := fmt.Sprintf("%s_g%d", l, width)
	next := map[int]string{8: l + "_g4", 4: l + "_g1", 1: l + "_done"}[width]
	// The four addresses of one half-group of blocks, from base reg.
	addr := func(base string, i int) string {
		switch i {
		case 0:
			return "(" + base + ")"
		case 1:
			return "(" + base + ")(R12*1)"
		case 2:
			return "(" + base + ")(R12*2)"
		}
		return "(" + base + ")(R13*1)"
	}
	p("%s:", g)
	p("\tCMPQ R11, $%d", width)
	p("\tJL %s", next)
	for i := 0; i < width; i++ {
		p("\tVXORPS Y%d, Y%d, Y%d", i, i, i)
	}
	p("\tMOVQ R8, SI")
	p("\tMOVQ R9, CX")
	if width == 8 {
		p("\tLEAQ (DI)(R12*4), BX")
	}
	p("%s_dim:", g)
	p("\tVBROADCASTSS (SI), Y8")
	for i := 0; i < width; i++ {
		base := "DI"
		if i >= 4 {
			base = "BX"
		}
		if mode == blockedDot {
			p("\tVFMADD231PS %s, Y8, Y%d", addr(base, i%4), i)
			continue
		}
		t := 9 + i%2
		p("\tVSUBPS %s, Y8, Y%d", addr(base, i%4), t)
		p("\tVFMADD231PS Y%d, Y%d, Y%d", t, t, i)
	}
	p("\tADDQ $4, SI")
	p("\tADDQ $32, DI")
	if width == 8 {
		p("\tADDQ $32, BX")
	}
	p("\tDECQ CX")
	p("\tJNZ %s_dim", g)
	// DI has moved past the group's first block: skip the others.
	switch width {
	case 8:
		p("\tLEAQ (DI)(R12*4), DI")
		p("\tADDQ R13, DI")
	case 4:
		p("\tADDQ R13, DI")
	}
	for i := 0; i < width; i++ {
		if nearest {
			p("\tVCMPPS $0x11, Y11, Y%d, Y9", i) // Y9 = sum < m1 (ordered, quiet)
			p("\tVMAXPS Y%d, Y11, Y10", i)       // max(m1, sum); NaN if sum is NaN
			p("\tVMINPS Y13, Y10, Y13")          // m2 = min(max(m1, sum), m2); m2 if NaN
			p("\tVMINPS Y11, Y%d, Y11", i)       // m1 = min(sum, m1); m1 if sum is NaN
			p("\tVBLENDVPS Y9, Y14, Y12, Y12")   // i1 = sum < m1 ? index : i1
			p("\tVPADDD Y15, Y14, Y14")
		} else {
			p("\tVMOVUPS Y%d, %d(DX)", i, 32*i)
		}
	}
	if !nearest {
		p("\tADDQ $%d, DX", 32*width)
	}
	p("\tSUBQ $%d, R11", width)
	p("\tJMP %s", g)
}

// blockedReduce turns the lanes (Y11 m1, Y12 i1, Y13 m2) into the nearest
// kernel's results, as blockLanes.reduce does: d1 is the smallest m1; best
// the smallest index among the lanes holding it (−1 when d1 is +Inf, since
// a lane's i1 is −1 until it sees a finite sum); d2 the smallest of the
// best lane's m2 and the other lanes' m1 (no lane value is NaN).
func blockedReduce() {
	hmin := func(y, t string) { // every lane of y := the minimum of y's lanes
		p("\tVPERM2F128 $1, %s, %s, %s", y, y, t)
		p("\tVMINPS %s, %s, %s", t, y, y)
		p("\tVPERMILPS $0x4e, %s, %s", y, t)
		p("\tVMINPS %s, %s, %s", t, y, y)
		p("\tVPERMILPS $0xb1, %s, %s", y, t)
		p("\tVMINPS %s, %s, %s", t, y, y)
	}
	p("\tVMOVAPS Y11, Y0")
	hmin("Y0", "Y1")                            // Y0 = d1 in every lane
	p("\tVCMPPS $0, Y0, Y11, Y1")               // Y1 = m1 == d1
	p("\tVPBROADCASTD blockConst<>+40(SB), Y2") // MaxInt32
	p("\tVBLENDVPS Y1, Y12, Y2, Y2")            // Y2 = m1 == d1 ? i1 : MaxInt32
	p("\tVPERM2I128 $1, Y2, Y2, Y3")
	p("\tVPMINSD Y3, Y2, Y2")
	p("\tVPSHUFD $0x4e, Y2, Y3")
	p("\tVPMINSD Y3, Y2, Y2")
	p("\tVPSHUFD $0xb1, Y2, Y3")
	p("\tVPMINSD Y3, Y2, Y2")         // Y2 = best in every lane
	p("\tVPCMPEQD Y2, Y12, Y1")       // Y1 = the best lane (all lanes when best is −1)
	p("\tVBLENDVPS Y1, Y13, Y11, Y4") // Y4 = best lane ? m2 : m1
	hmin("Y4", "Y5")
	p("\tVMOVD X2, AX")
	p("\tMOVLQSX AX, AX")
	p("\tMOVQ AX, best+32(FP)")
	p("\tVMOVSS X0, d1+40(FP)")
	p("\tVMOVSS X4, d2+44(FP)")
}

// blockedConst is the nearest kernel's constants: the lane indexes 0–7,
// +Inf (the initial m1 and m2), 8 (the index step per block) and
// MaxInt32 (no index).
func blockedConst() {
	p("")
	for i := 0; i < 8; i++ {
		p("DATA blockConst<>+%d(SB)/4, $%d", 4*i, i)
	}
	p("DATA blockConst<>+32(SB)/4, $0x7f800000")
	p("DATA blockConst<>+36(SB)/4, $8")
	p("DATA blockConst<>+40(SB)/4, $0x7fffffff")
	p("GLOBL blockConst<>(SB), RODATA|NOPTR, $44")
}

func main() {
	p("// Code generated by asm_gen.go; DO NOT EDIT.")
	p("")
	p("//go:build amd64 && !purego")
	p("")
	p("// AVX2 + FMA kernels: four 8-lane accumulators (32 floats per step),")
	p("// then one 8-lane step at a time, then a scalar tail. The SQ8 kernels")
	p("// widen 8 code bytes at a time to float32 with the same loop shape.")
	p("")
	p("#include \"textflag.h\"")
	pair("dotAVX2", dotBody, []string{"ret"})
	pair("l2AVX2", l2Body, []string{"ret"})
	pair("cosAVX2", cosBody, []string{"dot", "na", "nb"})
	batch("dotBatchAVX2", dotBody)
	batch("l2BatchAVX2", l2Body)
	sq8Kernels(false)
	sq8Kernels(true)
	blockedConst()
	blockedKernel("l2BlockedAVX2", blockedL2)
	blockedKernel("dotBlockedAVX2", blockedDot)
	blockedKernel("nearestL2BlockedAVX2", blockedNearest)
	if err := os.WriteFile("asm_amd64.s", out.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
