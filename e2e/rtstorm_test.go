package e2e

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/internal/testutil"
)

// Issue 13, case 3: bursts of queued real-time signals from two senders that
// never stop until sexton exits. A storm of one kind of signal must not
// delay another kind: under the storm, sexton still reaps each orphan,
// still relays each SIGTERM, and still notices the child's exit. A loop
// that takes every signal from one bounded queue in order drops what does
// not fit, and the senders, which only stop once sexton has exited, keep
// it from ever seeing what it lost. Each event is repeated (rounds), so
// that one that slips through by luck does not hide the loss of another.
//
// sexton runs as a user of its own: queued signals are charged to the
// receiver's user (up to RLIMIT_SIGPENDING, tens of thousands), and a storm
// at a root sexton would leave every other root process on the machine
// unable to receive a real-time signal while it lasts.
const rtRounds = 50

// rtNumbers lists the real-time signals a Go program can catch, SIGRTMIN+1
// to SIGRTMAX, for a shell's trap.
var rtNumbers = func() string {
	var rt []string
	for s := 35; s <= 64; s++ {
		rt = append(rt, fmt.Sprint(s))
	}
	return strings.Join(rt, " ")
}()

func TestRealTimeStormDoesNotHideOtherSignals(t *testing.T) {
	dir := t.TempDir()
	rec, exit := filepath.Join(dir, "rec"), filepath.Join(dir, "exit")
	// The child ignores the real-time signals relayed to it, records each
	// SIGTERM, and exits 7 when told.
	ns := testutil.Start(t, testutil.Spec{Args: cmdline(asOtherUser(t, dir), sexton(t, "-vv", "--"), []string{"sh", "-c",
		"trap '' " + rtNumbers + "\ntrap 'echo TERM >> " + rec + "' TERM\ntouch " + dir + "/ready\n" +
			"while [ ! -e " + exit + " ]; do sleep 0.01; done; exit 7"})})
	ns.WaitFile(limit, filepath.Join(dir, "ready"))
	storm := testutil.StartStorm(t, ns.PID, testutil.Signals(35, 49), testutil.Signals(50, 64))

	// Orphans: one at a time, each left by a process that joined the
	// namespace (so it becomes sexton's when that process exits), each to
	// be reaped under the storm: sexton's only child is the main one again.
	child := testutil.Children(ns.PID)
	for i := range rtRounds {
		join := startDirect(t, []string{"nsenter", "-t", itoa(ns.PID), "-p", "-m", "--", "sh", "-c", "sleep 0 & exit 0"})
		if code := waitDirect(t, join); code != 0 {
			t.Fatalf("nsenter: exit %d: %s", code, stderrOf(join))
		}
		testutil.Eventually(t, limit, fmt.Sprintf("orphan %d reaped under the storm (%d signals sent)", i+1, storm.Sent()),
			func() bool { return slices.Equal(testutil.Children(ns.PID), child) })
	}
	// SIGTERM, one at a time, each relayed under the storm.
	for i := range rtRounds {
		ns.Signal(unix.SIGTERM)
		testutil.Eventually(t, limit, fmt.Sprintf("SIGTERM %d relayed under the storm (%d signals sent)", i+1, storm.Sent()),
			func() bool { return len(testutil.Lines(testutil.ReadFile(rec))) == i+1 })
	}
	// The child's exit, under the storm; the senders stop when sexton has
	// gone.
	touch(t, exit)
	code := waitExit(t, ns, ns.Stderr)
	if sent := storm.Stop(); code != 7 {
		t.Fatalf("exit code %d after %d real-time signals, want the child's 7", code, sent)
	}
}
