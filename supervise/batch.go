package supervise

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/sigcatch"
)

// Batched reaping. In an orphan storm each exit brings a SIGCHLD, and a
// loop that wakes for each one pays a sleep and a wake-up per orphan, as
// tini does: that, not the reaping, is most of an init's CPU in a storm.
// Once two reaping turns come closer than batchMax, the loop stops waking
// for SIGCHLD (sigcatch.Hold: one pending SIGCHLD merges every later one in
// the kernel, at no cost) and reaps on a timer instead, every batch window,
// for as long as each window finds something to reap. The window adapts so
// that a batch holds about batchTarget zombies: a zombie waits at most one
// window (batchMax at the slowest storms) and a fast storm cannot pile up
// zombies (and PIDs) before they are reaped. Every other signal still wakes
// the loop at once, and batching stops as soon as the main child has
// exited, so that the shutdown notices each exit promptly.
// docs/design.md has the curve this choice comes from.
const (
	batchTarget = 8
	batchMin    = 500 * time.Microsecond
	batchMax    = 10 * time.Millisecond
)

// batcher is the state of batched reaping.
type batcher struct {
	on       bool
	window   time.Duration
	until    time.Time // the end of the current window, while on
	lastReap time.Time // the last turn that reaped something
	// failed is set once holding SIGCHLD failed: reaping stays per signal.
	failed bool
}

// batchDue is called at the start of a turn: at the end of a window it takes
// the SIGCHLD that waited in the kernel (counting it as received); with
// none there, no child ended in the window and batching ends.
func (s *state) batchDue(now time.Time) {
	b := &s.batch
	if !b.on || now.Before(b.until) {
		return
	}
	if sigcatch.TakeQueued(int(unix.SIGCHLD)) {
		s.owed[unix.SIGCHLD]++
		return
	}
	s.batchEnd()
}

// batchAfter is called once a turn has reaped (n processes): it starts a
// batch when reaping turns come close together, and sizes the next window
// from what the last one found.
func (s *state) batchAfter(n int, now time.Time) {
	b := &s.batch
	switch {
	case s.finished:
		s.batchEnd()
	case b.on && !now.Before(b.until):
		if n == 0 {
			s.batchEnd()
			break
		}
		b.window = min(max(b.window*batchTarget/time.Duration(n), batchMin), batchMax)
		b.until = now.Add(b.window)
	case !b.on && !b.failed && n > 0 && now.Sub(b.lastReap) < batchMax:
		if err := sigcatch.Hold(s.w.sfd, int(unix.SIGCHLD), true); err != nil {
			s.log.Printf(Debug, "reaping stays per signal: %v", err)
			b.failed = true
			break
		}
		b.on = true
		s.log.Printf(Trace, "reaping in batches from now on")
		if b.window == 0 {
			b.window = batchMax / 2
		}
		b.until = now.Add(b.window)
	}
	if n > 0 {
		b.lastReap = now
	}
}

// batchEnd goes back to waking for every SIGCHLD. One that came since the
// last reap is in the kernel's queue, where the next read of the signalfd
// finds it (the loop reads before it sleeps).
func (s *state) batchEnd() {
	b := &s.batch
	if !b.on {
		return
	}
	b.on = false
	s.log.Printf(Trace, "reaping at each SIGCHLD again")
	if err := sigcatch.Hold(s.w.sfd, int(unix.SIGCHLD), false); err != nil {
		// The signalfd still keeps SIGCHLD out: go on reaping on the
		// timer, and try again at the end of the next window.
		s.log.Errorf("cannot hand SIGCHLD to the loop again: %v", err)
		b.on, b.window = true, batchMin
		b.until = time.Now().Add(b.window)
	}
}

// batchDeadline returns the end of the current window, or zero.
func (s *state) batchDeadline() time.Time {
	if s.batch.on {
		return s.batch.until
	}
	return time.Time{}
}
