#include "textflag.h"

// sigtramp is the handler the kernel calls for every signal sexton catches:
// DI = signal number, SI = *siginfo, DX = *ucontext. It uses no stack and
// only registers the C ABI lets a callee clobber.
TEXT ·sigtramp(SB),NOSPLIT|NOFRAME,$0
	// A fault the kernel raised (si_code > 0) is the Go runtime's: a
	// nil dereference becomes a panic there.
	LEAQ	·faultSig(SB), AX
	MOVBLZX	(AX)(DI*1), AX
	TESTL	AX, AX
	JZ	sender
	MOVL	8(SI), AX	// si_code
	CMPL	AX, $0
	JGT	chain
sender:
	// Two signals this process sends itself are not for the child: the
	// runtime's preemption SIGURG goes on to the runtime, and the SIGPIPE
	// the kernel raises for a write of ours to a broken pipe (it carries
	// our own PID) is dropped.
	LEAQ	·selfSig(SB), AX
	MOVBLZX	(AX)(DI*1), AX
	TESTL	AX, AX
	JZ	count
	MOVL	16(SI), CX	// si_pid
	CMPL	CX, ·selfPID(SB)
	JNE	count
	CMPL	AX, $1
	JEQ	chain
	RET
count:
	// A vfork child between fork and exec shares our memory: what it
	// receives is not ours to count.
	MOVQ	DI, R8
	MOVL	$39, AX	// SYS_getpid
	SYSCALL
	CMPL	AX, ·selfPID(SB)
	JNE	done
	// counts[sig]++; pending |= 1<<sig.
	LEAQ	·counts(SB), AX
	MOVL	$1, CX
	LOCK
	XADDL	CX, (AX)(R8*4)
	MOVQ	R8, CX
	MOVQ	$1, AX
	SHLQ	CX, AX
	LOCK
	ORQ	AX, ·pending(SB)
	// Wake the loop, once per batch.
	MOVL	$1, AX
	XCHGL	AX, ·awake(SB)
	TESTL	AX, AX
	JNZ	done
	MOVL	·wakeFD(SB), DI
	LEAQ	·one(SB), SI
	MOVL	$8, DX
	MOVL	$1, AX	// SYS_write
	SYSCALL
done:
	RET
chain:
	// Tail call: the runtime's handler sees the kernel's registers.
	LEAQ	·runtimeHandler(SB), AX
	MOVQ	(AX)(DI*8), AX
	JMP	AX

DATA ·sigtrampPC+0(SB)/8, $·sigtramp(SB)
GLOBL ·sigtrampPC(SB), RODATA, $8
