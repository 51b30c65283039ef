package proctree

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sexton-init/sexton/internal/testutil"
	"github.com/sexton-init/sexton/procfs"
)

// runHelper runs a helper program (see helpers_test.go) and returns its
// standard output and exit code.
func runHelper(t *testing.T, role string, spa *syscall.SysProcAttr, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(exe(t), args...)
	cmd.Env = append(os.Environ(), helperEnv+"="+role)
	cmd.SysProcAttr = spa
	var out testutil.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		code, err := testutil.ExitCode(err)
		if err != nil {
			t.Fatalf("helper %s: %v", role, err)
		}
		t.Logf("helper %s (exit %d):\n%s", role, code, out.String())
		return out.String(), code
	case <-time.After(2 * hang):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("helper %s hung; output:\n%s", role, out.String())
	}
	return "", 0
}

// orphanSleeps runs n `sh -c 'sleep 0.3 & echo $!'` at once: each shell
// exits at once and leaves its sleep an orphan. It returns the sleeps.
func orphanSleeps(t *testing.T, n int) []Proc {
	t.Helper()
	var (
		mu  sync.Mutex
		out []Proc
		wg  sync.WaitGroup
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := exec.Command("sh", "-c", "sleep 0.3 & echo $!").Output()
			if err != nil {
				t.Errorf("orphan-making sh: %v", err)
				return
			}
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				t.Errorf("orphan-making sh printed %q", b)
				return
			}
			if s, err := procfs.ReadStat("/proc", pid); err == nil {
				mu.Lock()
				out = append(out, Proc{PID: pid, Comm: s.Comm, StartTime: s.StartTime})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out
}

// Using the two packages together, as a runner that is PID 1 of its
// container would: under a pid1 supervisor, proctree must not make the
// program a child subreaper, or the orphans of every plain exec.Command
// would come to the program, which reaps nobody's but its trees', and
// stay zombies for good. Orphans are made while a tree runs and after
// trees have been started and stopped; every one of them must be reaped
// by the supervisor, and no zombie child of the program may remain.
func TestNoZombiesUnderPID1(t *testing.T) {
	needSupervisor(t)
	modes := []Options{{Mode: ProcessGroup}}
	if os.Geteuid() == 0 {
		modes = append(modes, Options{Mode: Auto})
	}
	var orphans []Proc
	for _, o := range modes {
		o.Grace = time.Second
		tree, err := Start(exec.Command("sh", "-c", "sleep 60 & wait"), &o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cleanup(t, tree, nil) })
		if on, err := isSubreaper(); err != nil || on {
			t.Errorf("%v mode under pid1: the program is a child subreaper (%v)", tree.Mode(), err)
		}
		orphans = append(orphans, orphanSleeps(t, 25)...) // while the tree runs
		if _, err := tree.Stop(context.Background()); err != nil {
			t.Error(err)
		}
		_ = tree.Wait()
		orphans = append(orphans, orphanSleeps(t, 25)...) // after it
	}
	if len(orphans) < 40 {
		t.Fatalf("only %d orphans seen alive; the test proves nothing", len(orphans))
	}
	// An orphan reparented to us would stay a zombie: exists for good.
	testutil.Eventually(t, hang, "every orphan reaped", func() bool {
		for _, p := range orphans {
			if exists(p) {
				return false
			}
		}
		return true
	})
	if z := zombies(t); len(z) > 0 {
		t.Errorf("zombie children of the program: %+v", z)
	}
}

// While a ProcessGroup tree keeps leaving orphans, which come to the
// (unsupervised) caller as subreaper and which proctree reaps, hundreds
// of concurrent exec.Command(...).Run() in the same process all get their
// own exit status: proctree reaps its members one by one, never with
// wait(-1).
func TestExecStormWhileReaping(t *testing.T) {
	out, code := runHelper(t, "storm", nil)
	if code != 0 || !strings.Contains(out, " wrong=0 ") {
		t.Fatalf("exit %d; output:\n%s", code, out)
	}
	m := regexp.MustCompile(`reaped=(\d+)`).FindStringSubmatch(out)
	if m == nil || m[1] == "0" {
		t.Errorf("proctree reaped no orphan, so the storm tested nothing:\n%s", out)
	}
}

// The subreaper attribute: only for ProcessGroup trees, only while one
// lives, not with NoSubreaper, and a process that was a subreaper before
// stays one.
func TestSubreaperOnlyWhileNeeded(t *testing.T) {
	if out, code := runHelper(t, "subreaper", nil); code != 0 || strings.TrimSpace(out) != "ok" {
		t.Errorf("exit %d; output:\n%s", code, out)
	}
}
