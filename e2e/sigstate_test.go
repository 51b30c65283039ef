package e2e

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/internal/testutil"
)

// mask renders signals the way /proc/PID/status shows a signal set.
func mask(sigs ...unix.Signal) string {
	var m uint64
	for _, s := range sigs {
		m |= 1 << (s - 1)
	}
	return fmt.Sprintf("%016x", m)
}

// statusField reads one field of a /proc/PID/status text.
func statusField(t *testing.T, status, name string) string {
	t.Helper()
	for _, line := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no %s in status:\n%s", name, status)
	return ""
}

// The child starts with the signal state sexton was started with, as far
// as the Go runtime lets a program know it (see supervise/sigstate.go):
// blocked signals other than those the runtime must receive itself (SIGHUP,
// SIGINT, SIGTERM, SIGQUIT, SIGCHLD and the fault signals), and ignored
// SIGHUP, SIGINT, SIGTSTP, SIGTTIN, SIGTTOU and SIGCONT; nothing sexton or
// the runtime set up for themselves leaks into it.
func TestChildInheritsStartingSignalState(t *testing.T) {
	cases := []struct {
		name           string
		ignore, block  []unix.Signal
		wantIgn, wantB string
	}{
		{"clean start", nil, nil, mask(), mask()},
		{"ignored and blocked",
			[]unix.Signal{unix.SIGHUP, unix.SIGINT, unix.SIGTTOU, unix.SIGTSTP},
			[]unix.Signal{unix.SIGUSR1, unix.SIGUSR2, unix.SIGALRM, unix.SIGWINCH, 40},
			mask(unix.SIGHUP, unix.SIGINT, unix.SIGTTOU, unix.SIGTSTP),
			mask(unix.SIGUSR1, unix.SIGUSR2, unix.SIGALRM, unix.SIGWINCH, 40)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ns := testutil.Start(t, testutil.Spec{
				Args:   cmdline(sexton(t, "--"), []string{"cat", "/proc/self/status"}),
				Ignore: c.ignore, Block: c.block,
			})
			if code := ns.Wait(limit); code != 0 {
				t.Fatalf("exit code %d; stderr:\n%s", code, ns.Stderr())
			}
			out := ns.Stdout()
			if got := statusField(t, out, "SigIgn"); got != c.wantIgn {
				t.Errorf("child SigIgn %s, want %s", got, c.wantIgn)
			}
			if got := statusField(t, out, "SigBlk"); got != c.wantB {
				t.Errorf("child SigBlk %s, want %s", got, c.wantB)
			}
			if got := statusField(t, out, "SigCgt"); got != mask() {
				t.Errorf("child SigCgt %s, want none caught", got)
			}
		})
	}
}
