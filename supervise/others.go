package supervise

import (
	"fmt"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/procfs"
)

// The processes left after the main child exits are found and signalled by
// package leftover (s.left): as PID 1 everything else in the namespace,
// otherwise sexton's own descendants, proven so before each signal. These
// are the loop's words for it.

// sweepLimit bounds how long sexton keeps sweeping with SIGKILL for
// leftovers that fork faster than they are killed.
const sweepLimit = 2 * time.Second

// othersLeft reports whether any process besides sexton remains to wait
// for. When they cannot be found safely it says so once and reports none.
// As PID 1 that is kill(-1, 0), which needs no /proc.
func (s *state) othersLeft() bool {
	if s.pid1 {
		return s.left.Any()
	}
	if err := s.left.Problem(); err != nil {
		s.log.Warnf("cannot find the processes left by the main child, so none were stopped: %v", err)
	}
	return s.left.Any()
}

// signalOthers sends sig to every remaining process and says how many there
// were. The shutdown's SIGTERM skips the child's process group when the
// relay already sent it SIGTERM (with -g): a second SIGTERM means "hurry"
// to many programs.
func (s *state) signalOthers(sig unix.Signal) int {
	skip := 0
	if sig == unix.SIGTERM && s.termedGroup {
		skip = s.child
	}
	return s.left.Signal(sig, skip)
}

// continueOthers sends SIGCONT to the remaining processes that are stopped,
// so that they act on the SIGTERM just sent instead of dying stopped at the
// end of the grace period, as systemd does.
func (s *state) continueOthers() {
	if n := s.left.Continue(); n > 0 {
		s.log.Printf(Info, "sent SIGCONT to %d stopped process(es)", n)
	}
}

// killOthers sends SIGKILL to every remaining process, sweeping again while
// they fork, and says how many it killed and which it could not.
func (s *state) killOthers() int {
	n, failed := s.left.Kill(sweepLimit)
	if len(failed) > 0 {
		s.log.Warnf("could not send SIGKILL to %d process(es): %s", len(failed), describe(failed))
	}
	return n
}

// describe names up to ten processes as "PID (command)".
func describe(ps []procfs.Stat) string {
	var names []string
	for i, p := range ps {
		if i == 10 {
			names = append(names, fmt.Sprintf("and %d more", len(ps)-i))
			break
		}
		names = append(names, fmt.Sprintf("%d (%s)", p.PID, p.Comm))
	}
	return strings.Join(names, ", ")
}
