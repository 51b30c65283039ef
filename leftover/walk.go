package leftover

import (
	"errors"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/procfs"
)

// walk calls visit with each leftover as /proc is read, and stops when
// visit returns false. It visits nothing when /proc cannot be used. As
// PID 1 the leftovers are every process but the caller; otherwise the
// caller's descendants. Zombies are visited too, the caller's own
// children among them.
func (f *Finder) walk(visit func(procfs.Stat) bool) {
	if f.check() != nil {
		return
	}
	me := f.self.PID
	// known maps the descendants found so far, and the caller, to their
	// start times. A child never starts before its parent, so a parent
	// link that points to a younger process is stale: the parent's PID
	// was reused between the two reads.
	known := map[int]uint64{me: f.self.StartTime}
	ours := func(p procfs.Stat) bool {
		start, ok := known[p.PPID]
		return ok && start <= p.StartTime
	}
	var pending []procfs.Stat // parent not seen yet: it has a higher PID
	stopped := false
	_ = procfs.Walk(f.proc, func(pid int) bool {
		if pid == me {
			return true
		}
		p, err := procfs.ReadStat(f.proc, pid)
		if err != nil {
			return true // gone meanwhile
		}
		if f.pid1 {
			stopped = !visit(p)
			return !stopped
		}
		if !ours(p) {
			pending = append(pending, p)
			return true
		}
		known[p.PID] = p.StartTime
		stopped = !visit(p)
		return !stopped
	})
	for grew := true; grew && !stopped; {
		grew = false
		rest := pending[:0]
		for _, p := range pending {
			if stopped || !ours(p) {
				rest = append(rest, p)
				continue
			}
			known[p.PID] = p.StartTime
			grew = true
			stopped = !visit(p)
		}
		pending = rest
	}
}

// errGone is send's error for a process that ended, or whose PID now names
// another process, before it could be signalled.
var errGone = errors.New("process gone")

// send signals p, unless the process with p's PID is no longer p. The
// pidfd pins the process it was opened for; if p's start time is still
// the same after the pidfd exists, the pidfd is p's. Without pidfds (only
// allowed as PID 1, where every process is a leftover) it uses kill.
func (f *Finder) send(p procfs.Stat, sig unix.Signal) error {
	if !f.pidfd {
		return gone(unix.Kill(p.PID, sig))
	}
	fd, err := unix.PidfdOpen(p.PID, 0)
	if err != nil {
		return gone(err)
	}
	defer unix.Close(fd)
	now, err := procfs.ReadStat(f.proc, p.PID)
	if err != nil || now.StartTime != p.StartTime {
		return errGone
	}
	return gone(unix.PidfdSendSignal(fd, sig, nil, 0))
}

// gone turns ESRCH into errGone.
func gone(err error) error {
	if errors.Is(err, unix.ESRCH) {
		return errGone
	}
	return err
}
