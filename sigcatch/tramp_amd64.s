#include "textflag.h"

// sigtramp is the handler the kernel calls for every signal sexton catches:
// DI = signal number, SI = *siginfo, DX = *ucontext. It uses no stack and
// only registers the C ABI lets a callee clobber.
TEXT ·sigtramp(SB),NOSPLIT|NOFRAME,$0
	MOVQ	DI, R8
	MOVQ	DX, R9
	// Routing (route.go): from the return on, this thread blocks the
	// routed signals (the kernel restores uc_sigmask, at 296 in the
	// ucontext), so that they wait in the kernel for the signalfd.
	MOVQ	·routeMask(SB), AX
	ORQ	AX, 296(R9)
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
	// While Install runs, this process's PID is not known yet: count.
	MOVL	·selfPID(SB), CX
	TESTL	CX, CX
	JZ	count
	// Two signals this process sends itself are not for the child: the
	// runtime's preemption SIGURG goes on to the runtime, and the SIGPIPE
	// the kernel raises for a write of ours to a broken pipe (it carries
	// our own PID) is dropped.
	LEAQ	·selfSig(SB), AX
	MOVBLZX	(AX)(DI*1), AX
	TESTL	AX, AX
	JZ	ours
	CMPL	CX, 16(SI)	// si_pid
	JNE	ours
	CMPL	AX, $1
	JEQ	chain
	RET
ours:
	// A vfork child between fork and exec shares our memory: what it
	// receives is not ours to count.
	MOVL	$39, AX	// SYS_getpid
	SYSCALL
	CMPL	AX, ·selfPID(SB)
	JNE	done
count:
	// counts[sig]++; pending |= bit, where bit is 1<<(sig-1), as the
	// kernel's sigset has signal s.
	LEAQ	·counts(SB), AX
	MOVL	$1, CX
	LOCK
	XADDL	CX, (AX)(R8*4)
	LEAQ	-1(R8), CX
	MOVQ	$1, AX
	SHLQ	CX, AX
	LOCK
	ORQ	AX, ·pending(SB)
	// Wake the loop, once per batch (wakeFD is -1 until Install made it).
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

// sigreturn is the restorer the kernel returns to from sigtramp.
TEXT ·sigreturn(SB),NOSPLIT|NOFRAME,$0
	MOVQ	$15, AX	// SYS_rt_sigreturn
	SYSCALL
	INT	$3

DATA ·sigtrampPC+0(SB)/8, $·sigtramp(SB)
GLOBL ·sigtrampPC(SB), RODATA, $8
DATA ·restorerPC+0(SB)/8, $·sigreturn(SB)
GLOBL ·restorerPC(SB), RODATA, $8
