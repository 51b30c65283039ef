package supervise

import (
	"errors"
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/sigcatch"
)

// waiter is how the loop sleeps: in the runtime's network poller, on
// sigcatch's eventfd, so that while sexton waits no thread is held in a
// system call and the runtime sleeps with it.
type waiter struct {
	f    *os.File
	conn syscall.RawConn
}

// wait returns once a signal has arrived since the last wait (at once if
// one has), or when deadline passes; a zero deadline means none.
func (w *waiter) wait(deadline time.Time) error {
	if sigcatch.Woken() {
		return nil
	}
	if w.conn == nil {
		w.f = os.NewFile(uintptr(sigcatch.WakeFD()), "sigcatch")
		rc, err := w.f.SyscallConn()
		if err != nil {
			return err
		}
		w.conn = rc
	}
	if err := w.f.SetReadDeadline(deadline); err != nil {
		return err
	}
	err := w.conn.Read(func(fd uintptr) bool {
		var n uint64
		// Raw: the scheduler's system-call path would wake the runtime's
		// monitor thread on every signal.
		_, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&n)), 8)
		return e != unix.EAGAIN
	})
	sigcatch.Woken()
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return nil
	}
	return err
}
