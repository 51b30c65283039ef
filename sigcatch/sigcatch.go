// Package sigcatch receives signals for sexton's loop with a handler of its
// own instead of the Go runtime's os/signal machinery.
//
// The handler (sigtramp, in assembly) counts each signal, marks it pending
// and, once per batch, writes to an eventfd that the loop waits on. A signal
// costs the kernel's delivery, a few atomic instructions and at most one
// write: no hand-off through the runtime's signal goroutine, no round trip
// per enabled signal at start-up, and nothing that can fill up and drop,
// since every signal number has its own counter.
//
// The handler sees the siginfo, so it can tell who sent a signal: what the
// kernel raised for a fault (si_code > 0) and the runtime's own preemption
// SIGURG (sent by this process to one of its threads) go on to the
// runtime's handler unchanged, the SIGPIPE the kernel raises for a write of
// this process's own to a broken pipe is dropped, and every other signal is
// counted, whoever sent it.
//
// Once the child has started, Route hands the signals that can flood to a
// signalfd instead (route.go): every thread blocks them, and the loop reads
// them from the kernel's queue at its own pace.
//
// The package imports nothing (its system calls and atomics are assembly),
// so a program's first package init can be the one that installs it.
package sigcatch

// one is what the handler writes to wakeFD.
//
//lint:ignore U1000 read by the assembly handler.
var one = uint64(1)

// sigtramp is the signal handler; it is not called from Go.
//
//lint:ignore U1000 referenced from the assembly (sigtrampPC).
func sigtramp()

// MaxSig is the highest signal number on Linux.
const MaxSig = 64

// Signal numbers the package treats specially.
const (
	sigILL    = 4
	sigTRAP   = 5
	sigBUS    = 7
	sigFPE    = 8
	sigKILL   = 9
	sigSEGV   = 11
	sigPIPE   = 13
	sigSTKFLT = 16
	sigSTOP   = 19
	sigURG    = 23
	sigPROF   = 27
	sigSYS    = 31
)

var (
	// sigtrampPC is sigtramp's address (set in the assembly file).
	sigtrampPC uintptr
	// counts[s] is how many times s arrived since it was last taken.
	counts [MaxSig + 1]uint32
	// pending has bit s-1 set when counts[s] may be non-zero (as the
	// kernel's sigset has signal s).
	pending uint64
	// awake is 1 once a signal arrived and the loop was woken for it.
	awake uint32
	// wakeFD is the eventfd the handler writes to (-1 until Install has
	// made it).
	wakeFD = ^uint32(0)
	// selfPID is this process's PID, to recognise what it sent itself.
	selfPID uint32
	// runtimeHandler[s] is the handler sigtramp replaced for s.
	runtimeHandler [MaxSig + 1]uintptr
	// selfSig marks the signals that are not counted when this process
	// sent them itself: 1 goes on to the runtime's handler, 2 is dropped.
	// Other signals this process sends itself are counted (the kernel's
	// SIGHUP and SIGCONT when sexton gives up its terminal carry its PID).
	selfSig = [MaxSig + 1]uint8{sigURG: 1, sigPIPE: 2}
	// faultSig marks the signals a fault makes the kernel raise.
	faultSig = [MaxSig + 1]uint8{
		sigILL: 1, sigTRAP: 1, sigBUS: 1, sigFPE: 1,
		sigSEGV: 1, sigSTKFLT: 1, sigPROF: 1, sigSYS: 1,
	}
)

// Take calls fn for every signal that arrived since the last call, in
// signal-number order, with how many times it arrived (standard signals
// that arrive while one is pending merge in the kernel, as for any process;
// real-time signals are queued and each one counts).
func Take(fn func(sig, n int)) {
	p := swap64(&pending, 0)
	for s := 1; p != 0 && s <= MaxSig; s++ {
		if p&(1<<(s-1)) == 0 {
			continue
		}
		p &^= 1 << (s - 1)
		if n := swap32(&counts[s], 0); n > 0 {
			fn(s, int(n))
		}
	}
}

// WakeFD is the non-blocking eventfd that becomes readable when a signal
// arrives; valid once Install succeeded.
func WakeFD() int { return int(wakeFD) }

// Woken reports, and clears, whether a signal arrived since the last call:
// a caller checks it before it waits on WakeFD, and waits only if it was
// not (the handler writes to WakeFD only when it sets the flag).
func Woken() bool { return swap32(&awake, 0) != 0 }
