// Package sigcatch receives signals for sexton's loop with a handler of its
// own instead of the Go runtime's os/signal machinery.
//
// The handler (sigtramp, in assembly) counts each signal, marks it pending
// and, once per batch, writes to an eventfd that the loop waits on through
// the runtime's network poller. A signal costs the kernel's delivery, a few
// atomic instructions and at most one write: no hand-off through the
// runtime's signal goroutine, no round trip per enabled signal at start-up,
// and nothing that can fill up and drop, since every signal number has its
// own counter.
//
// The handler sees the siginfo, so it can tell who sent a signal: what the
// kernel raised for a fault (si_code > 0) and the runtime's own preemption
// SIGURG (sent by this process to one of its threads) go on to the
// runtime's handler unchanged, the SIGPIPE the kernel raises for a write of
// this process's own to a broken pipe is dropped, and every other signal is
// counted, whoever sent it.
package sigcatch

import (
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// sigtramp is the signal handler; it is not called from Go.
func sigtramp()

// maxSig is the highest signal number on Linux.
const maxSig = 64

var (
	// sigtrampPC is sigtramp's address (set in the assembly file).
	sigtrampPC uintptr
	// counts[s] is how many times s arrived since it was last taken.
	counts [maxSig + 1]uint32
	// pending has bit s set when counts[s] may be non-zero.
	pending uint64
	// awake is 1 once a signal arrived and the loop was woken for it.
	awake uint32
	// wakeFD is the eventfd the handler writes to; one is what it writes.
	wakeFD uint32
	one    = uint64(1)
	// selfPID is this process's PID, to recognise what it sent itself.
	selfPID uint32
	// runtimeHandler[s] is the handler sigtramp replaced for s.
	runtimeHandler [maxSig + 1]uintptr
	// selfSig marks the signals that are not counted when this process
	// sent them itself: 1 goes on to the runtime's handler, 2 is dropped.
	// Other signals this process sends itself are counted (the kernel's
	// SIGHUP and SIGCONT when sexton gives up its terminal carry its PID).
	selfSig = [maxSig + 1]uint8{unix.SIGURG: 1, unix.SIGPIPE: 2}
	// faultSig marks the signals a fault makes the kernel raise.
	faultSig = [maxSig + 1]uint8{
		unix.SIGILL: 1, unix.SIGTRAP: 1, unix.SIGBUS: 1, unix.SIGFPE: 1,
		unix.SIGSEGV: 1, unix.SIGSTKFLT: 1, unix.SIGPROF: 1, unix.SIGSYS: 1,
	}
)

// Take calls fn for every signal that arrived since the last call, in
// signal-number order, with how many times it arrived (standard signals
// that arrive while one is pending merge in the kernel, as for any process;
// real-time signals are queued and each one counts).
func Take(fn func(sig unix.Signal, n int)) {
	p := atomic.SwapUint64(&pending, 0)
	for s := 1; p != 0 && s <= maxSig; s++ {
		if p&(1<<s) == 0 {
			continue
		}
		p &^= 1 << s
		if n := atomic.SwapUint32(&counts[s], 0); n > 0 {
			fn(unix.Signal(s), int(n))
		}
	}
}
