package supervise

import (
	"errors"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/leftover"
	"github.com/sexton-init/sexton/reap"
	"github.com/sexton-init/sexton/signals"
)

// killWait bounds how long sexton waits, after SIGKILL, for the last
// processes to be reaped (one in uninterruptible sleep may take a while);
// as PID 1, exiting makes the kernel finish the job.
const killWait = 2 * time.Second

// ExitUsage is the exit code for bad input and failed set-up, as tini uses.
const ExitUsage = 1

// state is the supervisor's bookkeeping for one run.
type state struct {
	cfg   *Config
	log   *Logger
	pid1  bool
	child int // 0 in pause mode
	left  *leftover.Finder

	finished    bool // the main child has exited (or pause mode was told to stop)
	termedGroup bool // SIGTERM was relayed to the child's whole process group
	// swallow holds signals to drop once: the SIGHUP and SIGCONT the kernel
	// sends when sexton releases its terminal for the child.
	swallow map[unix.Signal]bool
	code    int  // the exit code to leave with, valid once finished
	names   bool // read command names of reaped processes
}

// Run supervises cfg and returns the code sexton should exit with. It is
// meant to run once per process: it fixes the runtime at one P and installs
// handlers for every catchable signal.
func Run(cfg Config) int {
	reserveThreads()
	s := &state{cfg: &cfg, log: cfg.Log, pid1: os.Getpid() == 1}
	s.left = leftover.New(s.pid1)
	s.names = cfg.WarnOnReap || (s.log != nil && s.log.Verbosity >= int(Debug))

	// Handlers go in before the child starts so that no signal is lost or
	// takes the Go runtime's default action (exit 2) in between. Signals
	// that came ignored stay ignored, and stay so in the child.
	ignored := ignoredAtStart()
	sigCh := make(chan os.Signal, 2*signals.Max)
	var catch []os.Signal
	for _, sig := range signals.Catchable() {
		if !ignored[sig] {
			catch = append(catch, sig)
		}
	}
	signal.Notify(sigCh, catch...)

	if code, ok := s.setUp(); !ok {
		return code
	}
	if !cfg.Pause {
		if code, ok := s.startMain(); !ok {
			return code
		}
	}
	if !cfg.JobControl {
		// Now that the child has its own dispositions, sexton ignores
		// the terminal's job-control signals: writing to a terminal from
		// a background process group must not stop (or loop) the init.
		signal.Ignore(unix.SIGTTIN, unix.SIGTTOU)
	}
	s.log.Printf(Debug, "%d threads after start-up", threadCount())
	return s.loop(sigCh)
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
		s.log.Printf(Debug, "registered as a child subreaper")
	}
	if !s.pid1 && !s.cfg.Subreaper && !s.cfg.NoOrphanWarning {
		s.log.Warnf("not running as PID 1 and not a child subreaper: orphaned processes " +
			"will not be reparented to sexton and cannot be reaped; use -s or SEXTON_SUBREAPER=1, or run as PID 1")
	}
	return 0, true
}

// startMain starts the main child; on failure it returns the exit code.
func (s *state) startMain() (int, bool) {
	tty := isControllingTerminal(0)
	handOver := s.cfg.Setsid && tty && releaseTerminal()
	if handOver {
		s.swallow = map[unix.Signal]bool{unix.SIGHUP: true, unix.SIGCONT: true}
	}
	p, err := startChild(s.cfg, tty, handOver)
	if err != nil {
		var ee *ExecError
		switch {
		case !errors.As(err, &ee):
			s.log.Errorf("%v", err)
			return ExitUsage, false
		case s.cfg.ExecFailed != nil:
			return s.cfg.ExecFailed(ee), false
		}
		s.log.Errorf("%v", err)
		return ee.Code, false
	}
	s.child = p.Pid
	_ = p.Release()
	s.log.Printf(Info, "started %q as pid %d", s.cfg.Args[0], s.child)
	return 0, true
}

// drainPoll is how often, while leftovers drain, sexton looks for whether
// any remain. Most announce their end with SIGCHLD, but processes that
// joined the namespace from outside (docker exec) are not sexton's
// children and end unannounced.
const drainPoll = 100 * time.Millisecond

// loop is the event loop: one goroutine, no blocking waits.
func (s *state) loop(sigCh <-chan os.Signal) int {
	var grace, killed, poll <-chan time.Time
	s.reap() // the child may have ended before its SIGCHLD could be queued
	for {
		if s.finished && grace == nil && killed == nil {
			if s.cfg.Grace > 0 || s.cfg.Setsid {
				s.termGroup()
			}
			if s.cfg.Grace <= 0 || !s.othersLeft() {
				return s.exit()
			}
			n := s.signalOthers(unix.SIGTERM)
			s.continueOthers()
			s.log.Printf(Info, "sent SIGTERM to %d remaining process(es); grace period %v", n, s.cfg.Grace)
			grace = time.After(s.cfg.Grace)
			ticker := time.NewTicker(drainPoll)
			defer ticker.Stop()
			poll = ticker.C
		}
		select {
		case v := <-sigCh:
			sig := v.(syscall.Signal)
			if sig == unix.SIGCHLD {
				s.reap()
				if poll != nil && !s.othersLeft() {
					return s.exit()
				}
				continue
			}
			s.handle(sig)
		case <-poll:
			s.reap()
			if !s.othersLeft() {
				return s.exit()
			}
		case <-grace:
			n := s.killOthers()
			s.log.Warnf("grace period of %v is over: sent SIGKILL to %d remaining process(es)", s.cfg.Grace, n)
			grace, killed = nil, time.After(killWait)
		case <-killed:
			s.log.Warnf("processes still unreaped %v after SIGKILL; exiting", killWait)
			return s.exit()
		}
	}
}

// exit logs and returns the final exit code.
func (s *state) exit() int {
	s.log.Printf(Debug, "exiting with status %d", s.code)
	return s.code
}

// reap collects every ended child.
func (s *state) reap() {
	reap.All(s.names, func(e reap.Exit) {
		if e.PID == s.child && !s.finished {
			s.finished = true
			s.code = e.Code()
			if s.cfg.ZeroExit[s.code] {
				s.log.Printf(Debug, "exit code %d remapped to 0", s.code)
				s.code = 0
			}
			s.log.Printf(Info, "main child %d %s", e.PID, e.Describe())
			return
		}
		if s.cfg.WarnOnReap {
			s.log.Warnf("reaped zombie process %d (%s), which %s", e.PID, e.Comm, e.Describe())
		} else {
			s.log.Printf(Debug, "reaped process %d (%s), which %s", e.PID, e.Comm, e.Describe())
		}
	})
}

// handle acts on one received signal other than SIGCHLD.
func (s *state) handle(sig unix.Signal) {
	if s.swallow[sig] {
		delete(s.swallow, sig)
		s.log.Printf(Debug, "%s from releasing the terminal dropped", signals.Name(sig))
		return
	}
	if s.cfg.Pause && !s.finished && (sig == unix.SIGTERM || sig == unix.SIGINT) {
		s.log.Printf(Info, "pause: %s received, stopping", signals.Name(sig))
		s.finished, s.code = true, 0
		return
	}
	to, ok := s.cfg.Rewrite.Apply(sig)
	_, rewritten := s.cfg.Rewrite[sig]
	switch {
	case s.cfg.Pause && !s.finished:
		// A pause container has no child; passing, say, SIGUSR1 on to
		// every process of the pod would kill those that do not handle it.
		s.log.Printf(Debug, "pause: %s ignored", signals.Name(sig))
	case !ok:
		s.log.Printf(Debug, "%s dropped by rewrite rule", signals.Name(sig))
	case !rewritten && !signals.Relayed(sig):
		s.log.Printf(Debug, "%s received, not relayed", signals.Name(sig))
	case s.finished:
		n := s.signalOthers(to)
		s.log.Printf(Debug, "%s sent to %d remaining process(es)", signals.Name(to), n)
	default:
		s.relay(to)
	}
	if s.cfg.JobControl && (sig == unix.SIGTSTP || sig == unix.SIGTTIN || sig == unix.SIGTTOU) {
		s.log.Printf(Debug, "suspending with the child")
		_ = unix.Kill(os.Getpid(), unix.SIGSTOP)
	}
}

// termGroup, once the main child has exited, sends what is left of its
// process group SIGTERM (as rewritten) when signals go to the group. It
// reaches members that are no longer sexton's descendants, as dumb-init
// does (even with no grace period, in its session mode); the rest of the
// shutdown then skips the group.
func (s *state) termGroup() {
	if !s.cfg.Group || s.termedGroup || s.child == 0 {
		return
	}
	if to, ok := s.cfg.Rewrite.Apply(unix.SIGTERM); ok {
		s.relay(to)
	}
	s.termedGroup = true
}

// relay forwards sig to the main child, or to its process group.
func (s *state) relay(sig unix.Signal) {
	target := s.child
	if s.cfg.Group {
		target = -s.child
	}
	if err := unix.Kill(target, sig); err != nil {
		s.log.Printf(Debug, "relaying %s to %d: %v", signals.Name(sig), target, err)
		return
	}
	if target < 0 && sig == unix.SIGTERM {
		s.termedGroup = true
	}
	s.log.Printf(Debug, "relayed %s to %d", signals.Name(sig), target)
}
