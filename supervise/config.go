// Package supervise is sexton's PID-1 loop: it starts the child, relays
// signals to it, reaps every process that ends up as its child, exits with
// the child's status, and shuts down what is left with a grace period.
package supervise

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/signals"
)

// Config says what to run and how.
type Config struct {
	// Args is the command and its arguments; empty in pause mode.
	Args []string
	// Path, if set, is the file to execute, with Args passed unchanged
	// (Args[0] included); otherwise Args[0] is looked up as execvp does.
	Path string
	// Env, if not nil, is the child's environment; nil passes on sexton's.
	Env []string
	// Pause runs no command: reap forever, exit 0 on SIGINT or SIGTERM
	// (the Kubernetes pause container's job).
	Pause bool
	// Group sends relayed signals to the child's whole process group.
	Group bool
	// Setsid makes the child lead a new session (dumb-init's default);
	// signals then go to its process group when Group is set.
	Setsid bool
	// Subreaper registers sexton as a child subreaper (when not PID 1).
	Subreaper bool
	// ParentDeath, if non-zero, is the signal sexton gets when its parent
	// dies (prctl PR_SET_PDEATHSIG); it is handled like any other signal.
	ParentDeath unix.Signal
	// WarnOnReap warns for every reaped process that was not the child.
	WarnOnReap bool
	// ZeroExit lists child exit codes that make sexton exit 0.
	ZeroExit map[int]bool
	// Rewrite maps received signals to the ones forwarded.
	Rewrite signals.Rewrite
	// Grace is how long processes left after the main child exits get
	// between SIGTERM and SIGKILL; 0 exits at once, as tini does.
	Grace time.Duration
	// JobControl makes sexton stop itself after forwarding SIGTSTP,
	// SIGTTIN or SIGTTOU, so it suspends with its child (dumb-init's
	// behaviour when it is not PID 1).
	JobControl bool
	// NoOrphanWarning silences the warning that sexton, neither PID 1 nor a
	// subreaper, cannot reap orphans (dumb-init gives none).
	NoOrphanWarning bool
	// ExecFailed, if set, reports a command that could not be started, in
	// a personality's own words, and returns the exit code; by default the
	// error is logged and its Code (126 or 127) returned.
	ExecFailed func(*ExecError) int
	// ChdirRoot makes sexton move to "/" once the child has started (in
	// the directory sexton was started in), so that sexton holds no
	// reference to that directory (dumb-init's behaviour).
	ChdirRoot bool
	// Events, if set, says the supervisor's events in a personality's
	// words; nil means sexton's own (SextonEvents with Log's voice).
	Events Events
	// Log receives diagnostics.
	Log *Logger
}
