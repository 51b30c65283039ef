package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/internal/testutil"
	"github.com/sexton-init/sexton/signals"
)

// relayed are the signals the tests send to PID 1.
var relayed = []unix.Signal{unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGUSR1, unix.SIGUSR2, unix.SIGQUIT, unix.SIGWINCH, 35, 64}

// recorded waits until file lists want exactly (a spurious signal, such as
// the Go runtime's SIGURG leaking through, fails the comparison).
func recorded(t *testing.T, file string, want []string) {
	t.Helper()
	testutil.Eventually(t, limit, "signals "+strings.Join(want, ",")+" in "+filepath.Base(file), func() bool {
		return len(testutil.Lines(testutil.ReadFile(file))) >= len(want)
	})
	if got := testutil.Lines(testutil.ReadFile(file)); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("%s received %v, want %v", filepath.Base(file), got, want)
	}
}

func TestEachSignalReachesTheChild(t *testing.T) {
	file := filepath.Join(t.TempDir(), "child")
	ns := testutil.Start(t, testutil.Spec{Args: cmdline(sexton(t, "--"), testutil.Tool("sigrecord", file))})
	waitFile(t, file+".ready")
	var want []string
	for _, sig := range relayed {
		ns.Signal(sig)
		want = append(want, signals.Name(sig))
		recorded(t, file, want)
	}
}

// Signal 34 (glibc's SIGRTMIN, which Go programs cannot catch but sexton's
// handler does) reaches a shell that traps it.
func TestSignal34ReachesTheChild(t *testing.T) {
	dir := t.TempDir()
	rec, ready := filepath.Join(dir, "rec"), filepath.Join(dir, "ready")
	script := "trap 'echo 34 >> " + rec + "' 34\ntouch " + ready + "\nwhile :; do sleep 0.01; done"
	ns := testutil.Start(t, testutil.Spec{Args: cmdline(sexton(t, "--"), []string{"sh", "-c", script})})
	waitFile(t, ready)
	ns.Signal(34)
	recorded(t, rec, []string{"34"})
}

func TestGroupFlagReachesTheGrandchild(t *testing.T) {
	dir := t.TempDir()
	child, grandchild := filepath.Join(dir, "child"), filepath.Join(dir, "grandchild")
	ns := testutil.Start(t, testutil.Spec{Args: cmdline(sexton(t, "-g", "--"), testutil.Tool("sigrecord", child, grandchild))})
	waitFile(t, child+".ready")
	ns.Signal(unix.SIGUSR1)
	recorded(t, child, []string{"SIGUSR1"})
	recorded(t, grandchild, []string{"SIGUSR1"})
	ns.Signal(unix.SIGHUP)
	recorded(t, child, []string{"SIGUSR1", "SIGHUP"})
	recorded(t, grandchild, []string{"SIGUSR1", "SIGHUP"})
}

func TestWithoutGroupFlagOnlyTheChildIsSignalled(t *testing.T) {
	dir := t.TempDir()
	child, grandchild := filepath.Join(dir, "child"), filepath.Join(dir, "grandchild")
	ns := testutil.Start(t, testutil.Spec{Args: cmdline(sexton(t, "--"), testutil.Tool("sigrecord", child, grandchild))})
	waitFile(t, child+".ready")
	ns.Signal(unix.SIGUSR1)
	recorded(t, child, []string{"SIGUSR1"})
	ns.Signal(unix.SIGUSR2)
	recorded(t, child, []string{"SIGUSR1", "SIGUSR2"})
	if got := testutil.ReadFile(grandchild); got != "" {
		t.Fatalf("grandchild received %q without -g", got)
	}
}

func TestRewriteMapsAndDrops(t *testing.T) {
	file := filepath.Join(t.TempDir(), "child")
	ns := testutil.Start(t, testutil.Spec{Args: cmdline(sexton(t, "--rewrite", "TERM:QUIT", "-r", "10:0", "--"),
		testutil.Tool("sigrecord", file))})
	waitFile(t, file+".ready")
	ns.Signal(unix.SIGTERM)
	recorded(t, file, []string{"SIGQUIT"})
	// SIGUSR1 is pending in sexton before SIGUSR2 is sent, so if it were
	// relayed the child would record it before SIGUSR2.
	ns.Signal(unix.SIGUSR1)
	ns.Signal(unix.SIGUSR2)
	recorded(t, file, []string{"SIGQUIT", "SIGUSR2"})
}

// A broken stderr makes sexton's own log writes raise SIGPIPE; it must not
// reach the child (SIGPIPE's default action would kill the service).
func TestBrokenStderrDoesNotKillTheChild(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close() // every write to w now fails with EPIPE and raises SIGPIPE
	defer w.Close()
	ns := testutil.Start(t, testutil.Spec{Stderr: w,
		Args: cmdline(sexton(t, "-vvv", "--"), []string{"sh", "-c", "sleep 0.5; exit 3"})})
	if code := ns.Wait(limit); code != 3 {
		t.Fatalf("exit code %d, want the child's 3 (141 is the child killed by a relayed SIGPIPE)", code)
	}
}
