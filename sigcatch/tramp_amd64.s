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
	MOVQ	DX, R9
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
	// Flow control, once the loop has asked for it: this thread stops
	// taking sig (the kernel restores uc_sigmask, at 296 in the ucontext,
	// on return) until the loop releases it; what arrives meanwhile waits
	// in the kernel's queue, where the loop takes it at its own pace
	// (Drain). Not SIGURG: the runtime's preemption needs it.
	MOVL	·throttleOn(SB), CX
	TESTL	CX, CX
	JZ	wake
	CMPQ	R8, $23
	JEQ	wake
	LOCK
	ORQ	AX, ·throttled(SB)
	SHRQ	$1, AX	// the kernel's sigset has signal s at bit s-1
	ORQ	AX, 296(R9)
wake:
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
