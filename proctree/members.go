package proctree

import (
	"fmt"
	"os"
	"os/signal"
	"sort"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/procfs"
)

// monitor keeps membership fresh and reaps orphaned members while the tree
// runs. It ends at Stop, or when nothing of the tree is left.
func (t *Tree) monitor() {
	defer close(t.monitorDone)
	chld := make(chan os.Signal, 1)
	signal.Notify(chld, unix.SIGCHLD)
	defer signal.Stop(chld)
	var tick <-chan time.Time
	if t.scan > 0 {
		tk := time.NewTicker(t.scan)
		defer tk.Stop()
		tick = tk.C
	}
	for {
		select {
		case <-t.quit:
			return
		case <-chld:
		case <-tick:
		}
		t.mu.Lock()
		ms := t.refreshLocked()
		t.reapLocked(ms)
		// Nothing left (the direct child reaped, no orphans): nothing can
		// join the tree any more.
		done := len(ms) == 0 && len(t.refreshLocked()) == 0
		t.mu.Unlock()
		if done {
			return
		}
	}
}

// memberState is a member as found by the latest scan.
type memberState struct {
	*member
	state byte
	ppid  int
}

// track opens a pidfd for p and checks that it still names p.
func track(p Proc) *member {
	m := &member{Proc: p, fd: -1}
	fd, err := unix.PidfdOpen(p.PID, 0)
	if err != nil {
		return m
	}
	if s, err := procfs.ReadStat("/proc", p.PID); err != nil || s.StartTime != p.StartTime {
		unix.Close(fd)
		return m // gone already; signals would go to a stranger
	}
	m.fd = fd
	return m
}

func (t *Tree) forgetLocked(m *member) {
	if m.fd >= 0 {
		unix.Close(m.fd)
		m.fd = -1
	}
	delete(t.known, m.PID)
}

func (t *Tree) isRoot(s procfs.Stat) bool {
	return s.PID == t.root.PID && s.StartTime == t.root.StartTime
}

// refreshLocked scans /proc, updates the membership and returns the
// members present now. See the package doc for the membership rules.
func (t *Tree) refreshLocked() []*memberState {
	table, err := procfs.Scan("/proc")
	if err != nil {
		return nil
	}
	byPID := make(map[int]procfs.Stat, len(table))
	children := map[int][]int{}
	inUse := map[int]bool{} // pgids and sids in use
	for _, s := range table {
		byPID[s.PID] = s
		children[s.PPID] = append(children[s.PPID], s.PID)
		inUse[s.PGRP] = true
		inUse[s.Session] = true
	}
	for l := range t.leaders {
		if !inUse[l] { // the group or session ended: its id may be reused
			delete(t.leaders, l)
		}
	}
	for p := range t.untagged {
		if s, ok := byPID[p.PID]; !ok || s.StartTime != p.StartTime {
			delete(t.untagged, p)
		}
	}

	in := map[int]bool{}
	var queue []int
	add := func(pid int) {
		if pid != t.self && !in[pid] {
			in[pid] = true
			queue = append(queue, pid)
		}
	}
	for pid, m := range t.known {
		if s, ok := byPID[pid]; ok && s.StartTime == m.StartTime {
			add(pid)
		} else {
			t.forgetLocked(m)
		}
	}
	if t.cg != nil {
		if pids, err := t.cg.procs(); err == nil {
			for _, pid := range pids {
				if _, ok := byPID[pid]; ok {
					add(pid)
				}
			}
		}
	}
	for _, s := range table {
		switch {
		case s.PID == t.self || in[s.PID]:
		case t.leaders[s.PGRP] || t.leaders[s.Session]:
			add(s.PID)
		case s.PPID == t.self && t.tag != "" && !t.isRoot(s):
			p := Proc{PID: s.PID, Comm: s.Comm, StartTime: s.StartTime}
			if t.untagged[p] {
				break
			}
			if hasEnv(s.PID, t.tag) {
				add(s.PID)
			} else {
				t.untagged[p] = true
			}
		}
	}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			add(c)
		}
	}

	out := make([]*memberState, 0, len(in))
	for pid := range in {
		s := byPID[pid]
		m := t.known[pid]
		if m == nil {
			m = track(Proc{PID: pid, Comm: s.Comm, StartTime: s.StartTime})
			t.known[pid] = m
		}
		if s.Session == s.PID || s.PGRP == s.PID {
			t.leaders[s.PID] = true
		}
		if t.stopping && s.State != 'Z' {
			t.seen[m.Proc] = true
		}
		out = append(out, &memberState{member: m, state: s.State, ppid: s.PPID})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out
}

// reapLocked reaps the zombie members that are our children, except the
// direct child (cmd.Wait reaps that), one by one through their pidfds.
func (t *Tree) reapLocked(ms []*memberState) {
	for _, m := range ms {
		if m.state != 'Z' || m.ppid != t.self || (m.PID == t.root.PID && m.StartTime == t.root.StartTime) {
			continue
		}
		var err error
		if m.fd >= 0 {
			var info unix.Siginfo
			err = unix.Waitid(unix.P_PIDFD, m.fd, &info, unix.WEXITED|unix.WNOHANG, nil)
			if err == nil && info.Signo == 0 {
				continue // not reapable yet
			}
		} else {
			var ws unix.WaitStatus
			var pid int
			pid, err = unix.Wait4(m.PID, &ws, unix.WNOHANG, nil)
			if err == nil && pid != m.PID {
				continue
			}
		}
		if err == nil {
			t.reaped = append(t.reaped, m.Proc)
			t.forgetLocked(m.member)
		}
	}
}

// hasEnv reports whether the environment of pid holds the entry kv.
func hasEnv(pid int, kv string) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		return false
	}
	for len(b) > 0 {
		i := 0
		for i < len(b) && b[i] != 0 {
			i++
		}
		if string(b[:i]) == kv {
			return true
		}
		if i == len(b) {
			break
		}
		b = b[i+1:]
	}
	return false
}

func sortProcs(ps []Proc) {
	sort.Slice(ps, func(i, j int) bool { return ps[i].PID < ps[j].PID })
}
