// Package pid1 makes a Go program its own init, with one call at the top of
// main:
//
//	func main() {
//		pid1.Ensure()
//		// ... the program, unchanged: os/exec and all ...
//	}
//
// When the program runs as PID 1 (the first process of a container), Ensure
// re-executes the program's own executable as its only child and turns the
// original process into sexton's supervisor (package supervise) around it:
// the supervisor reaps every orphan that the kernel reparents to PID 1,
// forwards signals to the child, shuts down what is left with a grace period
// when the child exits, and exits with the child's status. Ensure never
// returns in the supervisor. In the re-executed child it returns at once,
// and the rest of main runs as it would have without Ensure, only no longer
// as PID 1. When the program is not PID 1, Ensure does nothing (unless told
// to supervise anyway, see Always).
//
// # Why a second process
//
// A reaper that calls wait4(-1) in the same process as code that uses
// os/exec steals exit statuses from cmd.Wait: the reaper collects a child
// that cmd.Wait was about to collect, and cmd.Wait fails with "waitid: no
// child processes" (measured: 101 of 500 concurrent cmd.Run calls failed).
// Here the reaper and the program are different processes. The processes
// the program starts are the child's children, which the supervisor cannot
// wait for (wait4 only sees the caller's own children); only orphans, which
// the kernel gives to PID 1, reach the supervisor. So no exit status can be
// stolen, by construction, and nothing in the program needs to change.
//
// # What to expect
//
//   - Everything that runs before Ensure — package init functions and the
//     start of main — runs twice: once in the supervisor and once in the
//     child. Keep side effects out of init functions, and call Ensure first.
//   - The child gets the same arguments (os.Args[0] included, so programs
//     that dispatch on their name keep working), environment, working
//     directory and standard input, output and error; the file executed is
//     the running one (/proc/self/exe), even if it was replaced on disk.
//   - The child marker (the SEXTON_PID1_CHILD environment variable) is
//     removed from the environment by Ensure before it returns in the child,
//     so the program's own code never sees it and the processes it starts
//     do not inherit it.
//   - The child runs in its own process group, which is the terminal's
//     foreground group when standard input is a terminal, so Ctrl-C reaches
//     it. os.Getpid() in the child is not 1; its parent is the supervisor.
//   - The supervisor is small: it fixes its runtime at one P, handles every
//     catchable signal, and does nothing else.
//   - When the supervisor reaps orphans (it is PID 1, or a child subreaper
//     with Subreaper), Ensure tells package proctree so in the child:
//     proctree then never makes the program a child subreaper, and every
//     orphan, those of plain exec.Commands included, goes to the
//     supervisor and is reaped (see docs/proctree.md).
//
// # Options and environment
//
// Options mirror sexton's command line: Grace (--grace), Subreaper (-s),
// Verbosity (-v), WarnOnReap (-w), and Configure for anything else in
// supervise.Config. Options are the program's defaults; these environment
// variables, when set, override them, so that whoever deploys the program
// can tune it without rebuilding it:
//
//	SEXTON_PID1       "auto" (the default): supervise when PID 1;
//	                  "always" (or 1, true, yes, on): supervise even when
//	                  not PID 1; "never" (or 0, false, no, off): never.
//	SEXTON_GRACE      grace period, as sexton's --grace: 5s, 1500ms, 10.
//	SEXTON_VERBOSITY  0 silences the supervisor, 1 (default) warnings and
//	                  errors, 2, 3 and 4 add info, debug and trace.
//	SEXTON_SUBREAPER  set (to anything but 0, false, no, off) as -s.
//
// A malformed variable is an error (Ensure exits 1) only where the
// supervisor would run; in a process that is not to be supervised (not
// PID 1, and not Always or SEXTON_PID1=always) it has no effect, and Ensure
// writes one warning line and returns.
package pid1

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sexton-init/sexton/internal/adopter"
	"github.com/sexton-init/sexton/supervise"
)

// ChildEnv is the environment variable that marks the re-executed child. Its
// value is the supervisor's process ID, which the child checks against its
// parent's, so a marker that leaked into some other process's environment is
// not taken for one. Ensure removes it from the child's environment.
const ChildEnv = "SEXTON_PID1_CHILD"

// DefaultGrace is the grace period when neither Grace nor SEXTON_GRACE says
// otherwise; it is sexton's default.
const DefaultGrace = 5 * time.Second

// settings is what the options build.
type settings struct {
	mode       mode
	grace      time.Duration
	subreaper  bool
	verbosity  int
	warnOnReap bool
	configure  []func(*supervise.Config)
}

// mode says when to supervise.
type mode int

const (
	auto   mode = iota // when PID 1
	always             // even when not PID 1
	never              // never
)

// An Option changes how Ensure supervises.
type Option func(*settings)

// Always makes Ensure supervise even when the process is not PID 1, as
// SEXTON_PID1=always does. Outside PID 1, orphans are reparented to the
// supervisor only if it is a child subreaper: combine with Subreaper.
func Always() Option { return func(s *settings) { s.mode = always } }

// Never makes Ensure do nothing, even as PID 1, as SEXTON_PID1=never does;
// for programs that decide at run time (SEXTON_PID1 still overrides it).
func Never() Option { return func(s *settings) { s.mode = never } }

// Grace sets how long processes left when the child exits get between
// SIGTERM and SIGKILL, as sexton's --grace; 0 exits at once, as tini does.
// The default is DefaultGrace.
func Grace(d time.Duration) Option { return func(s *settings) { s.grace = d } }

// Subreaper registers the supervisor as a child subreaper when it is not
// PID 1, as sexton's -s, so that orphans of the child's descendants are
// reparented to it and reaped.
func Subreaper() Option { return func(s *settings) { s.subreaper = true } }

// Verbosity sets how much the supervisor writes to standard error, as
// sexton's -v: 0 nothing, 1 (the default) warnings and errors, 2 info,
// 3 debug, 4 trace.
func Verbosity(level int) Option { return func(s *settings) { s.verbosity = level } }

// WarnOnReap makes the supervisor warn for every orphan it reaps, naming it,
// as sexton's -w.
func WarnOnReap() Option { return func(s *settings) { s.warnOnReap = true } }

// Configure edits the supervise.Config that the supervisor runs with, after
// the other options and the environment have been applied: for signal
// rewriting, process-group relay, exit-code remapping and the rest. Args,
// Path and Pause are Ensure's (the program's own arguments, its own
// executable, no pause) and are set after f returns, whatever f put there.
// Env, if f sets it, is the child's environment (nil: the program's), to
// which Ensure adds the child marker.
func Configure(f func(*supervise.Config)) Option {
	return func(s *settings) { s.configure = append(s.configure, f) }
}

// supervised is set when Ensure returned in the re-executed child.
var supervised bool

// Supervised reports whether Ensure found this process to be the child of a
// pid1 supervisor (and returned).
func Supervised() bool { return supervised }

// Ensure makes the program its own init when it is PID 1 (or when Always or
// SEXTON_PID1 asks for it): the process becomes the supervisor of a
// re-executed copy of the program and exits with that copy's status, never
// returning; in the copy, and when there is nothing to do, Ensure returns.
//
// If the supervisor cannot be set up (the executable cannot be found, an
// environment variable is malformed), Ensure writes one line to standard
// error and exits with status 1: a program that has to be PID 1 but cannot
// reap should not run unnoticed. Use TryEnsure to decide otherwise. A
// malformed SEXTON_* variable in a process that is not to be supervised
// (not PID 1, and neither Always nor SEXTON_PID1=always) only gets a
// warning line (unless the verbosity is 0): it would have no effect there.
func Ensure(opts ...Option) {
	if err := TryEnsure(opts...); err != nil {
		fmt.Fprintf(os.Stderr, "sexton: error: %v\n", err)
		os.Exit(supervise.ExitUsage)
	}
}

// TryEnsure is Ensure, except that it returns an error, instead of exiting,
// when the supervisor cannot be set up; nothing in the process has been
// changed then, and the program may go on unsupervised. Once the supervisor
// has started, TryEnsure never returns in it, as Ensure. It returns nil in
// the re-executed child and when there is nothing to do (after a warning
// about malformed SEXTON_* variables, as Ensure).
func TryEnsure(opts ...Option) error {
	s := settings{grace: DefaultGrace, verbosity: 1}
	for _, o := range opts {
		o(&s)
	}
	envErr := applyEnv(&s, os.LookupEnv)
	if sup, ok := isChild(); ok {
		supervised = true
		if sup == 1 || s.subreaper {
			// The supervisor reaps the orphans of this process's
			// descendants: package proctree need not.
			adopter.Set(sup)
		}
		return nil
	}
	if s.mode == never || (s.mode == auto && os.Getpid() != 1) {
		if envErr != nil && s.verbosity > 0 {
			fmt.Fprintf(os.Stderr, "sexton: warning: %v (not supervising: not PID 1, so it has no effect)\n", envErr)
		}
		return nil
	}
	if envErr != nil {
		return envErr
	}
	path, err := executable()
	if err != nil {
		return fmt.Errorf("pid1: cannot re-execute this program as its own child: %w", err)
	}
	cfg := config(&s, os.Args)
	cfg.Path = path
	cfg.Env = childEnv(cfg.Env, os.Getpid())
	os.Exit(supervise.Run(cfg))
	panic("unreachable")
}

// config turns the settings into the supervisor's configuration.
func config(s *settings, args []string) supervise.Config {
	cfg := supervise.Config{
		Subreaper:  s.subreaper,
		WarnOnReap: s.warnOnReap,
		Grace:      s.grace,
		Log:        &supervise.Logger{Verbosity: s.verbosity},
	}
	for _, f := range s.configure {
		f(&cfg)
	}
	cfg.Args, cfg.Pause = args, false
	return cfg
}

// childEnv is the child's environment: env (the caller's if nil) without
// any child marker, plus the marker naming the supervisor.
func childEnv(env []string, supervisor int) []string {
	if env == nil {
		env = os.Environ()
	}
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, ChildEnv+"=") {
			out = append(out, kv)
		}
	}
	return append(out, ChildEnv+"="+strconv.Itoa(supervisor))
}

// isChild reports whether this process is the child of a pid1 supervisor,
// and which process that is, and removes the marker from the environment
// either way.
func isChild() (supervisor int, ok bool) {
	v, ok := os.LookupEnv(ChildEnv)
	if !ok {
		return 0, false
	}
	os.Unsetenv(ChildEnv)
	ppid := os.Getppid()
	return ppid, v == strconv.Itoa(ppid)
}

// applyEnv applies the SEXTON_* variables over the options. A malformed
// one is skipped, and all of them are named in the error.
func applyEnv(s *settings, env func(string) (string, bool)) error {
	var errs []string
	if v, ok := env("SEXTON_PID1"); ok {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "", "auto":
			s.mode = auto
		case "always", "1", "true", "yes", "on":
			s.mode = always
		case "never", "0", "false", "no", "off":
			s.mode = never
		default:
			errs = append(errs, fmt.Sprintf("SEXTON_PID1=%q is not auto, always or never", v))
		}
	}
	if v, ok := env("SEXTON_GRACE"); ok {
		if d, err := supervise.ParseGrace(v); err != nil {
			errs = append(errs, fmt.Sprintf("SEXTON_GRACE: %v", err))
		} else {
			s.grace = d
		}
	}
	if v, ok := env("SEXTON_VERBOSITY"); ok {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err != nil || n < 0 {
			errs = append(errs, fmt.Sprintf("SEXTON_VERBOSITY=%q is not a verbosity level (0, 1, 2, ...)", v))
		} else {
			s.verbosity = n
		}
	}
	if v, ok := env("SEXTON_SUBREAPER"); ok {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "0", "false", "no", "off":
			s.subreaper = false
		default:
			s.subreaper = true
		}
	}
	if len(errs) > 0 {
		return errors.New("pid1: " + strings.Join(errs, "; "))
	}
	return nil
}

// executable returns the file to re-execute: /proc/self/exe, which names
// the running file even when it was replaced or deleted on disk, or, without
// /proc, the path os.Executable finds.
func executable() (string, error) {
	const self = "/proc/self/exe"
	if _, err := os.Stat(self); err == nil {
		return self, nil
	}
	return os.Executable()
}
