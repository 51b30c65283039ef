package signals

import (
	"fmt"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// notRelayed lists the signals sexton never passes on, and why.
var notRelayed = map[unix.Signal]string{
	unix.SIGKILL: "cannot be caught",
	unix.SIGSTOP: "cannot be caught",
	unix.SIGCHLD: "drives reaping",
	unix.SIGURG:  "the Go runtime sends it to itself for preemption",
	unix.SIGPIPE: "raised by sexton's own writes to a broken stdout/stderr; relaying it would kill the child",
	unix.SIGTTIN: "job-control noise for a background init, dropped as tini does",
	unix.SIGTTOU: "job-control noise for a background init, dropped as tini does",
	unix.SIGILL:  "synchronous fault signal, not relayed (as tini)",
	unix.SIGTRAP: "synchronous fault signal, not relayed (as tini)",
	unix.SIGABRT: "synchronous fault signal, not relayed (as tini)",
	unix.SIGBUS:  "synchronous fault signal, not relayed (as tini)",
	unix.SIGFPE:  "synchronous fault signal, not relayed (as tini)",
	unix.SIGSEGV: "synchronous fault signal, not relayed (as tini)",
	unix.SIGSYS:  "synchronous fault signal, not relayed (as tini)",
	32:           "reserved by the Go runtime and glibc, cannot be caught",
	33:           "reserved by the Go runtime and glibc, cannot be caught",
	34:           "reserved by the Go runtime (musl's SIGSYNCCALL), cannot be caught",
}

// uncatchable are the signals a Go program cannot install a handler for.
var uncatchable = map[unix.Signal]bool{unix.SIGKILL: true, unix.SIGSTOP: true, unix.SIGURG: true, 32: true, 33: true, 34: true}

// Relayed reports whether sexton forwards sig to its child.
func Relayed(sig unix.Signal) bool {
	_, no := notRelayed[sig]
	return !no && sig >= 1 && sig <= Max
}

// Catchable returns every signal sexton installs a handler for: all it
// relays plus those it must receive to stay alive (a Go program without a
// handler dies of SIGTERM or crashes on a user-sent SIGSEGV, even as PID 1).
// SIGURG is left to the runtime, which ignores it by default.
func Catchable() []unix.Signal {
	var out []unix.Signal
	for s := unix.Signal(1); s <= Max; s++ {
		if !uncatchable[s] {
			out = append(out, s)
		}
	}
	return out
}

// NotRelayedReasons describes, one line each, the signals that are not
// forwarded; used by --help and the docs.
func NotRelayedReasons() []string {
	var sigs []int
	for s := range notRelayed {
		sigs = append(sigs, int(s))
	}
	sort.Ints(sigs)
	out := make([]string, 0, len(sigs))
	for _, s := range sigs {
		out = append(out, fmt.Sprintf("%s (%d): %s", Name(unix.Signal(s)), s, notRelayed[unix.Signal(s)]))
	}
	return out
}

// Rewrite maps a received signal to the one forwarded in its place; a
// mapping to 0 drops the signal.
type Rewrite map[unix.Signal]unix.Signal

// Set parses one FROM:TO pair (numbers or names, "TERM:QUIT", "15:3", "15:0")
// and adds it, as dumb-init's --rewrite does.
func (r Rewrite) Set(pair string) error {
	from, to, ok := strings.Cut(pair, ":")
	if !ok {
		return fmt.Errorf("rewrite %q is not FROM:TO", pair)
	}
	f, err := Parse(from)
	if err != nil {
		return fmt.Errorf("rewrite %q: %v", pair, err)
	}
	var t unix.Signal
	if strings.TrimSpace(to) != "0" {
		if t, err = Parse(to); err != nil {
			return fmt.Errorf("rewrite %q: %v", pair, err)
		}
	}
	r[f] = t
	return nil
}

// Apply returns the signal to forward for sig and whether to forward at all.
func (r Rewrite) Apply(sig unix.Signal) (unix.Signal, bool) {
	if to, ok := r[sig]; ok {
		return to, to != 0
	}
	return sig, true
}
