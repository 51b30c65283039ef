package testutil

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// Storm is a set of senders, each on its own OS thread, that signal one
// process as fast as they can until told to stop or until the process is
// gone. They signal through a pidfd, so that a PID reused after the
// process was reaped is never hit.
type Storm struct {
	stop chan struct{}
	wg   sync.WaitGroup
	sent atomic.Int64
	once sync.Once
}

// StartStorm starts one sender per signal list: sender i cycles through
// senders[i]. pid must be alive (it is opened as a pidfd here). The storm is
// stopped at the end of the test if not before.
func StartStorm(t testing.TB, pid int, senders ...[]unix.Signal) *Storm {
	t.Helper()
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		t.Fatalf("pidfd_open %d: %v", pid, err)
	}
	s := &Storm{stop: make(chan struct{})}
	for _, sigs := range senders {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			for i := 0; ; i++ {
				select {
				case <-s.stop:
					return
				default:
				}
				err := unix.PidfdSendSignal(fd, sigs[i%len(sigs)], nil, 0)
				switch {
				case err == nil:
					s.sent.Add(1)
				case errors.Is(err, unix.EAGAIN):
					// real-time signals queued up to RLIMIT_SIGPENDING: go on
				default:
					return // gone (ESRCH)
				}
			}
		}()
	}
	t.Cleanup(func() {
		s.Stop()
		unix.Close(fd)
	})
	return s
}

// Stop stops the senders and returns how many signals they sent.
func (s *Storm) Stop() int64 {
	s.once.Do(func() { close(s.stop) })
	s.wg.Wait()
	return s.sent.Load()
}

// Sent returns how many signals were sent so far.
func (s *Storm) Sent() int64 { return s.sent.Load() }

// Signals returns the signals from lo to hi, inclusive.
func Signals(lo, hi unix.Signal) []unix.Signal {
	var out []unix.Signal
	for s := lo; s <= hi; s++ {
		out = append(out, s)
	}
	return out
}
