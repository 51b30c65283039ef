package supervise

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/signals"
)

// ignoredAtStart returns the signals whose disposition is SIG_IGN now.
//
// Called before sexton installs any handler, this is the set inherited from
// whoever started sexton, as far as the Go runtime left it visible: the
// runtime installs its own handler for most signals before main runs and
// keeps no public record of what was there before, so an inherited SIG_IGN
// survives only for SIGHUP, SIGINT (which the runtime respects, see
// os/signal), SIGCONT, SIGTSTP, SIGTTIN and SIGTTOU (which it leaves
// alone). These stay ignored in sexton and in the child.
//
// Blocked signals are inherited by the child through the runtime, which
// forks with the forking thread's mask, except those the runtime unblocks in
// every thread because it must receive them (SIGHUP, SIGINT, SIGTERM,
// SIGQUIT, SIGABRT, SIGCHLD, SIGPROF and the fault signals): whether those
// were blocked at start is not knowable from Go, and they start unblocked.
func ignoredAtStart() map[unix.Signal]bool {
	out := map[unix.Signal]bool{}
	for s := unix.Signal(1); s <= signals.Max; s++ {
		if s == unix.SIGKILL || s == unix.SIGSTOP {
			continue
		}
		// struct sigaction as the kernel lays it out; the handler comes
		// first on every architecture, the rest fits in the padding.
		var act [4]uint64
		_, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(s), 0,
			uintptr(unsafe.Pointer(&act)), 8, 0, 0)
		if errno == 0 && act[0] == 1 { // SIG_IGN
			out[s] = true
		}
	}
	return out
}
