package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/internal/testutil"
)

// flushScript is a main process that starts a background helper and exits
// at once on SIGTERM; the helper, on SIGTERM, needs 300 ms to flush its
// file before it exits. The main process sets its trap before it starts
// the helper, whose ready file so means that both are ready.
func flushScript(file string) string {
	return `trap 'exit 0' TERM
(trap 'sleep 0.3; echo flushed > ` + file + `; exit 0' TERM; touch ` + file + `.ready; while :; do sleep 0.05; done) &
while :; do sleep 0.05; done`
}

// SIGTERM to PID 1: the main child exits at once, the helper gets SIGTERM
// and time to flush before sexton exits.
func TestShutdownLetsLeftoversFlush(t *testing.T) {
	file := filepath.Join(t.TempDir(), "data")
	ns := testutil.Start(t, testutil.Spec{Args: cmdline(sexton(t, "--"), []string{"sh", "-c", flushScript(file)})})
	waitFile(t, file+".ready")
	ns.Signal(unix.SIGTERM)
	if code := ns.Wait(limit); code != 0 {
		t.Fatalf("exit code %d, want the main child's 0; stderr:\n%s", code, ns.Stderr())
	}
	if got := testutil.ReadFile(file); got != "flushed\n" {
		t.Fatalf("helper's file holds %q: it was killed mid-write", got)
	}
}

// --grace 0 is tini's behaviour: exit with the main child, the helper dies
// with the namespace before it could flush.
func TestGraceZeroExitsAtOnce(t *testing.T) {
	file := filepath.Join(t.TempDir(), "data")
	ns := testutil.Start(t, testutil.Spec{Args: cmdline(sexton(t, "--grace", "0", "--"), []string{"sh", "-c", flushScript(file)})})
	waitFile(t, file+".ready")
	ns.Signal(unix.SIGTERM)
	if code := ns.Wait(limit); code != 0 {
		t.Fatalf("exit code %d, want 0; stderr:\n%s", code, ns.Stderr())
	}
	if got := testutil.ReadFile(file); got != "" {
		t.Fatalf("helper's file holds %q although sexton did not wait for it", got)
	}
}

// A leftover that ignores SIGTERM is SIGKILLed after the grace period and
// sexton still exits with the main child's status.
func TestShutdownKillsWhatIgnoresSIGTERM(t *testing.T) {
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready")
	script := `(trap '' TERM; touch ` + ready + `; exec sleep 1000) &
while [ ! -e ` + ready + ` ]; do sleep 0.01; done
exit 5`
	ns := testutil.Start(t, testutil.Spec{Args: cmdline(sexton(t, "--grace", "500ms", "--"), []string{"sh", "-c", script})})
	if code := ns.Wait(limit); code != 5 {
		t.Fatalf("exit code %d, want the main child's 5; stderr:\n%s", code, ns.Stderr())
	}
	if !strings.Contains(ns.Stderr(), "sent SIGKILL to 1 remaining process") {
		t.Fatalf("no SIGKILL reported; stderr:\n%s", ns.Stderr())
	}
}

// Pause mode reaps orphans made by another process in the namespace and
// exits 0 on SIGTERM.
func TestPauseReapsTheNamespace(t *testing.T) {
	for _, sig := range []unix.Signal{unix.SIGTERM, unix.SIGINT} {
		ns := testutil.Start(t, testutil.Spec{Args: sexton(t, "-v", "--pause")})
		ns.WaitStderr(limit, testutil.PauseReady) // its handlers are in
		join := append([]string{"nsenter", "-t", itoa(ns.PID), "-p", "-m", "--"}, testutil.Tool("orphans", "300")...)
		cmd := startDirect(t, join)
		if code := waitDirect(t, cmd); code != 0 {
			t.Fatalf("orphan maker in the namespace: exit %d: %s", code, stderrOf(cmd))
		}
		testutil.Eventually(t, limit, "orphans reaped by pause", func() bool { return len(ns.Zombies()) == 0 })
		ns.Signal(sig)
		if code := ns.Wait(limit); code != 0 {
			t.Fatalf("pause exit code %d on %v, want 0; stderr:\n%s", code, sig, ns.Stderr())
		}
	}
}

// With -g the child's group already got SIGTERM from the relay: the
// shutdown does not send it a second one (often read as "hurry up").
func TestShutdownDoesNotTermTheGroupTwice(t *testing.T) {
	dir := t.TempDir()
	file, ready := filepath.Join(dir, "terms"), filepath.Join(dir, "ready")
	script := `trap 'exit 3' TERM
(trap 'echo TERM >> ` + file + `' TERM; touch ` + ready + `; while :; do sleep 0.05; done) &
while :; do sleep 0.05; done`
	ns := testutil.Start(t, testutil.Spec{Args: cmdline(sexton(t, "-g", "--grace", "1s", "--"), []string{"sh", "-c", script})})
	waitFile(t, ready)
	ns.Signal(unix.SIGTERM)
	if code := ns.Wait(limit); code != 3 {
		t.Fatalf("exit code %d, want 3; stderr:\n%s", code, ns.Stderr())
	}
	if got := testutil.Lines(testutil.ReadFile(file)); len(got) != 1 {
		t.Fatalf("the group member got %d SIGTERMs (%q), want exactly 1", len(got), got)
	}
}

// Pause mode passes no signal on to the pod's processes except, when it
// stops, the shutdown's SIGTERM.
func TestPauseDoesNotBroadcastSignals(t *testing.T) {
	file := filepath.Join(t.TempDir(), "recorder")
	ns := testutil.Start(t, testutil.Spec{Args: sexton(t, "-v", "--pause", "--grace", "200ms")})
	ns.WaitStderr(limit, testutil.PauseReady) // its handlers are in
	join := append([]string{"nsenter", "-t", itoa(ns.PID), "-p", "-m", "--"}, testutil.Tool("sigrecord", file)...)
	startDirect(t, join)
	waitFile(t, file+".ready")
	ns.Signal(unix.SIGUSR1) // pending before SIGTERM: if passed on, recorded first
	ns.Signal(unix.SIGTERM)
	if code := ns.Wait(limit); code != 0 {
		t.Fatalf("pause exit code %d, want 0; stderr:\n%s", code, ns.Stderr())
	}
	recorded(t, file, []string{"SIGTERM"})
}

// The second case: SIGTERM to PID 1, the main process exits at
// once, its helper ignores SIGTERM; sexton SIGKILLs the helper after the
// grace period and exits with the main process's status.
func TestSIGTERMWithAHelperThatIgnoresIt(t *testing.T) {
	ready := filepath.Join(t.TempDir(), "ready")
	script := `trap 'exit 9' TERM
(trap '' TERM; touch ` + ready + `; while :; do sleep 0.05; done) &
while :; do sleep 0.05; done`
	ns := testutil.Start(t, testutil.Spec{Args: cmdline(sexton(t, "--grace", "300ms", "--"), []string{"sh", "-c", script})})
	waitFile(t, ready)
	ns.Signal(unix.SIGTERM)
	if code := ns.Wait(limit); code != 9 {
		t.Fatalf("exit code %d, want the main process's 9; stderr:\n%s", code, ns.Stderr())
	}
	if !strings.Contains(ns.Stderr(), "grace period of 300ms is over: sent SIGKILL") {
		t.Fatalf("no SIGKILL after the grace period reported; stderr:\n%s", ns.Stderr())
	}
}

// A leftover that joined the namespace from outside (as with docker exec)
// is not sexton's child and its end sends no SIGCHLD; sexton still notices
// that it is gone, instead of waiting out the grace period.
func TestShutdownNoticesLeftoversThatAreNotChildren(t *testing.T) {
	ready := filepath.Join(t.TempDir(), "ready")
	ns := testutil.Start(t, testutil.Spec{Args: cmdline(sexton(t, "--grace", "10m", "--"),
		[]string{"sh", "-c", "while [ ! -e " + ready + " ]; do sleep 0.01; done; exit 4"})})
	// The joined sleep dies of the shutdown's SIGTERM.
	startDirect(t, []string{"nsenter", "-t", itoa(ns.PID), "-p", "-m", "--", "sh", "-c", "touch " + ready + "; exec sleep 1000"})
	if code := ns.Wait(limit); code != 4 {
		t.Fatalf("exit code %d, want 4; stderr:\n%s", code, ns.Stderr())
	}
}
