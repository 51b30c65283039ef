package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton"
	"github.com/sexton-init/sexton/signals"
	"github.com/sexton-init/sexton/supervise"
)

// TiniVersion is the tini release whose interface the tini personality
// reproduces (Debian's tini package, and Docker's docker-init).
const TiniVersion = "0.19.0"

// tiniOptions is tini's getopt string (without its -R respawn option,
// which 0.19 does not have).
const tiniOptions = "p:hvwgle:s"

// tiniSignals are the names tini's -p accepts: exactly these spellings, no
// numbers, no names without "SIG".
var tiniSignals = map[string]unix.Signal{
	"SIGHUP": unix.SIGHUP, "SIGINT": unix.SIGINT, "SIGQUIT": unix.SIGQUIT, "SIGILL": unix.SIGILL,
	"SIGTRAP": unix.SIGTRAP, "SIGABRT": unix.SIGABRT, "SIGBUS": unix.SIGBUS, "SIGFPE": unix.SIGFPE,
	"SIGKILL": unix.SIGKILL, "SIGUSR1": unix.SIGUSR1, "SIGSEGV": unix.SIGSEGV, "SIGUSR2": unix.SIGUSR2,
	"SIGPIPE": unix.SIGPIPE, "SIGALRM": unix.SIGALRM, "SIGTERM": unix.SIGTERM, "SIGCHLD": unix.SIGCHLD,
	"SIGCONT": unix.SIGCONT, "SIGSTOP": unix.SIGSTOP, "SIGTSTP": unix.SIGTSTP, "SIGTTIN": unix.SIGTTIN,
	"SIGTTOU": unix.SIGTTOU, "SIGURG": unix.SIGURG, "SIGXCPU": unix.SIGXCPU, "SIGXFSZ": unix.SIGXFSZ,
	"SIGVTALRM": unix.SIGVTALRM, "SIGPROF": unix.SIGPROF, "SIGWINCH": unix.SIGWINCH, "SIGSYS": unix.SIGSYS,
}

// Reply is what a personality prints, and the code it exits with, when the
// command line asks for no supervision (help, version, licence) or is bad.
type Reply struct {
	Stdout, Stderr string
	Code           int
}

// getpid is the PID shown in tini's "[FATAL tini (PID)]" prefix.
var getpid = os.Getpid

// tiniLine formats one diagnostic the way tini does: "[WARN  tini (PID)] msg".
func tiniLine(level, msg string) string {
	return fmt.Sprintf("[%-5s tini (%d)] %s", level, getpid(), msg)
}

// tiniLevels maps the supervisor's message kinds to tini's level names.
var tiniLevels = map[string]string{"error": "FATAL", "warning": "WARN", "info": "INFO", "debug": "DEBUG", "trace": "TRACE"}

// tiniFormat is the supervisor's Logger.Format for the tini personality.
func tiniFormat(kind, msg string) string {
	level, ok := tiniLevels[kind]
	if !ok {
		level = "INFO"
	}
	return tiniLine(level, msg)
}

// ParseTini parses a command line as tini 0.19 does; args[0] is the
// program name as invoked ("tini", "/sbin/docker-init"). When the result is
// a Reply, the caller prints it and exits; otherwise it supervises the
// Invocation's Config (Action is always Run).
//
// What tini does, and so this: options are read with glibc's getopt, which
// permutes (options may follow the program unless "--" or POSIXLY_CORRECT
// stops it: "tini ls -l" shows the licence); "--version" counts only as
// the sole argument; -h and -l act as soon as they are read; the environment
// is read after the options, so TINI_VERBOSITY replaces the -v count, and
// TINI_SUBREAPER and TINI_KILL_PROCESS_GROUP count when set at all, to any
// value, even empty or "0".
func ParseTini(args []string, env Env, version string) (Invocation, *Reply) {
	name := filepath.Base(args[0])
	if len(args) == 2 && args[1] == "--version" {
		return Invocation{}, &Reply{Stdout: fmt.Sprintf("tini version %s (sexton %s)\n", TiniVersion, version)}
	}
	inv := Invocation{}
	c := &inv.Config
	c.ZeroExit = map[int]bool{}
	c.Rewrite = signals.Rewrite{}
	verbosity := 1

	_, posix := env("POSIXLY_CORRECT")
	opts, operands := gnuGetopt(args[1:], tiniOptions, nil, !posix)
	for _, o := range opts {
		if o.err != "" {
			return inv, &Reply{Stderr: args[0] + ": " + o.err + "\n" + tiniUsage(name, version), Code: 1}
		}
		switch o.opt {
		case 'h':
			return inv, &Reply{Stdout: tiniUsage(name, version)}
		case 'l':
			return inv, &Reply{Stdout: sexton.License}
		case 's':
			c.Subreaper = true
		case 'p':
			sig, ok := tiniSignals[o.arg]
			if !ok {
				return inv, &Reply{Stderr: tiniLine("FATAL", "Not a valid option for -p: "+o.arg) + "\n", Code: 1}
			}
			c.ParentDeath = sig
		case 'v':
			verbosity++
		case 'w':
			c.WarnOnReap = true
		case 'g':
			c.Group = true
		case 'e':
			code, ok := strtolStrict(o.arg)
			if !ok || code < 0 || code > 255 {
				return inv, &Reply{Stderr: tiniLine("FATAL", "Not a valid option for -e: "+o.arg) + "\n", Code: 1}
			}
			c.ZeroExit[int(code)] = true
		}
	}
	if len(operands) == 0 {
		return inv, &Reply{Stderr: tiniUsage(name, version), Code: 1}
	}
	c.Args = operands

	if _, ok := env("TINI_SUBREAPER"); ok || isSet(env, "SEXTON_SUBREAPER") {
		c.Subreaper = true
	}
	if _, ok := env("TINI_KILL_PROCESS_GROUP"); ok {
		c.Group = true
	}
	if v, ok := env("TINI_VERBOSITY"); ok {
		verbosity = atoi(v)
	}
	grace, err := personalityGrace(env)
	if err != nil {
		return inv, &Reply{Stderr: tiniLine("FATAL", err.Error()) + "\n", Code: 1}
	}
	c.Grace = grace
	c.Log = &supervise.Logger{Verbosity: verbosity, Format: tiniFormat}
	c.Events = newTiniEvents(verbosity, c.WarnOnReap)
	return inv, nil
}

// tiniUsage is tini's usage text, line for line, with sexton named in the
// title and its own variable added at the end.
func tiniUsage(name, version string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (tini version %s, sexton %s)\n", name, TiniVersion, version)
	fmt.Fprintf(&b, "Usage: %s [OPTIONS] PROGRAM -- [ARGS] | --version\n\n", name)
	fmt.Fprintf(&b, "Execute a program under the supervision of a valid init process (%s)\n\n", name)
	b.WriteString(`Command line options:

  --version: Show version and exit.
  -h: Show this help message and exit.
  -s: Register as a process subreaper (requires Linux >= 3.4).
  -p SIGNAL: Trigger SIGNAL when parent dies, e.g. "-p SIGKILL".
  -v: Generate more verbose output. Repeat up to 3 times.
  -w: Print a warning when processes are getting reaped.
  -g: Send signals to the child's process group.
  -e EXIT_CODE: Remap EXIT_CODE (from 0 to 255) to 0.
  -l: Show license and exit.

Environment variables:

  TINI_SUBREAPER: Register as a process subreaper (requires Linux >= 3.4).
  TINI_VERBOSITY: Set the verbosity level (default: 1).
  TINI_KILL_PROCESS_GROUP: Send signals to the child's process group.
`)
	fmt.Fprintf(&b, "  SEXTON_GRACE: Seconds (or a duration: 1500ms) between SIGTERM and SIGKILL for\n"+
		"    processes left when the child exits (default: %v; 0: exit at once, as tini).\n\n", DefaultGrace)
	b.WriteString("This is sexton running as tini; \"sexton --help\" shows its own options.\n\n")
	return b.String()
}

// strtolStrict reads a whole decimal number as C's strtol(s, &end, 10) with
// *end == 0 accepts it: optional leading spaces and sign, then digits to
// the end of the string.
func strtolStrict(s string) (int64, bool) {
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg, t = t[0] == '-', t[1:]
	}
	if t == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(t); i++ {
		if t[i] < '0' || t[i] > '9' {
			return 0, false
		}
		if n < 1<<40 {
			n = n*10 + int64(t[i]-'0')
		}
	}
	if neg {
		n = -n
	}
	return n, true
}

// atoi reads a verbosity as C's atoi does: leading spaces, a sign, digits,
// and anything after ignored; no digits gives 0. A negative value, which
// tini stores in an unsigned variable, turns everything on.
func atoi(s string) int {
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg, t = t[0] == '-', t[1:]
	}
	n := 0
	for i := 0; i < len(t) && t[i] >= '0' && t[i] <= '9'; i++ {
		if n < 1<<20 {
			n = n*10 + int(t[i]-'0')
		}
	}
	if neg && n > 0 {
		return int(supervise.Trace)
	}
	return n
}
