package proctree

import (
	"sort"
	"time"

	"github.com/sexton-init/sexton/internal/adopter"
	"github.com/sexton-init/sexton/procfs"
)

// present is a member as the latest look found it.
type present struct {
	*member
	zombie bool
}

// refresh brings the membership up to date, in the way of the tree's
// mode, and returns the members present now. It takes mu itself; a
// ProcessGroup tree first gets a snapshot of /proc begun after the call.
func (t *Tree) refresh() []present {
	select {
	case <-t.stopDone:
		return nil // stopped: nothing is tracked any more
	default:
	}
	if t.cg != nil {
		t.mu.Lock()
		defer t.mu.Unlock()
		return t.refreshCgroupLocked()
	}
	snap, err := scans.fresh(time.Now())
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		return t.knownLocked()
	}
	return t.refreshScanLocked(snap)
}

// knownLocked returns the members as last known, when /proc cannot be
// read.
func (t *Tree) knownLocked() []present {
	var out []present
	for _, m := range t.known {
		if !m.dead() {
			out = append(out, present{member: m})
		}
	}
	return out
}

// refreshCgroupLocked takes the membership from cgroup.procs: every
// process in the cgroup is a member, and nothing else is. Zombies are not
// listed there; known members that became zombies of ours stay known
// until they are reaped.
func (t *Tree) refreshCgroupLocked() []present {
	pids, err := t.cg.procs()
	if err != nil {
		return t.knownLocked()
	}
	listed := make(map[int]bool, len(pids))
	var out []present
	for _, pid := range pids {
		listed[pid] = true
		m := t.known[pid]
		if m != nil && m.dead() { // the pid was reused inside the cgroup
			t.forgetLocked(m)
			m = nil
		}
		if m == nil {
			s, err := procfs.ReadStat("/proc", pid)
			if err != nil {
				continue // gone already
			}
			if m = track(Proc{PID: pid, Comm: s.Comm, StartTime: s.StartTime}); m == nil {
				continue
			}
			t.known[pid] = m
		}
		out = append(out, present{member: m})
	}
	for pid, m := range t.known {
		if !listed[pid] && m.dead() && !t.ownZombie(m) {
			t.forgetLocked(m)
		}
	}
	t.noteLocked(out)
	return out
}

// ownZombie reports whether m is a zombie child of the caller, still to
// be reaped (and so still to be recognised, see reapIfMember).
func (t *Tree) ownZombie(m *member) bool {
	s, err := procfs.ReadStat("/proc", m.PID)
	return err == nil && s.StartTime == m.StartTime && s.State == 'Z' && s.PPID == t.self
}

// refreshScanLocked applies the ProcessGroup rules to a snapshot. A
// process is a member if it is (a) the direct child, (b) in its process
// group, (c) in a session or process group whose leader was a member, (d)
// an orphan, adopted by the caller, by the supervisor recorded in package
// adopter or by PID 1, whose environment carries the tree's tag, (e) a
// member seen before, identified by pid and start time, or (f) a child of
// a member.
func (t *Tree) refreshScanLocked(snap *snapshot) []present {
	for l, start := range t.leaders {
		// The id is no longer the tree's when its group or session ended
		// (the id may then be reused), or when a newcomer holds the pid
		// (a reused id as pgid or sid needs a new process with that pid).
		s, ok := snap.procs[l]
		if ok && s.StartTime != start || !ok && len(snap.joined[l]) == 0 {
			delete(t.leaders, l)
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
		if s, ok := snap.procs[pid]; ok && s.StartTime == m.StartTime {
			add(pid)
		} else {
			t.forgetLocked(m)
		}
	}
	for l := range t.leaders {
		for _, pid := range snap.joined[l] {
			add(pid)
		}
	}
	if t.tag != "" {
		for _, adoptive := range []int{t.self, adopter.PID(), 1} {
			if adoptive == 0 {
				continue
			}
			for _, pid := range snap.children[adoptive] {
				s := snap.procs[pid]
				if !in[pid] && s.State != 'Z' && !t.rootLocked(s) &&
					tags.of(Proc{PID: pid, StartTime: s.StartTime}) == t.tag {
					add(pid)
				}
			}
		}
	}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range snap.children[p] {
			add(c)
		}
	}

	out := make([]present, 0, len(in))
	for pid := range in {
		s := snap.procs[pid]
		m := t.known[pid]
		if m == nil {
			if m = track(Proc{PID: pid, Comm: s.Comm, StartTime: s.StartTime}); m == nil {
				continue // gone since the scan
			}
			t.known[pid] = m
		}
		if s.Session == s.PID || s.PGRP == s.PID {
			t.leaders[s.PID] = s.StartTime
		}
		out = append(out, present{member: m, zombie: s.State == 'Z'})
	}
	t.noteLocked(out)
	return out
}

// rootLocked reports whether s is the direct child.
func (t *Tree) rootLocked(s procfs.Stat) bool {
	return s.PID == t.root.PID && s.StartTime == t.root.StartTime
}

// noteLocked records, during Stop, the members found alive.
func (t *Tree) noteLocked(ms []present) {
	if !t.stopping {
		return
	}
	for _, m := range ms {
		if !m.zombie {
			t.seen[m.Proc] = true
		}
	}
}

// live counts the members that are not zombies.
func live(ms []present) int {
	n := 0
	for _, m := range ms {
		if !m.zombie {
			n++
		}
	}
	return n
}

func sortProcs(ps []Proc) {
	sort.Slice(ps, func(i, j int) bool { return ps[i].PID < ps[j].PID })
}
