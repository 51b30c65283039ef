package cli

import (
	"errors"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/reap"
	"github.com/sexton-init/sexton/signals"
	"github.com/sexton-init/sexton/supervise"
)

// tiniEvents are tini 0.19's lines for the supervisor's events, word for
// word, at tini's levels (FATAL and WARN on stderr, INFO, DEBUG and TRACE
// on stdout); events tini says nothing about keep sexton's lines in the
// tini format.
type tiniEvents struct {
	supervise.SextonEvents
}

// newTiniEvents returns tini's events at a verbosity, with or without -w.
func newTiniEvents(verbosity int, warnOnReap bool) tiniEvents {
	v := supervise.Voice{Verbosity: verbosity, Format: tiniFormat, InfoOnStdout: true}
	return tiniEvents{supervise.SextonEvents{Voice: v, WarnOnReap: warnOnReap}}
}

// Subreaper is tini's TRACE line.
func (e tiniEvents) Subreaper() []supervise.Line {
	return e.Voice.Say(supervise.Trace, "Registered as child subreaper")
}

// NotReaper is tini's three-line warning (the prefix on the first line).
func (e tiniEvents) NotReaper() []supervise.Line {
	if !e.Voice.On(supervise.Warn) {
		return nil
	}
	return []supervise.Line{
		e.Voice.Line(supervise.Warn, "Tini is not running as PID 1 and isn't registered as a child subreaper."),
		{Stream: supervise.Stderr, Text: "Zombie processes will not be re-parented to Tini, so zombie reaping won't work."},
		{Stream: supervise.Stderr, Text: "To fix the problem, use the -s option or set the environment variable TINI_SUBREAPER to register Tini as a child subreaper, or run Tini as PID 1."},
	}
}

// Spawned is tini's INFO line.
func (e tiniEvents) Spawned(c supervise.Child) []supervise.Line {
	return e.Voice.Say(supervise.Info, "Spawned child process '%s' with pid '%d'", c.Name, c.PID)
}

// Received is tini's DEBUG line for SIGCHLD; tini says the others as it
// passes them on.
func (e tiniEvents) Received(sig unix.Signal) []supervise.Line {
	if sig != unix.SIGCHLD {
		return nil
	}
	return e.Voice.Say(supervise.Debug, "Received SIGCHLD")
}

// Forwarding is tini's DEBUG line, before the kill.
func (e tiniEvents) Forwarding(sig, to unix.Signal, target int) []supervise.Line {
	if to == 0 {
		return e.SextonEvents.Forwarding(sig, to, target)
	}
	return e.Voice.Say(supervise.Debug, "Passing signal: '%s'", signals.Description(sig))
}

// Forwarded is tini's warning when the child was gone; other errors and
// successes tini does not say (an error other than ESRCH ends tini, not
// sexton, which says it in its words).
func (e tiniEvents) Forwarded(sig, to unix.Signal, target int, err error) []supervise.Line {
	switch {
	case errors.Is(err, unix.ESRCH):
		return e.Voice.Say(supervise.Warn, "Child was dead when forwarding signal")
	case err != nil:
		return e.SextonEvents.Forwarded(sig, to, target, err)
	}
	return nil
}

// Reaped is tini's DEBUG line for every reaped process, then INFO for the
// main child's end, or the -w warning for another process.
func (e tiniEvents) Reaped(x reap.Exit, main bool) []supervise.Line {
	out := e.Voice.Say(supervise.Debug, "Reaped child with pid: '%d'", x.PID)
	switch {
	case main && x.Status.Signaled():
		out = append(out, e.Voice.Say(supervise.Info, "Main child exited with signal (with signal '%s')", signals.Description(x.Status.Signal()))...)
	case main:
		out = append(out, e.Voice.Say(supervise.Info, "Main child exited normally (with status '%d')", x.Status.ExitStatus())...)
	case e.WarnOnReap:
		out = append(out, e.Voice.Say(supervise.Warn, "Reaped zombie process with pid=%d", x.PID)...)
	}
	return out
}

// ReapDone is tini's TRACE line at the end of each reaping round.
func (e tiniEvents) ReapDone(childrenLeft bool) []supervise.Line {
	if childrenLeft {
		return e.Voice.Say(supervise.Trace, "No child to reap")
	}
	return e.Voice.Say(supervise.Trace, "No child to wait")
}

// Exiting is tini's TRACE line.
func (e tiniEvents) Exiting(int) []supervise.Line {
	return e.Voice.Say(supervise.Trace, "Exiting: child has exited")
}
