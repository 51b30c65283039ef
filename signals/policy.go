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
	unix.SIGTTIN: "job-control noise for a background init, dropped as tini does (the dumb-init personality forwards it)",
	unix.SIGTTOU: "job-control noise for a background init, dropped as tini does (the dumb-init personality forwards it)",
	32:           "reserved by glibc (SIGCANCEL) and left to the Go runtime, as tini cannot catch it either",
	33:           "reserved by glibc (SIGSETXID) and the Go runtime's per-thread system calls, as tini cannot catch it either",
}

// selfRaised lists the signals that sexton's own process raises for
// itself, which are passed on only when another process sent them.
var selfRaised = map[unix.Signal]string{
	unix.SIGURG:  "the Go runtime sends it to sexton's own threads for preemption",
	unix.SIGPIPE: "sexton's own write to a broken stdout or stderr raises it",
}

// Origin is where a received signal came from, as far as the receiver can
// tell (from the siginfo's si_pid).
type Origin int

// The origins.
const (
	// Unknown: the receiver cannot tell (os/signal does not say).
	Unknown Origin = iota
	// Self: sexton's own process (si_pid is sexton's PID): the Go
	// runtime's preemption SIGURG, the kernel's SIGPIPE for sexton's own
	// write to a broken pipe.
	Self
	// Other: anyone else: another process, or the kernel on its behalf
	// (si_pid 0 for a sender outside sexton's PID namespace, or a terminal).
	Other
)

// Relayed reports whether sexton forwards sig, received from origin, to its
// child when no rewrite rule names it. The fault signals (SIGSEGV, SIGBUS,
// ...) count as sent: a real fault in sexton crashes it before any policy
// is asked.
func Relayed(sig unix.Signal, from Origin) bool {
	if SelfRaised(sig, from) {
		return false
	}
	_, no := notRelayed[sig]
	return !no && sig >= 1 && sig <= Max
}

// SelfRaised reports whether sig, received from origin, may be one that
// sexton's own process raised for itself (SIGURG, SIGPIPE), which must
// never reach the child, whatever the rewrite rules say. Of unknown origin
// it may be, so it is not passed on.
func SelfRaised(sig unix.Signal, from Origin) bool {
	_, own := selfRaised[sig]
	return own && from != Other
}

// NotRelayedReasons describes, one line each, the signals that are not
// forwarded, or only when another process sent them; used by --help and
// the docs.
func NotRelayedReasons() []string {
	var sigs []int
	for s := range notRelayed {
		sigs = append(sigs, int(s))
	}
	for s := range selfRaised {
		sigs = append(sigs, int(s))
	}
	sort.Ints(sigs)
	out := make([]string, 0, len(sigs))
	for _, s := range sigs {
		sig := unix.Signal(s)
		if why, ok := selfRaised[sig]; ok {
			out = append(out, fmt.Sprintf("%s (%d), when sexton raised it itself: %s; one sent by another process is forwarded", Name(sig), s, why))
			continue
		}
		out = append(out, fmt.Sprintf("%s (%d): %s", Name(sig), s, notRelayed[sig]))
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
