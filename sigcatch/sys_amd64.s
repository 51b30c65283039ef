#include "textflag.h"

// The system calls and atomics of this package, in assembly so that it
// imports nothing and its init can run before every other package's.

// func rawSyscall6(nr, a1, a2, a3, a4, a5, a6 uintptr) (r, errno uintptr)
TEXT ·rawSyscall6(SB),NOSPLIT,$0-72
	MOVQ	a1+8(FP), DI
	MOVQ	a2+16(FP), SI
	MOVQ	a3+24(FP), DX
	MOVQ	a4+32(FP), R10
	MOVQ	a5+40(FP), R8
	MOVQ	a6+48(FP), R9
	MOVQ	nr+0(FP), AX
	SYSCALL
	CMPQ	AX, $0xfffffffffffff001
	JLS	ok
	MOVQ	$0, r+56(FP)
	NEGQ	AX
	MOVQ	AX, errno+64(FP)
	RET
ok:
	MOVQ	AX, r+56(FP)
	MOVQ	$0, errno+64(FP)
	RET

// func swap32(p *uint32, v uint32) uint32
TEXT ·swap32(SB),NOSPLIT,$0-20
	MOVQ	p+0(FP), BX
	MOVL	v+8(FP), AX
	XCHGL	AX, 0(BX)
	MOVL	AX, ret+16(FP)
	RET

// func swap64(p *uint64, v uint64) uint64
TEXT ·swap64(SB),NOSPLIT,$0-24
	MOVQ	p+0(FP), BX
	MOVQ	v+8(FP), AX
	XCHGQ	AX, 0(BX)
	MOVQ	AX, ret+16(FP)
	RET
