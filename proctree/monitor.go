package proctree

import (
	"os"
	"os/signal"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// monitor is the one goroutine that watches every live tree of the
// process. On SIGCHLD it notes the direct children that exited and reaps
// the orphaned members adopted by the caller; in ProcessGroup mode it
// scans /proc, once for all trees that are due, to learn members before
// they detach. Cgroup trees cost it nothing at rest. It runs while at
// least one tree is registered.
type monitor struct {
	mu      sync.Mutex
	trees   map[*Tree]bool
	running bool
	poke    chan struct{}
}

var mon = monitor{poke: make(chan struct{}, 1)}

func (m *monitor) add(t *Tree) {
	m.mu.Lock()
	if m.trees == nil {
		m.trees = map[*Tree]bool{}
	}
	m.trees[t] = true
	if !m.running {
		m.running = true
		// Listen before the check below, not in the goroutine: a child
		// that exits between the check and a later Notify would leave
		// no SIGCHLD for the loop, and Done would never close.
		chld := make(chan os.Signal, 1)
		signal.Notify(chld, unix.SIGCHLD)
		go m.loop(chld)
	}
	m.mu.Unlock()
	m.nudge()
	// The child may have exited before SIGCHLD was listened for.
	t.checkExited()
}

func (m *monitor) remove(t *Tree) {
	m.mu.Lock()
	delete(m.trees, t)
	m.mu.Unlock()
	m.nudge()
}

func (m *monitor) nudge() {
	select {
	case m.poke <- struct{}{}:
	default:
	}
}

// list returns the registered trees and when the next scan is due (zero:
// none is), or ends the loop (ok false) when no tree is left.
func (m *monitor) list() (trees []*Tree, next time.Time, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.trees) == 0 {
		m.running = false
		return nil, time.Time{}, false
	}
	for t := range m.trees {
		trees = append(trees, t)
		if due, ok := t.scanDue(); ok && (next.IsZero() || due.Before(next)) {
			next = due
		}
	}
	return trees, next, true
}

// loop serves the trees until none is left; chld is already notified of
// SIGCHLD.
func (m *monitor) loop(chld chan os.Signal) {
	defer signal.Stop(chld)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		trees, next, ok := m.list()
		if !ok {
			return
		}
		var tick <-chan time.Time
		if !next.IsZero() {
			timer.Reset(time.Until(next))
			tick = timer.C
		}
		select {
		case <-chld:
			for _, t := range trees {
				t.checkExited()
			}
			reapOrphans(trees)
		case <-tick:
			scanDue(trees)
		case <-m.poke:
		}
	}
}

// scanDue refreshes, from one snapshot, the ProcessGroup trees whose scan
// is due.
func scanDue(trees []*Tree) {
	now := time.Now()
	var due []*Tree
	for _, t := range trees {
		if at, ok := t.scanDue(); ok && !at.After(now) {
			due = append(due, t)
		}
	}
	if len(due) == 0 {
		return
	}
	snap, err := scans.fresh(now)
	if err != nil {
		return
	}
	for _, t := range due {
		t.mu.Lock()
		ms := t.refreshScanLocked(snap)
		t.nextScan = nextTick(now, t.scan)
		// Nothing of the tree is left, the direct child included: nothing
		// can join it any more.
		t.idle = len(ms) == 0
		t.mu.Unlock()
	}
}

// nextTick is the first multiple of interval (on the monotonic clock of
// the process) after now: trees with the same interval are due at the
// same instants, so that one scan serves them all.
func nextTick(now time.Time, interval time.Duration) time.Time {
	since := now.Sub(epoch)
	return epoch.Add(since - since%interval + interval)
}

var epoch = time.Now()

// scanDue says when the monitor should scan for the tree next, if ever.
func (t *Tree) scanDue() (time.Time, bool) {
	if t.cg != nil || t.scan < 0 {
		return time.Time{}, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.idle || t.stopping {
		return time.Time{}, false
	}
	return t.nextScan, true
}

// checkExited closes Done's channel if the direct child has exited.
func (t *Tree) checkExited() {
	t.mu.Lock()
	dead := t.root.fd >= 0 && t.root.dead()
	t.mu.Unlock()
	if dead {
		t.markExited()
	}
}

func (t *Tree) markExited() { t.exitOnce.Do(func() { close(t.exited) }) }
