package supervise

import (
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/sigcatch"
)

// waiter is how the loop sleeps: in the runtime's network poller, on an
// epoll set of its own that holds sigcatch's signalfd (the routed signals)
// and eventfd (the signals the handler took) and a timerfd for deadlines,
// so that while sexton waits no thread is held in a system call and the
// runtime sleeps with it. Deadlines are not the runtime's timers: with a
// timer pending, the runtime's monitor thread wakes when it is due, one
// more wake-up for each (which batched reaping would pay every window).
type waiter struct {
	sfd   int // the signalfd, from sigcatch.NewRouteFD
	tfd   int // the timerfd
	armed time.Time
	f     *os.File
	conn  syscall.RawConn
	// more is set when the last read of the signalfd stopped before the
	// kernel's queue was empty.
	more bool
}

// open makes the signalfd and the epoll set (before the child starts: a
// shortage of file descriptors must stop sexton before it starts anything).
func (w *waiter) open() error {
	sfd, err := sigcatch.NewRouteFD()
	if err != nil {
		return err
	}
	opened := []int{sfd}
	fail := func(op string, err error) error {
		for _, fd := range opened {
			unix.Close(fd)
		}
		return os.NewSyscallError(op, err)
	}
	tfd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_CLOEXEC|unix.TFD_NONBLOCK)
	if err != nil {
		return fail("timerfd_create", err)
	}
	opened = append(opened, tfd)
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return fail("epoll_create1", err)
	}
	opened = append(opened, ep)
	for _, fd := range []int{sfd, sigcatch.WakeFD(), tfd} {
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
		if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
			return fail("epoll_ctl", err)
		}
	}
	if err := unix.SetNonblock(ep, true); err != nil {
		return fail("fcntl", err)
	}
	w.sfd, w.tfd = sfd, tfd
	w.f = os.NewFile(uintptr(ep), "signals")
	w.conn, err = w.f.SyscallConn()
	return err
}

// take hands what is queued on the signalfd to fn, within one turn's share
// (drainSlice), and reports whether it took any.
func (w *waiter) take(fn func(sig, n int)) bool {
	n, more := sigcatch.ReadRouted(w.sfd, fn, drainSlice())
	w.more = more
	return n > 0
}

// wait returns once a signal has arrived since the last wait (at once if
// one has), handing the routed ones to fn, or when deadline passes; a zero
// deadline means none.
func (w *waiter) wait(deadline time.Time, fn func(sig, n int)) error {
	if sigcatch.Woken() {
		w.clearWake()
		return nil
	}
	if w.due(deadline) {
		return nil
	}
	if !deadline.Equal(w.armed) {
		if err := w.arm(deadline); err != nil {
			return err
		}
	}
	return w.conn.Read(func(uintptr) bool {
		if sigcatch.Woken() {
			w.clearWake()
			return true
		}
		return w.take(fn) || w.more || w.due(deadline)
	})
}

// due reports whether deadline (zero: none) has passed.
func (w *waiter) due(deadline time.Time) bool {
	return !deadline.IsZero() && !time.Now().Before(deadline)
}

// arm sets the timerfd to go off at deadline (zero: never). Setting it
// also clears an expiry not read yet. The timer runs on CLOCK_MONOTONIC,
// the clock of time.Now's monotonic reading, and is set relative to a
// time.Now taken before the call, so it never goes off before deadline.
func (w *waiter) arm(deadline time.Time) error {
	var spec unix.ItimerSpec
	if !deadline.IsZero() {
		d := time.Until(deadline)
		spec.Value = unix.NsecToTimespec(max(d.Nanoseconds(), 1))
	}
	_, _, e := unix.RawSyscall6(unix.SYS_TIMERFD_SETTIME, uintptr(w.tfd), 0, uintptr(unsafe.Pointer(&spec)), 0, 0, 0)
	if e != 0 {
		return os.NewSyscallError("timerfd_settime", e)
	}
	w.armed = deadline
	return nil
}

// clearWake empties the eventfd, which the handler wrote (or is about to
// write: then the count stays for the next clearWake, and the write wakes
// the poller once more). Raw, as every call of the loop: the scheduler's
// system-call path would wake the runtime's monitor thread.
func (w *waiter) clearWake() {
	var n uint64
	unix.RawSyscall(unix.SYS_READ, uintptr(sigcatch.WakeFD()), uintptr(unsafe.Pointer(&n)), 8)
}
