package supervise

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/logq"
	"github.com/sexton-init/sexton/reap"
	"github.com/sexton-init/sexton/signals"
)

// Stream is the output stream a diagnostic line goes to.
type Stream int

// The streams.
const (
	Stderr Stream = iota
	Stdout
)

// Line is one diagnostic line, without its newline, and its stream.
type Line struct {
	Stream Stream
	Text   string
}

// Child describes the main child just started.
type Child struct {
	Name string // the command as given (Args[0])
	PID  int
	// Setsid: the child leads a new session. CttyErr then says why it
	// did not take stdin's terminal as its controlling terminal (nil: it
	// did): the errno its TIOCSCTTY got or would get, or ErrTerminalNotOurs.
	Setsid  bool
	CttyErr error
}

// ErrTerminalNotOurs is why a child in a new session does not get stdin's
// terminal when that terminal is not sexton's controlling terminal: it may
// be another session's, and sexton does not take it from there.
var ErrTerminalNotOurs = errors.New("stdin's terminal is not sexton's controlling terminal; not taken for the child")

// Events turns what the supervisor does into the lines a personality
// prints: sexton's own (SextonEvents), tini's or dumb-init's (in cli).
// Each method returns the lines for one event, already filtered by the
// personality's verbosity (nil when there are none); the supervisor writes
// them in order, on their streams, at the point each method names.
// Diagnostics for which no peer has a line (the grace period, leftovers)
// are not events: they go through the Logger in sexton's words.
type Events interface {
	// Starting: Run has begun, before anything else is done.
	Starting() []Line
	// Subreaper: sexton has registered as a child subreaper.
	Subreaper() []Line
	// NotReaper: sexton is neither PID 1 nor a subreaper (not called with
	// Config.NoOrphanWarning).
	NotReaper() []Line
	// TerminalReleased: in session mode, before the child starts, sexton
	// has given up stdin's terminal (TIOCNOTTY); err is the ioctl's error,
	// leader whether sexton led its session (the kernel then sends SIGHUP
	// and SIGCONT, dropped once).
	TerminalReleased(err error, leader bool) []Line
	// Spawned: the main child has started.
	Spawned(c Child) []Line
	// LeftStartDir: after the child started, sexton moved to "/"
	// (Config.ChdirRoot); err is chdir's error.
	LeftStartDir(err error) []Line
	// Received: a signal has arrived, SIGCHLD included; before anything
	// is done with it.
	Received(sig unix.Signal) []Line
	// HandOff: sig is the SIGHUP or SIGCONT of the terminal hand-over,
	// dropped.
	HandOff(sig unix.Signal) []Line
	// Forwarding: sig is about to be sent as to (0: a rewrite rule drops
	// it, and nothing is sent) to target (-PGID for a process group);
	// before the kill.
	Forwarding(sig, to unix.Signal, target int) []Line
	// Forwarded: after kill(target, to); err is its error.
	Forwarded(sig, to unix.Signal, target int, err error) []Line
	// NotRelayed: the policy keeps sig back (signals.Relayed).
	NotRelayed(sig unix.Signal) []Line
	// Suspending: sexton is about to stop itself with its child, after
	// forwarding a job-control signal (Config.JobControl).
	Suspending() []Line
	// Reaped: a process was reaped; main if it was the main child.
	Reaped(e reap.Exit, main bool) []Line
	// ReapDone: a round of reaping is over; childrenLeft is false once
	// wait said that sexton has no children at all.
	ReapDone(childrenLeft bool) []Line
	// Finished: the main child has exited (or pause was told to stop) and
	// what is left of its process group has had its SIGTERM (termed: the
	// supervisor sent it through Forwarding/Forwarded); before the grace
	// period for what else is left. code is the exit code sexton will
	// leave with.
	Finished(code int, termed bool) []Line
	// Exiting: sexton returns code from Run.
	Exiting(code int) []Line
}

// Voice says sexton's own messages at a verbosity, with a personality's
// prefix, on its streams.
type Voice struct {
	// Verbosity is the highest level said (as Logger.Verbosity).
	Verbosity int
	// Format is as Logger.Format; nil means "sexton: kind: msg".
	Format func(kind, msg string) string
	// InfoOnStdout sends the Info, Debug and Trace lines to stdout, the
	// rest to stderr (tini's way); otherwise all go to stderr.
	InfoOnStdout bool
}

// VoiceOf is the voice of a Logger: same verbosity, format and streams.
func VoiceOf(l *Logger) Voice {
	if l == nil {
		return Voice{Verbosity: -1}
	}
	return Voice{Verbosity: l.Verbosity, Format: l.Format, InfoOnStdout: l.InfoW != nil}
}

// kinds names the levels in the lines of the default format.
var kinds = map[Level]string{Fatal: "error", Warn: "warning", Info: "info", Debug: "debug", Trace: "trace"}

// On reports whether lines at lv are said.
func (v Voice) On(lv Level) bool { return int(lv) <= v.Verbosity }

// Say returns one line at lv, or nil when lv is not said.
func (v Voice) Say(lv Level, format string, args ...any) []Line {
	if !v.On(lv) {
		return nil
	}
	return []Line{v.Line(lv, fmt.Sprintf(format, args...))}
}

// Line formats msg at lv, whether or not lv is said.
func (v Voice) Line(lv Level, msg string) Line {
	text := "sexton: " + kinds[lv] + ": " + msg
	if v.Format != nil {
		text = v.Format(kinds[lv], msg)
	}
	stream := Stderr
	if lv >= Info && v.InfoOnStdout {
		stream = Stdout
	}
	return Line{Stream: stream, Text: text}
}

// SextonEvents are sexton's own lines for the supervisor's events; the
// personalities embed them for the events their peer has no line for.
type SextonEvents struct {
	Voice Voice
	// WarnOnReap warns for every reaped process that is not the main
	// child (Config.WarnOnReap).
	WarnOnReap bool
}

// Starting says nothing.
func (e SextonEvents) Starting() []Line { return nil }

// Subreaper says so at Debug.
func (e SextonEvents) Subreaper() []Line {
	return e.Voice.Say(Debug, "registered as a child subreaper")
}

// NotReaper warns that orphans will not be reaped.
func (e SextonEvents) NotReaper() []Line {
	return e.Voice.Say(Warn, "not running as PID 1 and not a child subreaper: orphaned processes "+
		"will not be reparented to sexton and cannot be reaped; use -s or SEXTON_SUBREAPER=1, or run as PID 1")
}

// TerminalReleased says, at Debug, when the terminal was handed over.
func (e SextonEvents) TerminalReleased(err error, leader bool) []Line {
	if err != nil || !leader {
		return nil
	}
	return e.Voice.Say(Debug, "gave up the terminal for the child's session; the SIGHUP and SIGCONT this sends will be dropped")
}

// Spawned says the child's PID at Info.
func (e SextonEvents) Spawned(c Child) []Line {
	return e.Voice.Say(Info, "started %q as pid %d", c.Name, c.PID)
}

// LeftStartDir says nothing, or the error at Debug.
func (e SextonEvents) LeftStartDir(err error) []Line {
	if err == nil {
		return nil
	}
	return e.Voice.Say(Debug, "cannot move to /, the start directory stays in use: %v", err)
}

// Received says nothing: what is done with the signal is said.
func (e SextonEvents) Received(unix.Signal) []Line { return nil }

// HandOff says so at Debug.
func (e SextonEvents) HandOff(sig unix.Signal) []Line {
	return e.Voice.Say(Debug, "%s from releasing the terminal dropped", signals.Name(sig))
}

// Forwarding says, at Debug, when a rewrite rule drops the signal.
func (e SextonEvents) Forwarding(sig, to unix.Signal, target int) []Line {
	if to != 0 {
		return nil
	}
	return e.Voice.Say(Debug, "%s dropped by rewrite rule", signals.Name(sig))
}

// Forwarded says at Debug what was sent, or why it failed.
func (e SextonEvents) Forwarded(sig, to unix.Signal, target int, err error) []Line {
	if err != nil {
		return e.Voice.Say(Debug, "relaying %s to %d: %v", signals.Name(to), target, err)
	}
	return e.Voice.Say(Debug, "relayed %s to %d", signals.Name(to), target)
}

// NotRelayed says so at Debug.
func (e SextonEvents) NotRelayed(sig unix.Signal) []Line {
	return e.Voice.Say(Debug, "%s received, not relayed", signals.Name(sig))
}

// Suspending says so at Debug.
func (e SextonEvents) Suspending() []Line { return e.Voice.Say(Debug, "suspending with the child") }

// Reaped says how the main child ended at Info, and other processes at
// Debug, or as a warning with WarnOnReap.
func (e SextonEvents) Reaped(x reap.Exit, main bool) []Line {
	switch {
	case main:
		return e.Voice.Say(Info, "main child %d %s", x.PID, x.Describe())
	case e.WarnOnReap:
		return e.Voice.Say(Warn, "reaped zombie process %d (%s), which %s", x.PID, x.Comm, x.Describe())
	}
	return e.Voice.Say(Debug, "reaped process %d (%s), which %s", x.PID, x.Comm, x.Describe())
}

// ReapDone says nothing.
func (e SextonEvents) ReapDone(bool) []Line { return nil }

// Finished says nothing: the main child's end is said when it is reaped.
func (e SextonEvents) Finished(int, bool) []Line { return nil }

// Exiting says the exit code at Debug.
func (e SextonEvents) Exiting(code int) []Line {
	return e.Voice.Say(Debug, "exiting with status %d", code)
}

// eventsOf returns the Events of cfg: its own, or sexton's.
func eventsOf(cfg *Config) Events {
	if cfg.Events != nil {
		return cfg.Events
	}
	return SextonEvents{Voice: VoiceOf(cfg.Log), WarnOnReap: cfg.WarnOnReap}
}

// emit writes lines to the Logger's streams: stdout lines to its InfoW (or
// os.Stdout), the others to its W (or os.Stderr).
func (s *state) emit(lines []Line) {
	for _, l := range lines {
		var out io.Writer = os.Stderr
		switch {
		case l.Stream == Stdout && s.log != nil && s.log.InfoW != nil:
			out = s.log.InfoW
		case l.Stream == Stdout:
			out = os.Stdout
		case s.log != nil && s.log.W != nil:
			out = s.log.W
		}
		b := []byte(l.Text + "\n")
		if s.log != nil && s.log.q != nil {
			s.log.q.Put(out, b)
			continue
		}
		_, _ = logq.Raw(out).Write(b)
	}
}
