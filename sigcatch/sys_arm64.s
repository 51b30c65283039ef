#include "textflag.h"

// The system calls and atomics of this package, in assembly so that it
// imports nothing and its init can run before every other package's.

// func rawSyscall6(nr, a1, a2, a3, a4, a5, a6 uintptr) (r, errno uintptr)
TEXT ·rawSyscall6(SB),NOSPLIT,$0-72
	MOVD	a1+8(FP), R0
	MOVD	a2+16(FP), R1
	MOVD	a3+24(FP), R2
	MOVD	a4+32(FP), R3
	MOVD	a5+40(FP), R4
	MOVD	a6+48(FP), R5
	MOVD	nr+0(FP), R8
	SVC
	CMN	$4095, R0
	BCC	ok
	MOVD	$0, R4
	MOVD	R4, r+56(FP)
	NEG	R0, R0
	MOVD	R0, errno+64(FP)
	RET
ok:
	MOVD	R0, r+56(FP)
	MOVD	ZR, errno+64(FP)
	RET

// func swap32(p *uint32, v uint32) uint32
TEXT ·swap32(SB),NOSPLIT,$0-20
	MOVD	p+0(FP), R0
	MOVW	v+8(FP), R1
again:
	LDAXRW	(R0), R2
	STLXRW	R1, (R0), R3
	CBNZ	R3, again
	MOVW	R2, ret+16(FP)
	RET

// func swap64(p *uint64, v uint64) uint64
TEXT ·swap64(SB),NOSPLIT,$0-24
	MOVD	p+0(FP), R0
	MOVD	v+8(FP), R1
again:
	LDAXR	(R0), R2
	STLXR	R1, (R0), R3
	CBNZ	R3, again
	MOVD	R2, ret+16(FP)
	RET
