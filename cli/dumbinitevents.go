package cli

import (
	"errors"
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/reap"
	"github.com/sexton-init/sexton/signals"
	"github.com/sexton-init/sexton/supervise"
)

// dumbInitEvents are dumb-init 1.2.5's -v lines for the supervisor's
// events, word for word and in its order, all on stderr; events dumb-init
// says nothing about keep sexton's lines with the "[dumb-init] " prefix.
type dumbInitEvents struct {
	supervise.SextonEvents
	// remap is dumb-init's rewrite table: the -r rules and, in session
	// mode, SIGTSTP/SIGTTIN/SIGTTOU to SIGSTOP (not sexton's identity
	// rules for the signals its own policy keeps back).
	remap signals.Rewrite
	// envDebug, envNoSetsid: DUMB_INIT_DEBUG=1 and DUMB_INIT_SETSID=0,
	// which dumb-init announces.
	envDebug, envNoSetsid bool
}

// say is one dumb-init debug line.
func (e dumbInitEvents) say(format string, args ...any) []supervise.Line {
	return e.Voice.Say(supervise.Debug, format, args...)
}

// Starting announces the modes set from the environment.
func (e dumbInitEvents) Starting() []supervise.Line {
	var out []supervise.Line
	if e.envDebug {
		out = append(out, e.say("Running in debug mode.")...)
	}
	if e.envNoSetsid {
		out = append(out, e.say("Not running in setsid mode.")...)
	}
	return out
}

// NotReaper: dumb-init gives no such warning.
func (e dumbInitEvents) NotReaper() []supervise.Line { return nil }

// TerminalReleased says what became of the terminal.
func (e dumbInitEvents) TerminalReleased(err error, leader bool) []supervise.Line {
	switch {
	case err != nil:
		return e.say("Unable to detach from controlling tty (errno=%s).", errnoText(err))
	case leader:
		return e.say("Detached from controlling tty, ignoring the first SIGHUP and SIGCONT we receive.")
	}
	return e.say("Detached from controlling tty, but was not session leader.")
}

// Spawned is the parent's line, then those dumb-init's child prints
// before its exec in session mode.
func (e dumbInitEvents) Spawned(c supervise.Child) []supervise.Line {
	out := e.say("Child spawned with PID %d.", c.PID)
	if !c.Setsid {
		return out
	}
	var errno syscall.Errno
	switch {
	case errors.As(c.CttyErr, &errno):
		out = append(out, e.say("Unable to attach to controlling tty (errno=%s).", errnoText(errno))...)
	case c.CttyErr != nil:
		out = append(out, e.say("%v", c.CttyErr)...)
	}
	return append(out, e.say("setsid complete.")...)
}

// LeftStartDir says nothing, or dumb-init's line when chdir failed.
func (e dumbInitEvents) LeftStartDir(err error) []supervise.Line {
	if err == nil {
		return nil
	}
	return e.say("Unable to chdir(\"/\") (errno=%s)", errnoText(err))
}

// Received is said for every signal.
func (e dumbInitEvents) Received(sig unix.Signal) []supervise.Line {
	return e.say("Received signal %d.", int(sig))
}

// HandOff is said when the signal is dropped.
func (e dumbInitEvents) HandOff(sig unix.Signal) []supervise.Line {
	return e.say("Ignoring tty hand-off signal %d.", int(sig))
}

// Forwarding says the translation, and a signal not forwarded.
func (e dumbInitEvents) Forwarding(sig, to unix.Signal, target int) []supervise.Line {
	var out []supervise.Line
	if r, ok := e.remap[sig]; ok {
		out = e.say("Translating signal %d to %d.", int(sig), int(r))
	}
	if to == 0 {
		out = append(out, e.say("Not forwarding signal 0 to children (ignored).")...)
	}
	return out
}

// Forwarded is said after the kill, whatever it returned.
func (e dumbInitEvents) Forwarded(sig, to unix.Signal, target int, err error) []supervise.Line {
	return e.say("Forwarded signal %d to children.", int(to))
}

// Suspending is said before sexton stops itself.
func (e dumbInitEvents) Suspending() []supervise.Line {
	return e.say("Suspending self due to TTY signal.")
}

// Reaped says how each reaped process ended.
func (e dumbInitEvents) Reaped(x reap.Exit, main bool) []supervise.Line {
	if x.Status.Signaled() {
		return e.say("A child with PID %d was terminated by signal %d.", x.PID, int(x.Status.Signal()))
	}
	return e.say("A child with PID %d exited with exit status %d.", x.PID, x.Status.ExitStatus())
}

// Finished is dumb-init's goodbye. dumb-init also sends SIGTERM (as
// rewritten) to the child at this point; without -c sexton does that to
// the process group and has said so, with -c the target is the dead child
// itself, whose kill dumb-init makes and which changes nothing, so sexton
// skips the kill and only says dumb-init's lines.
func (e dumbInitEvents) Finished(code int, termed bool) []supervise.Line {
	var out []supervise.Line
	if !termed {
		to, _ := e.remap.Apply(unix.SIGTERM)
		out = e.Forwarding(unix.SIGTERM, to, 0)
		if to != 0 {
			out = append(out, e.Forwarded(unix.SIGTERM, to, 0, nil)...)
		}
	}
	return append(out, e.say("Child exited with status %d. Goodbye.", code)...)
}

// errnoText formats an error as dumb-init's "errno=%d %s" does, its
// number and the C library's message.
func errnoText(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return "0 " + err.Error()
	}
	return fmt.Sprintf("%d %s", int(errno), strerror(errno))
}
