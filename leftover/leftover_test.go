package leftover

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/internal/testutil"
	"github.com/sexton-init/sexton/procfs"
)

// The test process is a child subreaper, as sexton -s is: the orphans of
// what the tests start come back to it and stay its descendants.
func TestMain(m *testing.M) {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		panic(err)
	}
	testutil.Main(m)
}

const limit = 60 * time.Second

// start runs argv in its own process group and kills that group, and
// reaps whatever is left, when the test ends.
func start(t *testing.T, argv ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = unix.Kill(-cmd.Process.Pid, unix.SIGKILL)
		_ = cmd.Wait()
		reapAll()
	})
	return cmd
}

// reapAll reaps the test process's ended children (adopted orphans).
func reapAll() {
	for {
		pid, err := unix.Wait4(-1, nil, unix.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}

func state(pid int) byte {
	s, err := procfs.ReadStat("/proc", pid)
	if err != nil {
		return 0
	}
	return s.State
}

func TestOwnProc(t *testing.T) {
	st, err := ownProc("/proc", os.Getpid())
	if err != nil || st.PID != os.Getpid() || st.StartTime == 0 {
		t.Fatalf("the real /proc: %+v, %v", st, err)
	}
	for _, tc := range []struct{ root, want string }{
		{t.TempDir(), "is not mounted (no proc file system there)"},
		{"/nonexistent", "is not mounted (no such file or directory)"},
	} {
		if _, err := ownProc(tc.root, os.Getpid()); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ownProc(%s): %v, want %q", tc.root, err, tc.want)
		}
	}
	// /proc/self names the test process; any other PID is not "us".
	if _, err := ownProc("/proc", os.Getpid()+1); err == nil || !strings.Contains(err.Error(), "belongs to another PID namespace") {
		t.Errorf("ownProc with the wrong PID: %v", err)
	}
}

// When /proc cannot be used, the reason comes once and nothing is found or
// signalled.
func TestProblemComesOnce(t *testing.T) {
	cmd := start(t, "sleep", "1000")
	f := New(false)
	f.proc = t.TempDir()
	if err := f.Problem(); err == nil || !strings.Contains(err.Error(), "is not mounted") {
		t.Fatalf("first Problem: %v", err)
	}
	if err := f.Problem(); err != nil {
		t.Fatalf("second Problem: %v, want nil", err)
	}
	if f.Any() || f.Signal(unix.SIGTERM, 0) != 0 || f.Continue() != 0 {
		t.Fatal("leftovers found through an unusable /proc")
	}
	if n, failed := f.Kill(time.Second); n != 0 || len(failed) != 0 {
		t.Fatalf("Kill through an unusable /proc: %d, %v", n, failed)
	}
	if st := state(cmd.Process.Pid); st == 0 || st == 'Z' {
		t.Fatalf("the child was killed through an unusable /proc (state %q)", st)
	}
	if err := New(false).Problem(); err != nil {
		t.Fatalf("the real /proc: %v", err)
	}
}

// Signal reaches the descendants outside the skipped process group, each
// once, and counts them.
func TestSignalSkipsTheGroup(t *testing.T) {
	dir := t.TempDir()
	rec := func(name string) string { return dir + "/" + name }
	a := start(t, testutil.Tool("sigrecord", rec("a"))...)
	start(t, testutil.Tool("sigrecord", rec("b"), rec("b2"))...) // two in one group
	for _, n := range []string{"a", "b"} {
		testutil.Eventually(t, limit, n+" ready", func() bool { return testutil.ReadFile(rec(n)+".ready") != "" })
	}
	f := New(false)
	if !f.Any() {
		t.Fatal("Any: no leftovers found")
	}
	if n := f.Signal(unix.SIGUSR1, a.Process.Pid); n != 2 {
		t.Fatalf("Signal skipping a's group reached %d processes, want 2", n)
	}
	for _, n := range []string{"b", "b2"} {
		testutil.Eventually(t, limit, n+" to record SIGUSR1", func() bool { return testutil.ReadFile(rec(n)) == "SIGUSR1\n" })
	}
	if n := f.Signal(unix.SIGUSR2, 0); n != 3 {
		t.Fatalf("Signal to all reached %d processes, want 3", n)
	}
	testutil.Eventually(t, limit, "a to record SIGUSR2", func() bool { return testutil.ReadFile(rec("a")) != "" })
	if got := testutil.ReadFile(rec("a")); got != "SIGUSR2\n" {
		t.Fatalf("the skipped group recorded %q, want only the later SIGUSR2", got)
	}
}

// Continue wakes the stopped leftovers only.
func TestContinueWakesTheStopped(t *testing.T) {
	stopped := start(t, "sleep", "1000")
	running := start(t, "sleep", "1000")
	_ = unix.Kill(stopped.Process.Pid, unix.SIGSTOP)
	testutil.Eventually(t, limit, "sleep stopped", func() bool { return state(stopped.Process.Pid) == 'T' })
	if n := New(false).Continue(); n != 1 {
		t.Fatalf("Continue reached %d processes, want the 1 stopped", n)
	}
	testutil.Eventually(t, limit, "sleep running again", func() bool { return state(stopped.Process.Pid) == 'S' })
	if state(running.Process.Pid) != 'S' {
		t.Fatal("the running sleep changed state")
	}
}

// Kill leaves nothing of a tree that ignores SIGTERM, orphans included.
func TestKillLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	cmd := start(t, "sh", "-c", `trap '' TERM; (sleep 1000 &); sleep 1000 & touch `+dir+`/ready; wait`)
	testutil.Eventually(t, limit, "tree ready", func() bool { return fileExists(dir + "/ready") })
	f := New(false)
	if n, failed := f.Kill(10 * time.Second); n != 3 || len(failed) != 0 {
		t.Fatalf("Kill: %d killed (want the shell and two sleeps), could not kill %+v", n, failed)
	}
	_ = cmd.Wait()
	testutil.Eventually(t, limit, "the tree gone", func() bool { reapAll(); return !f.Any() })
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
