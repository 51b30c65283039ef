package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/internal/testutil"
	"github.com/sexton-init/sexton/procfs"
)

// Issue 13, cases 1 and 2: sexton's stderr is a pipe that the log collector
// stops reading; thousands of signals arrive meanwhile (each logged at -vv),
// then the event that matters: the child exits, or the kubelet's SIGTERM
// comes. When the collector reads again, sexton must act on that event and
// say how many log lines it dropped. A loop that blocks on its log write
// lets the signal queue fill, and the event is lost: sexton never exits.

// droppedLine is the line sexton writes once blocked output drains.
var droppedLine = regexp.MustCompile(`^sexton: warning: [1-9][0-9]* log lines dropped: output was blocked$`)

// stallLog starts a storm of SIGUSR1, SIGUSR2 and two real-time signals at
// pid, waits until its log pipe is full, and lets a few thousand more
// signals arrive. The storm goes on until the caller stops it. Standard
// signals merge in the kernel while one is pending, so how many log lines
// they make depends on timing; the real-time ones are queued, and each is
// one line at -vv, so a few thousand of them overflow sexton's log queue.
func stallLog(t *testing.T, pid int, p *testutil.StalledPipe) *testutil.Storm {
	t.Helper()
	storm := testutil.StartStorm(t, pid, []unix.Signal{unix.SIGUSR1, unix.SIGUSR2, 40, 41})
	testutil.Eventually(t, limit, "sexton's log pipe to fill", p.Full)
	// Enough to overflow the 64 KiB queue whatever merges: each of the
	// queued real-time half is a line of ~40 bytes (4000 in all was only
	// just over 64 KiB, and one CI run saw no drop).
	atFull := storm.Sent()
	testutil.Eventually(t, limit, "20000 more signals", func() bool { return storm.Sent() >= atFull+20000 })
	return storm
}

// checkDropped fails unless the drained output holds the dropped-lines line.
func checkDropped(t *testing.T, p *testutil.StalledPipe) {
	t.Helper()
	notes := p.Lines("log lines dropped")
	if len(notes) == 0 {
		t.Fatalf("no dropped-lines line once the output drained; the last of it:\n%s", lastLines(p.Output(), 8))
	}
	for _, l := range notes {
		if !droppedLine.MatchString(l) {
			t.Errorf("dropped-lines line %q, want it to match %v", l, droppedLine)
		}
	}
}

// waitExit waits for PID 1 like NS.Wait, with the end of output (stderr
// that is not NS's buffer) in the message if it hangs.
func waitExit(t *testing.T, ns *testutil.NS, output func() string) int {
	t.Helper()
	select {
	case <-ns.Done():
	case <-time.After(limit):
		t.Fatalf("PID 1 still running after %v; the end of its output:\n%s", limit, lastLines(output(), 8))
	}
	return ns.Wait(limit)
}

// lastLines returns the last n lines of text.
func lastLines(text string, n int) string {
	lines := strings.SplitAfter(strings.TrimRight(text, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "")
}

// Case 1: the child exits while the log is blocked.
func TestBlockedLogDoesNotLoseChildExit(t *testing.T) {
	dir := t.TempDir()
	ready, exit := filepath.Join(dir, "ready"), filepath.Join(dir, "exit")
	p := testutil.NewStalledPipe(t, 4096)
	ns := testutil.Start(t, testutil.Spec{Stderr: p.W, Args: cmdline(sexton(t, "-vv", "--"), []string{"sh", "-c",
		"trap '' USR1 USR2 40 41; touch " + ready + "; while [ ! -e " + exit + " ]; do sleep 0.01; done; exit 7"})})
	p.CloseWriter()
	ns.WaitFile(limit, ready)
	kids := testutil.Children(ns.PID)
	if len(kids) != 1 {
		t.Fatalf("sexton's children %v, want the shell", kids)
	}
	storm := stallLog(t, ns.PID, p)

	touch(t, exit)
	// The child has ended (a zombie, or reaped) while the log is blocked
	// and the signals keep coming.
	testutil.Eventually(t, limit, "the child to end", func() bool {
		st, err := procfs.ReadStat("/proc", kids[0])
		return err != nil || st.State == 'Z'
	})
	sent := storm.Stop()
	p.Drain()
	if code := waitExit(t, ns, p.Output); code != 7 {
		t.Fatalf("exit code %d after %d signals, want the child's 7; output's end:\n%s", code, sent, lastLines(p.Output(), 8))
	}
	<-p.Drained()
	checkDropped(t, p)
}

// Case 2: pause mode gets SIGTERM while the log is blocked.
func TestBlockedLogDoesNotLoseSIGTERMInPause(t *testing.T) {
	p := testutil.NewStalledPipe(t, 4096)
	ns := testutil.Start(t, testutil.Spec{Stderr: p.W, Args: sexton(t, "-vv", "--pause")})
	p.CloseWriter()
	p.ReadUntil(limit, testutil.PauseReady)
	storm := stallLog(t, ns.PID, p)

	ns.Signal(unix.SIGTERM)
	// More signals after SIGTERM, while the log is still blocked.
	at := storm.Sent()
	testutil.Eventually(t, limit, "4000 signals after SIGTERM", func() bool { return storm.Sent() >= at+4000 })
	sent := storm.Stop()
	p.Drain()
	if code := waitExit(t, ns, p.Output); code != 0 {
		t.Fatalf("pause exit code %d after %d signals and SIGTERM, want 0; output's end:\n%s", code, sent, lastLines(p.Output(), 8))
	}
	<-p.Drained()
	checkDropped(t, p)
}

// touch creates an empty file.
func touch(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
}
