package proctree

import (
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/procfs"
)

// adoptsOrphans reports whether orphans can be reparented to the calling
// process: it is PID 1 or a child subreaper.
func adoptsOrphans() bool {
	if os.Getpid() == 1 {
		return true
	}
	on, _ := isSubreaper()
	return on
}

// ownChildren lists the children of every thread of the calling process,
// zombies included.
func ownChildren() []int {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil
	}
	var out []int
	for _, task := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + task.Name() + "/children")
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil {
				out = append(out, pid)
			}
		}
	}
	return out
}

// reapOrphans reaps the zombie children of the caller that are members of
// one of trees, one at a time through a pidfd, never with wait(-1): the
// exit status of any other child (one that os/exec waits for, say) is
// left to its owner. Direct children of trees are left to Tree.Wait.
func reapOrphans(trees []*Tree) {
	if len(trees) == 0 || !adoptsOrphans() {
		return
	}
	self := os.Getpid()
	for _, pid := range ownChildren() {
		s, err := procfs.ReadStat("/proc", pid)
		if err != nil || s.State != 'Z' || s.PPID != self || isRoot(trees, s) {
			continue
		}
		for _, t := range trees {
			if t.reapIfMember(s) {
				break
			}
		}
	}
}

func isRoot(trees []*Tree, s procfs.Stat) bool {
	for _, t := range trees {
		if s.PID == t.root.PID && s.StartTime == t.root.StartTime {
			return true
		}
	}
	return false
}

// reapIfMember reaps the zombie child s if it is a member of the tree: a
// member seen alive, a process of a member's group or session (see
// leaderLocked), or, on
// cgroup v2, a process of the tree's cgroup (a zombie keeps its v2 cgroup;
// on v1 it moves to the root cgroup, so only the first two rules hold).
func (t *Tree) reapIfMember(s procfs.Stat) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.known[s.PID]
	if m != nil && m.StartTime != s.StartTime {
		m = nil
	}
	if m == nil && !t.leaderLocked(s.PGRP) && !t.leaderLocked(s.Session) && !t.cg.holdsZombie(s.PID) {
		return false
	}
	p := Proc{PID: s.PID, Comm: s.Comm, StartTime: s.StartTime}
	if reapZombie(p) {
		t.reaped = append(t.reaped, p)
	}
	if m != nil {
		t.forgetLocked(m)
	}
	return true
}

// leaderLocked reports whether id is the process group or session of a
// member, still held by one (see anchoredLocked).
func (t *Tree) leaderLocked(id int) bool {
	_, ok := t.leaders[id]
	return ok && t.anchoredLocked(id)
}

// reapZombie reaps the zombie child p through a pidfd, so that if p was
// reaped and its pid reused meanwhile, nothing else is reaped.
func reapZombie(p Proc) bool {
	fd, err := unix.PidfdOpen(p.PID, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	if s, err := procfs.ReadStat("/proc", p.PID); err != nil || s.StartTime != p.StartTime {
		return false
	}
	var info unix.Siginfo
	for {
		err = unix.Waitid(unix.P_PIDFD, fd, &info, unix.WEXITED|unix.WNOHANG, nil)
		if err != unix.EINTR {
			break
		}
	}
	return err == nil && info.Signo != 0
}
