package pid1_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/internal/testutil"
	"github.com/sexton-init/sexton/proctree"
)

// withProctree is a runner as PID 1 of its container would be: under the
// supervisor, it starts and stops proctree trees (process-group and
// automatic mode) while plain exec.Commands leave orphans, during and
// after the trees. It prints whether it was made a child subreaper, the
// trees' reports, and "done", and exits 0 if all went well. The test
// counts the zombies.
func withProctree() int {
	failed := false
	orphans := func() {
		var wg sync.WaitGroup
		for range 25 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := exec.Command("sh", "-c", "sleep 0.1 & exit 0").Run(); err != nil {
					fmt.Println("FAIL: orphan-making sh:", err)
					failed = true
				}
			}()
		}
		wg.Wait()
	}
	for _, mode := range []proctree.Mode{proctree.ProcessGroup, proctree.Auto} {
		tree, err := proctree.Start(exec.Command("sh", "-c", "sleep 60 & sleep 60 & wait"), &proctree.Options{Mode: mode, Grace: time.Second})
		if err != nil {
			fmt.Println("FAIL: start:", err)
			return 1
		}
		var on int32
		_ = unix.Prctl(unix.PR_GET_CHILD_SUBREAPER, uintptr(unsafe.Pointer(&on)), 0, 0, 0)
		fmt.Printf("%v mode: subreaper=%v\n", tree.Mode(), on != 0)
		orphans()
		rep, err := tree.Stop(context.Background())
		_ = tree.Wait()
		if err != nil {
			fmt.Println("FAIL: stop:", err)
			failed = true
		}
		fmt.Println("report:", rep)
		orphans()
	}
	fmt.Println("done")
	time.Sleep(time.Hour) // the test checks for zombies, then ends the namespace
	if failed {
		return 1
	}
	return 0
}

// The runner of the issue that brought proctree and pid1 together: as PID
// 1 of a container, under pid1, with proctree trees started and stopped
// while plain exec.Commands leave orphans. proctree must not make the
// program a child subreaper (it would adopt every orphan, and reap only
// its trees'), and the supervisor must reap all 100 orphans: no zombie
// may remain.
func TestWithProctree(t *testing.T) {
	ns := startWorkload(t, "proctree")
	waitFor(t, ns, "done\n")
	out := ns.Stdout()
	t.Logf("workload:\n%s", out)
	if strings.Contains(out, "FAIL") || strings.Contains(out, "subreaper=true") {
		t.Errorf("workload:\n%s", out)
	}
	testutil.Eventually(t, hang, "no zombie in the namespace", func() bool {
		return len(ns.Zombies()) == 0 && !hasSleep(ns)
	})
}

// hasSleep reports whether an orphaned sleep still runs in the namespace.
func hasSleep(ns *testutil.NS) bool {
	for _, p := range ns.Processes() {
		if p.Comm == "sleep" {
			return true
		}
	}
	return false
}

// A malformed SEXTON_* variable matters only where the supervisor would
// run: outside PID 1, Ensure warns and returns; as PID 1, it exits 1.
func TestMalformedEnv(t *testing.T) {
	if os.Getpid() == 1 {
		t.Skip("the test binary itself is PID 1")
	}
	cmd := exec.Command(exe(t))
	cmd.Env = append(os.Environ(), workloadEnv+"=ensure", "SEXTON_GRACE=soon", "SEXTON_PID1=auto")
	var stdout, stderr testutil.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Errorf("not PID 1: %v; stderr: %s", err, stderr.String())
	}
	if stdout.String() != "returned, supervised: false\n" || !strings.HasPrefix(stderr.String(), "sexton: warning: pid1: SEXTON_GRACE") ||
		strings.Count(stderr.String(), "\n") != 1 {
		t.Errorf("not PID 1: stdout %q, stderr %q; want Ensure to return after one warning line", stdout.String(), stderr.String())
	}

	ns := testutil.Start(t, testutil.Spec{Args: []string{"/usr/bin/env", workloadEnv + "=ensure", "SEXTON_GRACE=soon", exe(t)}})
	if code := ns.Wait(hang); code != 1 {
		t.Errorf("PID 1: exit %d, want 1", code)
	}
	if !strings.HasPrefix(ns.Stderr(), "sexton: error: pid1: SEXTON_GRACE") || ns.Stdout() != "" {
		t.Errorf("PID 1: stdout %q, stderr %q", ns.Stdout(), ns.Stderr())
	}
}

// An environment set by Configure is the child's (with the marker added,
// and removed again by Ensure in the child).
func TestConfigureEnv(t *testing.T) {
	ns := startWorkload(t, "configure-env")
	if code := ns.Wait(hang); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, ns.Stderr())
	}
	if got := ns.Stdout(); got != "EXTRA=from-configure marker=false supervised=true\n" {
		t.Errorf("stdout %q", got)
	}
}

func exe(t *testing.T) string {
	t.Helper()
	p, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return p
}
