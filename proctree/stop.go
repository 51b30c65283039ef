package proctree

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Wait waits for the direct child to exit and returns what cmd.Wait
// returned. It does not wait for the rest of the tree: Stop does that.
func (t *Tree) Wait() error {
	<-t.waitDone
	return t.waitErr
}

// Members rescans /proc and returns the processes of the tree that exist
// now (zombies included), ordered by pid.
func (t *Tree) Members() []Proc {
	t.mu.Lock()
	defer t.mu.Unlock()
	ms := t.refreshLocked()
	out := make([]Proc, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.Proc)
	}
	sortProcs(out)
	return out
}

// Signal sends sig to every live process of the tree (and to its process
// group) and returns how many processes it signalled.
func (t *Tree) Signal(sig syscall.Signal) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ms := t.refreshLocked()
	if t.pgid > 0 && t.leaders[t.pgid] {
		_ = unix.Kill(-t.pgid, sig)
	}
	n := 0
	var errs []error
	for _, m := range ms {
		if m.state == 'Z' {
			continue
		}
		if err := m.signal(sig); err != nil && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, fmt.Errorf("signal %v: %w", m.Proc, err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// Stop stops the tree: it sends the polite signal (SIGTERM, then SIGCONT) to
// every process of the tree, waits until they have all exited or the grace
// period has passed or ctx is done, SIGKILLs the rest (cgroup.kill, or
// freeze-kill-thaw, in Cgroup mode), reaps the orphans among them by pid,
// removes the cgroup, and reports. It returns an error only if processes
// survived. Stop may be called many times and concurrently: the first call
// does the work and the others wait for its report (or for their ctx).
func (t *Tree) Stop(ctx context.Context) (*Report, error) {
	go t.stopOnce.Do(func() {
		t.report, t.stopErr = t.stop(ctx)
		close(t.stopDone)
	})
	select {
	case <-t.stopDone:
		return t.report, t.stopErr
	case <-ctx.Done():
		select {
		case <-t.stopDone:
			return t.report, t.stopErr
		default:
			return nil, ctx.Err()
		}
	}
}

func (t *Tree) stop(ctx context.Context) (*Report, error) {
	t.mu.Lock()
	t.stopping = true
	t.seen = map[Proc]bool{}
	t.killed = map[Proc]bool{}
	termed := map[Proc]bool{}
	t.mu.Unlock()

	deadline := time.Now().Add(t.grace)
	poll := time.Millisecond
	nextPoll := func() time.Duration {
		if poll < 50*time.Millisecond {
			poll *= 2
		}
		return poll
	}

	// Phase 1: the polite signal, then wait for the grace period.
	first := true
	for {
		t.mu.Lock()
		ms := t.refreshLocked()
		if first && t.pgid > 0 && t.leaders[t.pgid] {
			_ = unix.Kill(-t.pgid, t.sig)
			_ = unix.Kill(-t.pgid, unix.SIGCONT)
		}
		first = false
		live := 0
		for _, m := range ms {
			if m.state == 'Z' {
				continue
			}
			live++
			if !termed[m.Proc] {
				termed[m.Proc] = true
				_ = m.signal(t.sig)
				_ = m.signal(unix.SIGCONT)
			}
		}
		t.reapLocked(ms)
		t.mu.Unlock()
		if live == 0 || !time.Now().Before(deadline) || ctx.Err() != nil {
			break
		}
		d := min(nextPoll(), time.Until(deadline))
		select {
		case <-ctx.Done():
		case <-time.After(d):
		}
	}

	// Phase 2: SIGKILL whatever is alive, until nothing of the tree is
	// left, zombies included.
	var errs []error
	killDeadline := time.Now().Add(killWait)
	cgKilled := false
	poll = time.Millisecond
	var left []*memberState
	for {
		t.mu.Lock()
		ms := t.refreshLocked()
		live := 0
		for _, m := range ms {
			if m.state != 'Z' {
				live++
			}
		}
		if live > 0 && t.cg != nil && !cgKilled {
			cgKilled = true
			pids, err := t.cg.kill(t.self)
			if err != nil {
				errs = append(errs, err)
			}
			for _, pid := range pids {
				if m := t.known[pid]; m != nil {
					t.killed[m.Proc] = true
				}
			}
		}
		if live > 0 && t.pgid > 0 && t.leaders[t.pgid] {
			_ = unix.Kill(-t.pgid, unix.SIGKILL)
		}
		for _, m := range ms {
			if m.state != 'Z' {
				t.killed[m.Proc] = true
				_ = m.signal(unix.SIGKILL)
			}
		}
		t.reapLocked(t.refreshLocked())
		left = t.refreshLocked()
		t.mu.Unlock()
		if len(left) == 0 || !time.Now().Before(killDeadline) {
			break
		}
		time.Sleep(nextPoll())
	}

	close(t.quit)
	<-t.monitorDone

	t.mu.Lock()
	defer t.mu.Unlock()
	rep := &Report{Mode: t.mode, Reaped: append([]Proc(nil), t.reaped...)}
	if t.cg != nil {
		rep.Cgroup = t.cg.dir
		if err := t.cg.remove(); err != nil {
			errs = append(errs, err)
		}
	}
	for p := range t.seen {
		rep.Procs = append(rep.Procs, p)
		if t.killed[p] {
			rep.Killed = append(rep.Killed, p)
		} else {
			rep.Exited = append(rep.Exited, p)
		}
	}
	for _, m := range left {
		rep.Survivors = append(rep.Survivors, m.Proc)
	}
	for _, l := range [][]Proc{rep.Procs, rep.Exited, rep.Killed, rep.Survivors} {
		sortProcs(l)
	}
	for pid, m := range t.known {
		if m.fd >= 0 {
			unix.Close(m.fd)
		}
		delete(t.known, pid)
	}
	if len(rep.Survivors) > 0 {
		errs = append(errs, fmt.Errorf("proctree: %d processes survived SIGKILL: %v", len(rep.Survivors), rep.Survivors))
	}
	return rep, errors.Join(errs...)
}
