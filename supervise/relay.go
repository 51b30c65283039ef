package supervise

import (
	"os"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/signals"
)

// handle acts on one received signal other than SIGCHLD.
func (s *state) handle(sig unix.Signal) {
	s.emit(s.ev.Received(sig))
	if s.swallow[sig] {
		delete(s.swallow, sig)
		s.emit(s.ev.HandOff(sig))
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
	case s.cfg.Pause:
		// A pause container has no child; passing, say, SIGUSR1 on to
		// every process of the pod would kill those that do not handle it,
		// during its shutdown too (a SIGUSR1 counted after the SIGTERM
		// that stopped pause was sent to them).
		s.log.Printf(Debug, "pause: %s ignored", signals.Name(sig))
	case !rewritten && !signals.Relayed(sig, signals.Other):
		s.emit(s.ev.NotRelayed(sig))
	case !ok:
		s.relay(sig, 0)
	case s.finished:
		n := s.signalOthers(to)
		s.log.Printf(Debug, "%s sent to %d remaining process(es)", signals.Name(to), n)
	default:
		s.relay(sig, to)
	}
	if s.cfg.JobControl && (sig == unix.SIGTSTP || sig == unix.SIGTTIN || sig == unix.SIGTTOU) {
		s.emit(s.ev.Suspending())
		_ = unix.Kill(os.Getpid(), unix.SIGSTOP)
	}
}

// termGroup, once the main child has exited, sends what is left of its
// process group SIGTERM (as rewritten) when signals go to the group. It
// reaches members that are no longer sexton's descendants, as dumb-init
// does (even with no grace period, in its session mode); the rest of the
// shutdown then skips the group.
func (s *state) termGroup() bool {
	if !s.cfg.Group || s.termedGroup || s.child == 0 {
		return false
	}
	to, _ := s.cfg.Rewrite.Apply(unix.SIGTERM)
	s.relay(unix.SIGTERM, to)
	s.termedGroup = true
	return true
}

// relay forwards sig to the main child, or to its process group. The
// kill is a raw system call: it cannot block, and going through the
// scheduler's system-call path would wake the runtime's monitor thread.
func (s *state) relay(sig, to unix.Signal) {
	target := s.child
	if s.cfg.Group {
		target = -s.child
	}
	s.emit(s.ev.Forwarding(sig, to, target))
	if to == 0 {
		return
	}
	var err error
	if _, _, e := unix.RawSyscall(unix.SYS_KILL, uintptr(target), uintptr(to), 0); e != 0 {
		err = e
	}
	s.emit(s.ev.Forwarded(sig, to, target, err))
	if err == nil && target < 0 && to == unix.SIGTERM {
		s.termedGroup = true
	}
}
