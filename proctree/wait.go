package proctree

import (
	"errors"
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// Wait is cmd.Wait for the direct child, with os/exec's rules: it waits
// for the child to exit and for the copying of its standard streams to
// end, then closes the pipes made by StdinPipe, StdoutPipe and
// StderrPipe. So, as with os/exec, read those pipes to the end before
// calling Wait. Like cmd.Wait it can block for as long as a descendant
// holds the child's output open (bounded by cmd.WaitDelay); Done tells
// when the child itself has exited. Wait may be called more than once and
// concurrently: every call returns the first call's result. It does not
// wait for the rest of the tree: Stop does that.
func (t *Tree) Wait() error {
	t.waitOnce.Do(func() {
		t.waitErr = t.cmd.Wait()
		t.markExited()
	})
	return t.waitErr
}

// Done returns a channel that is closed once the direct child has exited
// (it may not have been reaped yet: Wait does that). Use it to wait with a
// select, a timeout or a context.
func (t *Tree) Done() <-chan struct{} { return t.exited }

// Members returns the live processes of the tree, ordered by pid: in
// Cgroup mode those in its cgroup, in ProcessGroup mode those that a fresh
// scan of /proc finds by the membership rules.
func (t *Tree) Members() []Proc {
	var out []Proc
	for _, m := range t.refresh() {
		if !m.zombie {
			out = append(out, m.Proc)
		}
	}
	sortProcs(out)
	return out
}

// Signal sends sig to every live process of the tree (and to its process
// group) and returns how many processes it signalled. After Stop has
// begun it does nothing.
func (t *Tree) Signal(sig syscall.Signal) (int, error) {
	ms := t.refresh()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopping {
		return 0, nil
	}
	t.signalGroupLocked(sig)
	n := 0
	var errs []error
	for _, m := range ms {
		if m.zombie || m.fd < 0 {
			continue
		}
		if err := m.signal(sig); err != nil && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, fmt.Errorf("proctree: signal %v: %w", m.Proc, err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// signalGroupLocked signals the command's process group while a known
// member holds the group id (see anchoredLocked).
func (t *Tree) signalGroupLocked(sig syscall.Signal) {
	if t.pgid > 0 && t.anchoredLocked(t.pgid) {
		_ = unix.Kill(-t.pgid, sig)
	}
}
