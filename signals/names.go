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
