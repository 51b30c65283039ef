package sigcatch

import "unsafe"

// Flow control. A signal handler runs whenever the kernel has a signal for
// a thread, before the thread runs anything else; senders that keep the
// kernel's queue of real-time signals full (tens of thousands a second)
// would keep every thread of the process in the handler, and the loop would
// never run. Once Throttle is on, the handler blocks the signal it counted
// on the thread it ran on, so each thread takes one of a kind and then
// leaves the rest in the kernel's queue; Drain takes them from there at the
// loop's pace, and Release, before the loop waits, lets its thread take the
// next one.
//
// Only the signals that can flood are throttled: the real-time ones, which
// the kernel queues one per send, and SIGCHLD, of which an orphan storm
// brings one per exit (the loop reaps every turn whether it took one or
// not). Any other signal merges in the kernel while one is pending, and is
// never left blocked on a thread: SIGTERM is taken the moment it comes,
// whatever floods.

var (
	// throttleMask has bit s-1 set for each signal s the handler
	// throttles; zero until Throttle.
	throttleMask uint64
	// throttled has bit s-1 set when some thread blocked s since the last
	// Drain; undrained is what the last Drain left in the queue.
	throttled uint64
	undrained uint64
)

const (
	sigBlock   = 0
	sigUnblock = 1
	eintr      = 4
)

// Throttle turns the flow control on. Call it once the child has started:
// a thread's blocked mask at fork is what the child starts with.
func Throttle() { swap64(&throttleMask, throttleable) }

// throttleable is SIGCHLD (17) and the real-time signals, 34 to 64, as a
// kernel sigset.
const throttleable = 1<<(17-1) | (1<<64-1)&^(1<<(34-1)-1)

// Drain takes from the kernel's queue the signals that the handler left
// there, one at a time while goOn(taken so far) says so, and calls fn for
// each as Take does; it reports whether some may be left for the next
// call. Only the loop calls it.
func Drain(fn func(sig, n int), goOn func(taken int) bool) (more bool) {
	t := swap64(&throttled, 0) | undrained
	undrained = 0
	if t == 0 {
		return false
	}
	set := t
	// sigtimedwait wants the set blocked in the calling thread.
	rawSyscall6(sysRtSigprocmask, sigBlock, uintptr(unsafe.Pointer(&set)), 0, 8, 0, 0)
	var info [128]byte
	var poll [2]int64 // a zero timespec: take what is there, never wait
	var got [MaxSig + 1]int
	taken := 0
	for {
		if !goOn(taken) {
			more = true
			break
		}
		sig, e := rawSyscall6(sysRtSigtimedwait, uintptr(unsafe.Pointer(&set)),
			uintptr(unsafe.Pointer(&info)), uintptr(unsafe.Pointer(&poll)), 8, 0, 0)
		if e == eintr {
			continue
		}
		if e != 0 { // EAGAIN: nothing left
			break
		}
		got[sig]++
		taken++
	}
	if more {
		undrained = t
	}
	for s, n := range got {
		if n > 0 {
			fn(s, n)
		}
	}
	return more
}

// Release lets the calling thread take every signal again; the loop calls
// it before it waits, so that a thread is always there to be woken.
func Release() {
	if throttleMask == 0 {
		return
	}
	all := ^uint64(0)
	rawSyscall6(sysRtSigprocmask, sigUnblock, uintptr(unsafe.Pointer(&all)), 0, 8, 0, 0)
}
