//go:build amd64 && !purego

#include "textflag.h"

// func l2BatchAVX2(q, flat *float32, dim, n int, out *float64)
// out[i] = √(Σ_j (flat[i*dim+j] − q[j])²), the sum in float32, for i < n.
TEXT ·l2BatchAVX2(SB), NOSPLIT, $0-40
	MOVQ q+0(FP), SI
	MOVQ flat+8(FP), DI
	MOVQ dim+16(FP), CX
	MOVQ n+24(FP), DX
	MOVQ out+32(FP), R8
	MOVQ CX, R9
	SHLQ $2, R9
	MOVQ CX, R10
	ANDQ $-32, R10
	MOVQ CX, R11
	ANDQ $-8, R11

l2row:
	TESTQ DX, DX
	JZ    l2done
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ  AX, AX

l2blk32:
	CMPQ        AX, R10
	JGE         l2blk8
	VMOVUPS     (DI)(AX*4), Y4
	VMOVUPS     32(DI)(AX*4), Y5
	VMOVUPS     64(DI)(AX*4), Y6
	VMOVUPS     96(DI)(AX*4), Y7
	VSUBPS      (SI)(AX*4), Y4, Y4
	VSUBPS      32(SI)(AX*4), Y5, Y5
	VSUBPS      64(SI)(AX*4), Y6, Y6
	VSUBPS      96(SI)(AX*4), Y7, Y7
	VFMADD231PS Y4, Y4, Y0
	VFMADD231PS Y5, Y5, Y1
	VFMADD231PS Y6, Y6, Y2
	VFMADD231PS Y7, Y7, Y3
	ADDQ        $32, AX
	JMP         l2blk32

l2blk8:
	CMPQ        AX, R11
	JGE         l2reduce
	VMOVUPS     (DI)(AX*4), Y4
	VSUBPS      (SI)(AX*4), Y4, Y4
	VFMADD231PS Y4, Y4, Y0
	ADDQ        $8, AX
	JMP         l2blk8

l2reduce:
	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VADDPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VADDSS       X1, X0, X0

l2tail:
	CMPQ        AX, CX
	JGE         l2store
	VMOVSS      (DI)(AX*4), X4
	VSUBSS      (SI)(AX*4), X4, X4
	VFMADD231SS X4, X4, X0
	INCQ        AX
	JMP         l2tail

l2store:
	VCVTSS2SD X0, X0, X0
	VSQRTSD   X0, X0, X0
	VMOVSD    X0, (R8)
	ADDQ      $8, R8
	ADDQ   R9, DI
	DECQ   DX
	JMP    l2row

l2done:
	VZEROUPPER
	RET

// func dotBatchAVX2(q, flat *float32, dim, n int, out *float64)
// out[i] = Σ_j flat[i*dim+j] · q[j], for i < n.
TEXT ·dotBatchAVX2(SB), NOSPLIT, $0-40
	MOVQ q+0(FP), SI
	MOVQ flat+8(FP), DI
	MOVQ dim+16(FP), CX
	MOVQ n+24(FP), DX
	MOVQ out+32(FP), R8
	MOVQ CX, R9
	SHLQ $2, R9
	MOVQ CX, R10
	ANDQ $-32, R10
	MOVQ CX, R11
	ANDQ $-8, R11

dotrow:
	TESTQ DX, DX
	JZ    dotdone
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ  AX, AX

dotblk32:
	CMPQ        AX, R10
	JGE         dotblk8
	VMOVUPS     (DI)(AX*4), Y4
	VMOVUPS     32(DI)(AX*4), Y5
	VMOVUPS     64(DI)(AX*4), Y6
	VMOVUPS     96(DI)(AX*4), Y7
	VFMADD231PS (SI)(AX*4), Y4, Y0
	VFMADD231PS 32(SI)(AX*4), Y5, Y1
	VFMADD231PS 64(SI)(AX*4), Y6, Y2
	VFMADD231PS 96(SI)(AX*4), Y7, Y3
	ADDQ        $32, AX
	JMP         dotblk32

dotblk8:
	CMPQ        AX, R11
	JGE         dotreduce
	VMOVUPS     (DI)(AX*4), Y4
	VFMADD231PS (SI)(AX*4), Y4, Y0
	ADDQ        $8, AX
	JMP         dotblk8

dotreduce:
	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VADDPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VADDSS       X1, X0, X0

dottail:
	CMPQ        AX, CX
	JGE         dotstore
	VMOVSS      (DI)(AX*4), X4
	VFMADD231SS (SI)(AX*4), X4, X0
	INCQ        AX
	JMP         dottail

dotstore:
	VCVTSS2SD X0, X0, X0
	VMOVSD    X0, (R8)
	ADDQ      $8, R8
	ADDQ   R9, DI
	DECQ   DX
	JMP    dotrow

dotdone:
	VZEROUPPER
	RET

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET
