package supervise

import (
	"time"

	"golang.org/x/sys/unix"
)

// killWait bounds how long sexton waits, after SIGKILL, for the last
// processes to be reaped (one in uninterruptible sleep may take a while);
// as PID 1, exiting makes the kernel finish the job.
const killWait = 2 * time.Second

// drainPoll is how often, while leftovers drain, sexton looks for whether
// any remain. Most announce their end with SIGCHLD, but processes that
// joined the namespace from outside (docker exec) are not sexton's
// children and end unannounced.
const drainPoll = 100 * time.Millisecond

// shutdown is the end of a run: once the main child has exited, what is
// left gets SIGTERM, then SIGKILL after the grace period, and sexton exits
// when nothing is left or the waiting is over.
type shutdown struct {
	phase    int       // 0 running, 1 grace, 2 killed
	graceEnd time.Time // phase 1: when the grace period is over
	nextPoll time.Time // phases 1 and 2: when to look for leftovers again
	killEnd  time.Time // phase 2: when to give up waiting
}

// step advances the shutdown after a turn of the loop that reaped some
// process or not; done means exit with code.
func (d *shutdown) step(s *state, reaped bool) (code int, done bool) {
	if !s.finished {
		return 0, false
	}
	now := time.Now()
	switch d.phase {
	case 0:
		termed := (s.cfg.Grace > 0 || s.cfg.Setsid) && s.termGroup()
		s.emit(s.ev.Finished(s.code, termed))
		if s.cfg.Grace <= 0 || !s.othersLeft() {
			return s.exit(), true
		}
		n := s.signalOthers(unix.SIGTERM)
		s.continueOthers()
		s.log.Printf(Info, "sent SIGTERM to %d remaining process(es); grace period %v", n, s.cfg.Grace)
		d.phase, d.graceEnd, d.nextPoll = 1, time.Now().Add(s.cfg.Grace), now.Add(drainPoll)
		return 0, false
	case 1:
		if d.look(s, now, reaped) {
			return s.exit(), true
		}
		if !now.Before(d.graceEnd) {
			n := s.killOthers()
			s.log.Warnf("grace period of %v is over: sent SIGKILL to %d remaining process(es)", s.cfg.Grace, n)
			d.phase, d.killEnd = 2, now.Add(killWait)
		}
	case 2:
		if d.look(s, now, reaped) {
			return s.exit(), true
		}
		if !now.Before(d.killEnd) {
			s.log.Warnf("processes still unreaped %v after SIGKILL; exiting", killWait)
			return s.exit(), true
		}
	}
	return 0, false
}

// look reports whether no leftover remains, looking when a process was
// just reaped or the poll is due.
func (d *shutdown) look(s *state, now time.Time, reaped bool) bool {
	if !reaped && now.Before(d.nextPoll) {
		return false
	}
	d.nextPoll = now.Add(drainPoll)
	return !s.othersLeft()
}

// deadline is when the loop must look again even if no signal comes.
func (d *shutdown) deadline() time.Time {
	switch d.phase {
	case 1:
		return earliest(d.nextPoll, d.graceEnd)
	case 2:
		return earliest(d.nextPoll, d.killEnd)
	}
	return time.Time{}
}
