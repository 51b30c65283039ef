// Package signals names Linux signals, parses them from user input, and holds
// sexton's forwarding policy: which signals are relayed to the child and how
// they may be rewritten on the way.
package signals

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Max is the highest signal number on Linux (SIGRTMAX).
const Max = 64

// names maps the classic signal numbers to their names without the SIG prefix.
var names = map[unix.Signal]string{
	unix.SIGHUP: "HUP", unix.SIGINT: "INT", unix.SIGQUIT: "QUIT", unix.SIGILL: "ILL",
	unix.SIGTRAP: "TRAP", unix.SIGABRT: "ABRT", unix.SIGBUS: "BUS", unix.SIGFPE: "FPE",
	unix.SIGKILL: "KILL", unix.SIGUSR1: "USR1", unix.SIGSEGV: "SEGV", unix.SIGUSR2: "USR2",
	unix.SIGPIPE: "PIPE", unix.SIGALRM: "ALRM", unix.SIGTERM: "TERM", unix.SIGSTKFLT: "STKFLT",
	unix.SIGCHLD: "CHLD", unix.SIGCONT: "CONT", unix.SIGSTOP: "STOP", unix.SIGTSTP: "TSTP",
	unix.SIGTTIN: "TTIN", unix.SIGTTOU: "TTOU", unix.SIGURG: "URG", unix.SIGXCPU: "XCPU",
	unix.SIGXFSZ: "XFSZ", unix.SIGVTALRM: "VTALRM", unix.SIGPROF: "PROF", unix.SIGWINCH: "WINCH",
	unix.SIGIO: "IO", unix.SIGPWR: "PWR", unix.SIGSYS: "SYS",
}

// aliases are other accepted spellings.
var aliases = map[string]unix.Signal{"IOT": unix.SIGABRT, "POLL": unix.SIGIO, "CLD": unix.SIGCHLD}

const rtMin = 34 // SIGRTMIN as the kernel numbers it

// Name returns the conventional name of sig with the SIG prefix, such as
// "SIGTERM" or "SIGRTMIN+3".
func Name(sig unix.Signal) string {
	if n, ok := names[sig]; ok {
		return "SIG" + n
	}
	switch {
	case sig == rtMin:
		return "SIGRTMIN"
	case sig == Max:
		return "SIGRTMAX"
	case sig > rtMin && sig < Max:
		return fmt.Sprintf("SIGRTMIN+%d", sig-rtMin)
	}
	return fmt.Sprintf("signal %d", int(sig))
}

// Parse reads a signal given as a number ("15"), a name ("TERM", "SIGTERM",
// "sigterm") or a real-time offset ("RTMIN+2", "SIGRTMAX-1").
func Parse(s string) (unix.Signal, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("empty signal name")
	}
	if n, err := strconv.Atoi(t); err == nil {
		if n < 1 || n > Max {
			return 0, fmt.Errorf("signal number %d out of range 1-%d", n, Max)
		}
		return unix.Signal(n), nil
	}
	u := strings.TrimPrefix(strings.ToUpper(t), "SIG")
	if sig, ok := aliases[u]; ok {
		return sig, nil
	}
	for sig, n := range names {
		if n == u {
			return sig, nil
		}
	}
	if sig, ok := parseRealtime(u); ok {
		return sig, nil
	}
	return 0, fmt.Errorf("unknown signal %q", s)
}

func parseRealtime(u string) (unix.Signal, bool) {
	base, rest := 0, ""
	switch {
	case strings.HasPrefix(u, "RTMIN"):
		base, rest = rtMin, u[len("RTMIN"):]
	case strings.HasPrefix(u, "RTMAX"):
		base, rest = Max, u[len("RTMAX"):]
	default:
		return 0, false
	}
	if rest == "" {
		return unix.Signal(base), true
	}
	off, err := strconv.Atoi(rest)
	if err != nil || (rest[0] != '+' && rest[0] != '-') {
		return 0, false
	}
	n := base + off
	if n < rtMin || n > Max {
		return 0, false
	}
	return unix.Signal(n), true
}

// descriptions are glibc's strsignal texts for the classic signals.
var descriptions = map[unix.Signal]string{
	unix.SIGHUP: "Hangup", unix.SIGINT: "Interrupt", unix.SIGQUIT: "Quit", unix.SIGILL: "Illegal instruction",
	unix.SIGTRAP: "Trace/breakpoint trap", unix.SIGABRT: "Aborted", unix.SIGBUS: "Bus error",
	unix.SIGFPE: "Floating point exception", unix.SIGKILL: "Killed", unix.SIGUSR1: "User defined signal 1",
	unix.SIGSEGV: "Segmentation fault", unix.SIGUSR2: "User defined signal 2", unix.SIGPIPE: "Broken pipe",
	unix.SIGALRM: "Alarm clock", unix.SIGTERM: "Terminated", unix.SIGSTKFLT: "Stack fault",
	unix.SIGCHLD: "Child exited", unix.SIGCONT: "Continued", unix.SIGSTOP: "Stopped (signal)",
	unix.SIGTSTP: "Stopped", unix.SIGTTIN: "Stopped (tty input)", unix.SIGTTOU: "Stopped (tty output)",
	unix.SIGURG: "Urgent I/O condition", unix.SIGXCPU: "CPU time limit exceeded",
	unix.SIGXFSZ: "File size limit exceeded", unix.SIGVTALRM: "Virtual timer expired",
	unix.SIGPROF: "Profiling timer expired", unix.SIGWINCH: "Window changed", unix.SIGIO: "I/O possible",
	unix.SIGPWR: "Power failure", unix.SIGSYS: "Bad system call",
}

// Description is the C library's description of sig, as glibc's
// strsignal gives it ("Terminated", "User defined signal 1", "Real-time
// signal 2"); tini's messages quote it.
func Description(sig unix.Signal) string {
	if d, ok := descriptions[sig]; ok {
		return d
	}
	if sig >= rtMin && sig <= Max {
		return fmt.Sprintf("Real-time signal %d", sig-rtMin)
	}
	return fmt.Sprintf("Unknown signal %d", int(sig))
}
