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
	return len(s.others()) > 0
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
	others := s.others() // counted before: SIGKILL leaves nothing to count
	if s.pid1 && skip == 0 {
		if err := unix.Kill(-1, sig); err != nil {
			return 0
		}
		return len(others)
	}
	n := 0
	for _, p := range others {
		if p.PGRP != skip && unix.Kill(p.PID, sig) == nil {
			n++
		}
	}
	return n
}

// others lists the living processes besides sexton: as PID 1 everything in
// the namespace's /proc, otherwise sexton's descendants. Zombies that are
// sexton's own children are left out: they only wait to be reaped.
func (s *state) others() []procfs.Stat {
	table, err := procfs.Scan("/proc")
	if err != nil {
		s.log.Printf(Debug, "cannot read /proc: %v", err)
		return nil
	}
	me := os.Getpid()
	alive := table[:0]
	for _, p := range table {
		if p.PID != me && (p.State != 'Z' || p.PPID != me) {
			alive = append(alive, p)
		}
	}
	if s.pid1 {
		return alive
	}
	keep := map[int]bool{}
	for _, pid := range procfs.Descendants(alive, me) {
		keep[pid] = true
	}
	out := alive[:0]
	for _, p := range alive {
		if keep[p.PID] {
			out = append(out, p)
		}
	}
	return out
}
