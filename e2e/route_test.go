package e2e

import (
	"path/filepath"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/internal/testutil"
)

// Half a second after start-up sexton makes every thread route the signals
// that can flood (sigcatch.RouteThread), although none came: a thread that
// has not routed would take the next one through the handler. A sexton
// that left them to route on their first signal keeps all but one thread
// without them blocked, and the test waits in vain. The mask must still
// leave SIGURG and the fault signals to the handler.
func TestEveryThreadRoutesOnceSettled(t *testing.T) {
	ns := testutil.Start(t, testutil.Spec{Args: cmdline(sexton(t, "--"), []string{"sleep", "1000"})})
	routed := uint64(1<<(unix.SIGTERM-1) | 1<<(unix.SIGCHLD-1) | 1<<(unix.SIGUSR1-1) | 1<<(40-1))
	handled := uint64(1<<(unix.SIGURG-1) | 1<<(unix.SIGSEGV-1) | 1<<(unix.SIGPIPE-1))
	var masks []uint64
	testutil.Eventually(t, limit, "every sexton thread to block the routed signals", func() bool {
		masks = threadMasks(t, ns.PID)
		all := len(masks) > 1
		for _, m := range masks {
			all = all && m&routed == routed
		}
		return all
	})
	for _, m := range masks {
		if m&handled != 0 {
			t.Fatalf("a thread blocks a signal the handler must get: SigBlk %016x", m)
		}
	}
	t.Logf("%d threads, SigBlk %x", len(masks), masks)
}

// threadMasks returns SigBlk of every thread of pid.
func threadMasks(t *testing.T, pid int) []uint64 {
	t.Helper()
	files, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/status")
	var out []uint64
	for _, f := range files {
		st := testutil.ReadFile(f)
		if st == "" {
			continue // a thread that ended
		}
		m, err := strconv.ParseUint(statusField(t, st, "SigBlk"), 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}
