package sigcatch

import "unsafe"

// Routing. Once the child has started, the signals that can come in floods
// or at a high rate (the child's SIGCHLDs in an orphan storm, a sender that
// keeps the real-time queue full) no longer run the handler at all: every
// thread blocks them, so they wait in the kernel's queue, and the loop
// reads them from a signalfd at its own pace. A signal then costs the
// kernel's queueing and a share of one read: no signal frame, no
// rt_sigreturn, no write to the eventfd, no system call interrupted.
//
// A thread blocks a signal only for itself, and the Go runtime gives each
// thread it makes the mask the process started with. So the handler ORs
// routeMask into the mask that the kernel restores when the handler
// returns: Route sends every thread a SIGURG, which the handler passes on
// to the runtime (the runtime ignores a preemption signal it did not ask
// for) after setting the thread's mask; and a thread the runtime makes
// later takes the handler's path for its first signal and routes from then
// on.
//
// Not routed, so still handled on whatever thread they come to: the fault
// signals (a fault while blocked would kill the process instead of
// reaching the runtime), SIGURG (the runtime's preemption), SIGPIPE (the
// kernel raises it on the thread that wrote) and SIGPROF.

var (
	// routeMask has bit s-1 set for each signal s that is routed; zero
	// until Route.
	routeMask uint64
)

// routeBufLen is how many signals one read of the signalfd takes.
const routeBufLen = 16

// siginfoSize is the size of the kernel's struct signalfd_siginfo.
const siginfoSize = 128

const (
	sigBlock    = 0
	sfdNonblock = 0x800
	sfdCloexec  = 0x80000
)

// routable returns, as a kernel sigset, the signals handed to the
// signalfd once routed, but for except (0: none).
func routable(except int) uint64 {
	var mask uint64
	for s := 1; s <= MaxSig; s++ {
		if replaced[s] && faultSig[s] == 0 && selfSig[s] == 0 && s != except {
			mask |= 1 << (s - 1)
		}
	}
	return mask
}

// NewRouteFD makes the signalfd that Route hands signals to, for every
// signal that can be routed: make it before the child starts, so that a
// shortage of file descriptors is found while sexton can still refuse to
// start, and wait on it only after Route.
func NewRouteFD() (int, error) {
	mask := routable(0)
	fd, e := rawSyscall6(sysSignalfd4, ^uintptr(0), uintptr(unsafe.Pointer(&mask)), 8, sfdNonblock|sfdCloexec, 0, 0)
	if e != 0 {
		return -1, &Error{Op: "signalfd4", Errno: e}
	}
	return int(fd), nil
}

// Route blocks every routable signal on the calling thread and, through
// the handler, on each thread in tids (the process's threads, the caller's
// included or not), so that from then on they queue for the signalfd. Call
// it once the child has started: a thread's blocked mask at fork is what
// the child starts with. A thread left out, or made later, routes after the
// first signal it handles.
func Route(tids []int) {
	mask := routable(0)
	swap64(&routeMask, mask)
	set := mask
	rawSyscall6(sysRtSigprocmask, sigBlock, uintptr(unsafe.Pointer(&set)), 0, 8, 0, 0)
	for _, t := range tids {
		rawSyscall6(sysTgkill, uintptr(selfPID), uintptr(t), sigURG, 0, 0, 0)
	}
}

// ReadRouted takes the routed signals from the signalfd fd, a read of up to
// routeBufLen at a time while goOn(taken so far) says so, and calls fn for
// each kind as Take does. It returns how many it took and whether it
// stopped before the queue was empty.
func ReadRouted(fd int, fn func(sig, n int), goOn func(taken int) bool) (taken int, more bool) {
	var buf [routeBufLen * siginfoSize]byte
	var got [MaxSig + 1]int
	for {
		if !goOn(taken) {
			more = true
			break
		}
		n, e := rawSyscall6(sysRead, uintptr(fd), uintptr(unsafe.Pointer(&buf)), uintptr(len(buf)), 0, 0, 0)
		if e != 0 { // EAGAIN: nothing left
			break
		}
		k := int(n) / siginfoSize
		for i := range k {
			sig := *(*uint32)(unsafe.Pointer(&buf[i*siginfoSize]))
			if sig <= MaxSig {
				got[sig]++
			}
		}
		taken += k
		if k < routeBufLen {
			break // the queue was empty after these
		}
	}
	for s, n := range got {
		if n > 0 {
			fn(s, n)
		}
	}
	return taken, more
}

// Hold stops (hold true) or resumes handing sig to the signalfd fd that
// NewRouteFD made. While held, a routed sig waits in the kernel's queue
// (for a standard signal, one pending merges all that come after it and
// costs nothing more) until TakeQueued or a resumed read takes it.
func Hold(fd, sig int, hold bool) error {
	mask := routable(0)
	if hold {
		mask = routable(sig)
	}
	if _, e := rawSyscall6(sysSignalfd4, uintptr(fd), uintptr(unsafe.Pointer(&mask)), 8, 0, 0, 0); e != 0 {
		return &Error{Op: "signalfd4", Errno: e}
	}
	return nil
}

// TakeQueued takes sig from the kernel's queue if it is there (routed, so
// blocked on the calling thread) and reports whether it was.
func TakeQueued(sig int) bool {
	set := uint64(1) << (sig - 1)
	var info [siginfoSize]byte
	var poll [2]int64 // a zero timespec: never wait
	_, e := rawSyscall6(sysRtSigtimedwait, uintptr(unsafe.Pointer(&set)),
		uintptr(unsafe.Pointer(&info)), uintptr(unsafe.Pointer(&poll)), 8, 0, 0)
	return e == 0
}
