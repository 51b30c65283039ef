package supervise

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/procfs"
)

// The processes left after the main child exits are, as PID 1, everything
// else in the PID namespace (kill(-1) reaches exactly those), and otherwise
// sexton's own descendants, found in /proc; sexton never signals -1 unless
// it is PID 1 of its namespace.

// othersLeft reports whether any process besides sexton remains to wait for.
func (s *state) othersLeft() bool {
	if s.pid1 {
		err := unix.Kill(-1, 0)
		return !errors.Is(err, unix.ESRCH)
	}
	return len(s.descendants()) > 0
}

// signalOthers sends sig to every remaining process and says how many there
// were (as PID 1, counted in /proc: kill(-1) does not say).
func (s *state) signalOthers(sig unix.Signal) int {
	if s.pid1 {
		if err := unix.Kill(-1, sig); err != nil {
			return 0
		}
		pids, err := procfs.PIDs("/proc")
		if err != nil {
			return 1
		}
		return len(pids) - 1
	}
	n := 0
	for _, pid := range s.descendants() {
		if unix.Kill(pid, sig) == nil {
			n++
		}
	}
	return n
}

// descendants lists sexton's living descendants; zombies are left to reap.
func (s *state) descendants() []int {
	table, err := procfs.Scan("/proc")
	if err != nil {
		s.log.Printf(Debug, "cannot read /proc: %v", err)
		return nil
	}
	alive := table[:0]
	for _, st := range table {
		if st.State != 'Z' || st.PPID != os.Getpid() {
			alive = append(alive, st)
		}
	}
	return procfs.Descendants(alive, os.Getpid())
}
