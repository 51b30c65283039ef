package supervise

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/leftover"
	"github.com/sexton-init/sexton/reap"
	"github.com/sexton-init/sexton/sigcatch"
	"github.com/sexton-init/sexton/signals"
)

// ExitUsage is the exit code for bad input and failed set-up, as tini uses.
const ExitUsage = 1

// state is the supervisor's bookkeeping for one run.
type state struct {
	cfg   *Config
	log   *Logger
	pid1  bool
	child int // 0 in pause mode

	finished    bool // the main child has exited (or pause mode was told to stop)
	termedGroup bool // SIGTERM was relayed to the child's whole process group
	// swallow holds signals to drop once: the SIGHUP and SIGCONT the kernel
	// sends when sexton releases its terminal for the child.
	swallow map[unix.Signal]bool
	code    int  // the exit code to leave with, valid once finished
	names   bool // read command names of reaped processes
	// owed counts the signals taken from sigcatch and not yet acted on.
	owed [signals.Max + 1]int
	stop shutdown
	w    waiter
	// shrinkAt is when the loop, if still running, shrinks sexton's
	// memory (zero once done).
	shrinkAt time.Time
	ev       Events
	left     *leftover.Finder
	batch    batcher
}

// Run supervises cfg and returns the code sexton should exit with. It is
// meant to run once per process: it fixes the runtime at one P, makes the
// threads it will ever need, and catches every signal (the sexton binary
// catches them earlier still, before it parses its command line; a program
// that calls Run from a library gets them caught here).
func Run(cfg Config) int {
	s := &state{cfg: &cfg, log: cfg.Log, pid1: os.Getpid() == 1, ev: eventsOf(&cfg)}
	s.left = leftover.New(s.pid1)
	s.names = cfg.WarnOnReap || (s.log != nil && s.log.Verbosity >= int(Debug))
	if err := sigcatch.Install(); err != nil {
		var se *sigcatch.Error
		if errors.As(err, &se) && se.Errno == uintptr(unix.EMFILE) {
			err = errors.New(fdShortage())
		}
		s.log.Errorf("%v", err)
		return ExitUsage
	}
	if msg := fdShortage(); msg != "" {
		s.log.Errorf("%s", msg)
		return ExitUsage
	}
	if err := s.w.open(); err != nil {
		s.log.Errorf("%v", err)
		return ExitUsage
	}
	s.log.start()
	defer s.log.flush()
	s.emit(s.ev.Starting())
	if !s.reserveThreads() {
		return ExitUsage
	}
	if code, ok := s.setUp(); !ok {
		return code
	}
	sigcatch.Take(s.take)
	switch {
	case cfg.Pause:
		s.log.Printf(Info, "pause: ready")
	case s.stopRequested():
	default:
		if code, ok := s.startMain(); !ok {
			return code
		}
	}
	if !cfg.JobControl {
		// Now that the child has its own dispositions, sexton ignores
		// the terminal's job-control signals: writing to a terminal from
		// a background process group must not stop (or loop) the init.
		sigcatch.Ignore(int(unix.SIGTTIN))
		sigcatch.Ignore(int(unix.SIGTTOU))
	}
	// From here on the signals that can flood wait in the kernel for the
	// loop (sigcatch/route.go); the child has its mask already.
	tids := threadIDs()
	sigcatch.Route(tids)
	s.log.Printf(Debug, "%d threads after start-up", len(tids))
	s.shrinkAt = time.Now().Add(shrinkDelay)
	return s.loop()
}

// take records n arrivals of sig, to be acted on by the loop.
func (s *state) take(sig, n int) { s.owed[sig] += n }

// stopRequested reports whether a terminating signal came before there
// is a child to pass it to. It then ends the run as a relayed one would
// have ended the child: exit status 128+N, after the shutdown of whatever
// else is there.
func (s *state) stopRequested() bool {
	for _, sig := range []unix.Signal{unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGQUIT} {
		if s.owed[sig] == 0 {
			continue
		}
		s.owed[sig]--
		s.finished, s.code = true, 128+int(sig)
		s.log.Printf(Info, "%s received before the child was started: not starting it", signals.Name(sig))
		return true
	}
	return false
}

// setUp applies the process-wide settings; on failure it returns the exit code.
func (s *state) setUp() (int, bool) {
	if s.cfg.ParentDeath != 0 {
		if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(s.cfg.ParentDeath), 0, 0, 0); err != nil {
			s.log.Errorf("cannot set the parent-death signal: %v", err)
			return ExitUsage, false
		}
	}
	if s.cfg.Subreaper && !s.pid1 {
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			s.log.Errorf("cannot register as a child subreaper: %v", err)
			return ExitUsage, false
		}
		s.emit(s.ev.Subreaper())
	}
	if !s.pid1 && !s.cfg.Subreaper && !s.cfg.NoOrphanWarning {
		s.emit(s.ev.NotReaper())
	}
	return 0, true
}

// startMain starts the main child; on failure it returns the exit code.
func (s *state) startMain() (int, bool) {
	tty := isControllingTerminal(0)
	ses := s.newSession()
	pid, err := startChild(s.cfg, tty, ses.handOver)
	if err != nil {
		var ee *ExecError
		isExec := errors.As(err, &ee)
		switch {
		case isExec && errors.Is(ee.Err, unix.EAGAIN):
			// fork found no PID left: name the limit, as for the threads.
			msg := taskShortage(1)
			if msg == "" {
				msg = fmt.Sprintf("cannot start %q: %v (the pids cgroup or RLIMIT_NPROC is exhausted)", s.cfg.Args[0], err)
			}
			s.log.Errorf("%s", msg)
			return ExitUsage, false
		case !isExec:
			s.log.Errorf("%v", err)
			return ExitUsage, false
		case s.cfg.ExecFailed != nil:
			return s.cfg.ExecFailed(ee), false
		}
		s.log.Errorf("%v", err)
		return ee.Code, false
	}
	s.child = pid
	s.emit(s.ev.Spawned(Child{Name: s.cfg.Args[0], PID: s.child, Setsid: s.cfg.Setsid, CttyErr: ses.ctty}))
	if s.cfg.ChdirRoot {
		s.emit(s.ev.LeftStartDir(leaveStartDir()))
	}
	return 0, true
}

// relayBatch bounds how many arrivals of one signal are relayed in one turn
// of the loop, so that a storm of one kind cannot hold up the others or the
// reaping.
const relayBatch = 256

// drainTime bounds how long one turn takes signals from the kernel's queue.
// The kernel looks through its whole queue of pending signals for each one
// it hands out (to see whether another of the kind is left), so with tens
// of thousands queued each costs up to milliseconds: a turn, and so the
// time to notice a child's exit or a SIGTERM, stays short only if it stops
// taking them early. relayBatch bounds the count when they come cheap.
const drainTime = 200 * time.Microsecond

// drainSlice returns the stopping rule of one turn's reads of the routed
// signals.
func drainSlice() func(int) bool {
	start := time.Now()
	return func(taken int) bool { return taken < relayBatch && (taken == 0 || time.Since(start) < drainTime) }
}

// loop is the event loop: one goroutine that waits only in waiter.wait
// (the runtime's network poller) and otherwise makes quick system calls.
// Every turn reaps, whatever woke it, so no child exit can be missed.
func (s *state) loop() int {
	for {
		now := time.Now()
		sigcatch.Take(s.take)
		if s.w.more {
			s.w.take(s.take)
		}
		s.batchDue(now)
		received := s.owed[unix.SIGCHLD] > 0
		if received {
			s.emit(s.ev.Received(unix.SIGCHLD))
		}
		reaped := s.reap(received)
		more := s.act() || s.w.more
		if code, done := s.stop.step(s, reaped > 0); done {
			return code
		}
		s.batchAfter(reaped, now)
		deadline := earliest(s.stop.deadline(), s.batchDeadline())
		if !s.shrinkAt.IsZero() {
			if !time.Now().Before(s.shrinkAt) {
				shrink()
				s.shrinkAt = time.Time{}
			} else {
				deadline = earliest(deadline, s.shrinkAt)
			}
		}
		if more {
			deadline = time.Now()
		}
		if err := s.w.wait(deadline, s.take); err != nil {
			s.log.Errorf("waiting for signals: %v", err)
			return ExitUsage
		}
	}
}

// act handles the signals owed, at most relayBatch of each kind, and
// reports whether some are left for the next turn.
func (s *state) act() (more bool) {
	for sig := unix.Signal(1); sig <= signals.Max; sig++ {
		n := min(s.owed[sig], relayBatch)
		if n == 0 {
			continue
		}
		s.owed[sig] -= n
		more = more || s.owed[sig] > 0
		if sig == unix.SIGCHLD {
			continue // reaping happens every turn
		}
		for range n {
			s.handle(sig)
		}
	}
	return more
}

// exit logs and returns the final exit code.
func (s *state) exit() int {
	s.emit(s.ev.Exiting(s.code))
	return s.code
}

// reap collects every ended child and returns how many it collected.
// received says whether this turn took a SIGCHLD; if not, the one the
// first exit brought (the kernel queues it before the exit can be waited
// for) is taken now, so that its Received comes before the Reaped, as in
// tini, which waits only after a signal.
func (s *state) reap(received bool) (n int) {
	left := reap.All(s.names, func(e reap.Exit) {
		if n++; !received {
			received = true
			if sigcatch.TakeQueued(int(unix.SIGCHLD)) {
				s.emit(s.ev.Received(unix.SIGCHLD))
			}
		}
		main := e.PID == s.child && !s.finished
		s.emit(s.ev.Reaped(e, main))
		if main {
			s.finished = true
			s.code = e.Code()
			if s.cfg.ZeroExit[s.code] {
				s.log.Printf(Debug, "exit code %d remapped to 0", s.code)
				s.code = 0
			}
		}
	})
	s.emit(s.ev.ReapDone(left))
	return n
}

// earliest returns the earlier of two deadlines, zero meaning none.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || !b.IsZero() && b.Before(a) {
		return b
	}
	return a
}
