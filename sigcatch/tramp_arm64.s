#include "textflag.h"

// sigtramp is the handler the kernel calls for every signal sexton catches:
// R0 = signal number, R1 = *siginfo, R2 = *ucontext, LR = the return to
// the kernel's sigreturn. It uses no stack and only caller-saved registers.
TEXT ·sigtramp(SB),NOSPLIT|NOFRAME,$0
	MOVD	R0, R9
	MOVD	R2, R10
	// Routing (route.go): from the return on, this thread blocks the
	// routed signals (uc_sigmask, at 40 in the ucontext, is restored on
	// return), so that they wait in the kernel for the signalfd.
	MOVD	$·routeMask(SB), R3
	MOVD	(R3), R3
	MOVD	40(R10), R4
	ORR	R3, R4, R4
	MOVD	R4, 40(R10)
	// A fault the kernel raised (si_code > 0) is the Go runtime's.
	MOVD	$·faultSig(SB), R3
	MOVBU	(R3)(R0), R3
	CBZ	R3, sender
	MOVW	8(R1), R3	// si_code, sign-extended
	CMP	$0, R3
	BGT	chain
sender:
	// While Install runs, this process's PID is not known yet: count.
	MOVD	$·selfPID(SB), R5
	MOVWU	(R5), R5
	CBZ	R5, count
	// What this process sends itself: the runtime's preemption SIGURG
	// goes on to the runtime; the kernel's SIGPIPE for a write of ours to
	// a broken pipe (it carries our own PID) is dropped.
	MOVD	$·selfSig(SB), R3
	MOVBU	(R3)(R0), R3
	CBZ	R3, ours
	MOVWU	16(R1), R4	// si_pid
	CMP	R4, R5
	BNE	ours
	CMP	$1, R3
	BEQ	chain
	RET
ours:
	// A vfork child between fork and exec shares our memory.
	MOVD	$172, R8	// SYS_getpid
	SVC
	CMP	R0, R5
	BNE	done
count:
	// counts[sig]++
	MOVD	$·counts(SB), R3
	ADD	R9<<2, R3, R3
inc:
	LDAXRW	(R3), R4
	ADDW	$1, R4, R4
	STLXRW	R4, (R3), R5
	CBNZ	R5, inc
	// pending |= bit, where bit is 1<<(sig-1), as the kernel's sigset
	// has signal s.
	SUB	$1, R9, R4
	MOVD	$1, R5
	LSL	R4, R5, R4
	MOVD	$·pending(SB), R3
or:
	LDAXR	(R3), R5
	ORR	R4, R5, R5
	STLXR	R5, (R3), R6
	CBNZ	R6, or
	// Wake the loop, once per batch (wakeFD is -1 until Install made it).
	MOVD	$·awake(SB), R3
	MOVW	$1, R4
xchg:
	LDAXRW	(R3), R5
	STLXRW	R4, (R3), R6
	CBNZ	R6, xchg
	CBNZ	R5, done
	MOVD	$·wakeFD(SB), R3
	MOVW	(R3), R0	// sign-extended: -1 stays -1
	MOVD	$·one(SB), R1
	MOVD	$8, R2
	MOVD	$64, R8	// SYS_write
	SVC
done:
	RET
chain:
	MOVD	$·runtimeHandler(SB), R3
	MOVD	(R3)(R0<<3), R3
	JMP	(R3)

DATA ·sigtrampPC+0(SB)/8, $·sigtramp(SB)
GLOBL ·sigtrampPC(SB), RODATA, $8
