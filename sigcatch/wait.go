package sigcatch

import (
	"errors"
	"os"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

var (
	wakeFile *os.File
	wakeConn syscall.RawConn
)

// Wait returns once a signal has arrived since the last Wait (at once if
// one has), or when deadline passes; a zero deadline means none. It blocks
// only in the runtime's network poller, so while sexton waits no thread is
// held in a system call and the runtime sleeps with it.
func Wait(deadline time.Time) error {
	if atomic.SwapUint32(&awake, 0) != 0 {
		return nil
	}
	if wakeConn == nil {
		if err := pollWake(); err != nil {
			return err
		}
	}
	if err := wakeFile.SetReadDeadline(deadline); err != nil {
		return err
	}
	err := wakeConn.Read(func(fd uintptr) bool {
		var n uint64
		// Raw: entering the scheduler's system-call path would wake the
		// runtime's monitor thread on every signal.
		_, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&n)), 8)
		return e != unix.EAGAIN
	})
	atomic.StoreUint32(&awake, 0)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return nil
	}
	return err
}

// pollWake hands the eventfd to the network poller.
func pollWake() error {
	if !installed {
		return errors.New("sigcatch: Wait before Install")
	}
	wakeFile = os.NewFile(uintptr(wakeFD), "sigcatch")
	rc, err := wakeFile.SyscallConn()
	if err != nil {
		return err
	}
	wakeConn = rc
	return nil
}
