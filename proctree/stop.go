package proctree

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// Stop stops the tree and reports what it did. The first call to Stop or
// Kill (or the cancelling of the context of exec.CommandContext) begins
// the stop, which then runs to its end in the background, whatever
// happens to the callers' contexts:
//
//  1. the polite signal (Options.Signal, then SIGCONT) goes to every
//     process of the tree and to its process group; members found later
//     get it when they are found;
//  2. the grace period starts once it has been sent, and lasts until
//     every process of the tree has exited, or the grace has passed, or
//     Kill is called;
//  3. whatever is left is SIGKILLed: in Cgroup mode at once by the kernel
//     (cgroup.kill, or freeze-kill-thaw on v1), in ProcessGroup mode
//     through each member's pidfd and the group, again until nothing is
//     left or 5 s have passed;
//  4. the orphans among the members that the caller adopted are reaped,
//     the cgroup is removed, and the subreaper attribute is released.
//
// Every call waits for the same stop and gets the same report. ctx only
// bounds how long this caller waits: if it ends first (or has already
// ended), Stop returns a nil report and an error wrapping ctx.Err(), and
// the stop goes on; a later Stop returns its report. No context shortens
// the grace period: Kill does. Stop returns an error besides the report
// if processes survived SIGKILL or the cgroup could not be removed. Stop
// does not reap the direct child: Wait does, as with os/exec.
func (t *Tree) Stop(ctx context.Context) (*Report, error) {
	t.beginStop()
	return t.awaitStop(ctx)
}

// Kill is Stop without the grace period: if the stop has not begun, it
// begins without the polite signal; if it is in its grace period, the
// grace ends now. ctx bounds the caller's wait as for Stop.
func (t *Tree) Kill(ctx context.Context) (*Report, error) {
	t.killOnce.Do(func() { close(t.killNow) })
	t.beginStop()
	return t.awaitStop(ctx)
}

func (t *Tree) beginStop() { t.stopOnce.Do(func() { go t.stop() }) }

func (t *Tree) awaitStop(ctx context.Context) (*Report, error) {
	select {
	case <-t.stopDone:
		return t.report, t.stopErr
	default:
	}
	select {
	case <-t.stopDone:
		return t.report, t.stopErr
	case <-ctx.Done():
		return nil, fmt.Errorf("proctree: stop not finished, still running: %w", ctx.Err())
	}
}

// backoff gives the polling intervals of Stop: 1 ms, doubling up to 50 ms.
type backoff time.Duration

func (b *backoff) next() time.Duration {
	if *b == 0 {
		*b = backoff(time.Millisecond)
	} else if *b < backoff(50*time.Millisecond) {
		*b *= 2
	}
	return time.Duration(*b)
}

func (t *Tree) stop() {
	<-t.ready
	if t.root == nil { // Start failed after starting the command, and cleaned up
		t.stopErr = errors.New("proctree: the tree was never started")
		close(t.stopDone)
		return
	}
	t.mu.Lock()
	t.stopping = true
	t.seen = map[Proc]bool{}
	t.killed = map[Proc]bool{}
	t.mu.Unlock()

	select {
	case <-t.killNow:
	default:
		t.graceful()
	}
	left, errs := t.kill()

	mon.remove(t)
	reapOrphans([]*Tree{t})
	t.checkExited()
	if t.subreaper {
		releaseSubreaper()
	}
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
	rep.Survivors = left
	for _, m := range t.known {
		m.close()
	}
	t.root.close()
	t.known = map[int]*member{}
	for _, l := range [][]Proc{rep.Procs, rep.Exited, rep.Killed, rep.Survivors} {
		sortProcs(l)
	}
	if len(rep.Survivors) > 0 {
		errs = append(errs, fmt.Errorf("proctree: %d processes survived SIGKILL: %v", len(rep.Survivors), rep.Survivors))
	}
	t.report, t.stopErr = rep, errors.Join(errs...)
	close(t.stopDone)
}

// graceful sends the polite signal and waits for the grace period.
func (t *Tree) graceful() {
	termed := map[Proc]bool{}
	var deadline time.Time
	var poll backoff
	for {
		ms := t.refresh()
		t.mu.Lock()
		if deadline.IsZero() {
			t.signalGroupLocked(t.sig)
			t.signalGroupLocked(unix.SIGCONT)
		}
		for _, m := range ms {
			if !m.zombie && m.fd >= 0 && !termed[m.Proc] {
				termed[m.Proc] = true
				_ = m.signal(t.sig)
				_ = m.signal(unix.SIGCONT)
			}
		}
		t.mu.Unlock()
		reapOrphans([]*Tree{t})
		if deadline.IsZero() {
			deadline = time.Now().Add(t.grace) // the polite signal is out
		}
		wait := min(poll.next(), time.Until(deadline))
		if live(ms) == 0 || wait <= 0 {
			return
		}
		timer := time.NewTimer(wait)
		select {
		case <-t.killNow:
			timer.Stop()
			return
		case <-timer.C:
		}
	}
}

// kill SIGKILLs what is left of the tree and waits until nothing is. It
// returns what is still alive when it gives up.
func (t *Tree) kill() (left []Proc, errs []error) {
	deadline := time.Now().Add(killWait)
	cgKilled := false
	var poll backoff
	for {
		ms := t.refresh()
		t.mu.Lock()
		n := live(ms)
		for _, m := range ms {
			if !m.zombie {
				t.killed[m.Proc] = true
			}
		}
		switch {
		case n == 0:
		case t.cg != nil:
			// The kernel kills every process of the cgroup at once,
			// including one forking at that moment: once is enough, and
			// what is left all the same is reported as survived.
			if !cgKilled {
				cgKilled = true
				if err := t.cg.kill(); err != nil {
					errs = append(errs, err)
				}
			}
		default:
			t.signalGroupLocked(unix.SIGKILL)
			for _, m := range ms {
				if !m.zombie && m.fd >= 0 {
					_ = m.signal(unix.SIGKILL)
				}
			}
		}
		t.mu.Unlock()
		reapOrphans([]*Tree{t})
		if n == 0 || !time.Now().Before(deadline) {
			for _, m := range ms {
				if !m.zombie {
					left = append(left, m.Proc)
				}
			}
			return left, errs
		}
		time.Sleep(poll.next())
	}
}
