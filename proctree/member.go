package proctree

import (
	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/procfs"
)

// member is a process known to belong to the tree, held by a pidfd so
// that a reused pid is never signalled. Its fd is used and closed only
// under the tree's mu.
type member struct {
	Proc
	fd         int
	pgrp, sess int // its process group and session when it was found
}

// track opens a pidfd for p and checks, after opening it, that p.PID still
// names the process that started at p.StartTime: if the pid had been
// reused in between, the pidfd would name the newcomer, and the newcomer
// would then not have p's start time. It returns nil if p is gone.
func track(p Proc) *member {
	fd, err := unix.PidfdOpen(p.PID, 0)
	if err != nil {
		return nil
	}
	s, err := procfs.ReadStat("/proc", p.PID)
	if err != nil || s.StartTime != p.StartTime {
		unix.Close(fd)
		return nil
	}
	return &member{Proc: p, fd: fd, pgrp: s.PGRP, sess: s.Session}
}

func (m *member) signal(sig unix.Signal) error {
	return unix.PidfdSendSignal(m.fd, sig, nil, 0)
}

// dead reports whether the process has exited (it may be a zombie): a
// pidfd becomes readable when its process exits.
func (m *member) dead() bool {
	fds := []unix.PollFd{{Fd: int32(m.fd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, 0)
		if err == unix.EINTR {
			continue
		}
		return err == nil && n > 0
	}
}

func (m *member) close() {
	if m.fd >= 0 {
		unix.Close(m.fd)
		m.fd = -1
	}
}

// forgetLocked drops a member that has gone.
// The root's pidfd stays open until Stop ends: Done watches it.
func (t *Tree) forgetLocked(m *member) {
	if t.known[m.PID] == m {
		delete(t.known, m.PID)
	}
	if m != t.root {
		m.close()
	}
}

// anchoredLocked reports whether the process group or session id is
// still the tree's: a member that belonged to it still exists (alive or
// a zombie), so the id cannot have been reused. Acting on a group or
// session on the strength of the id alone could, after a pid wrap-around,
// hit strangers.
func (t *Tree) anchoredLocked(id int) bool {
	for _, m := range t.known {
		if m.pgrp != id && m.sess != id {
			continue
		}
		if s, err := procfs.ReadStat("/proc", m.PID); err == nil && s.StartTime == m.StartTime {
			return true
		}
	}
	if r := t.root; r.pgrp == id || r.sess == id {
		s, err := procfs.ReadStat("/proc", r.PID)
		return err == nil && s.StartTime == r.StartTime
	}
	return false
}
