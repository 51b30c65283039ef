package e2e

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/internal/testutil"
)

// threads returns the thread count of pid.
func threads(t *testing.T, pid int) int {
	t.Helper()
	st := testutil.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	n, err := strconv.Atoi(statusField(t, st, "Threads"))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// At the pids limit, forks fail with EAGAIN; sexton must keep reaping,
// never need a thread it cannot get, and still stop cleanly on SIGTERM.
func TestSurvivesPIDExhaustion(t *testing.T) {
	cg := testutil.PidsCgroup(t, 64)
	dir := t.TempDir()
	out, started := filepath.Join(dir, "flood.out"), filepath.Join(dir, "started")
	flood := strings.Join(testutil.FastTool(t, "forkflood", "4"), " ")
	ns := testutil.Start(t, testutil.Spec{Cgroup: cg, Args: cmdline(sexton(t, "--"), []string{"sh", "-c",
		"touch " + started + "; " + flood + " > " + out + "; exec sleep 1000"})})
	waitFile(t, started)
	before := threads(t, ns.PID)

	testutil.Eventually(t, limit, "the fork flood to end", func() bool { return strings.Contains(testutil.ReadFile(out), "eagain=") })
	report := strings.TrimSpace(testutil.ReadFile(out))
	var forks, eagain int
	if _, err := fmt.Sscanf(report, "forks=%d eagain=%d", &forks, &eagain); err != nil {
		t.Fatalf("flood report %q: %v", report, err)
	}
	if eagain == 0 {
		t.Fatalf("the flood never hit the pids limit (%s): the test proved nothing", report)
	}
	select {
	case <-ns.Done():
		t.Fatalf("sexton died under PID exhaustion; stderr:\n%s", ns.Stderr())
	default:
	}
	testutil.Eventually(t, limit, "zombies reaped after the flood", func() bool { return len(ns.Zombies()) == 0 })
	after := threads(t, ns.PID)
	t.Logf("flood: %s; sexton threads before %d, after %d", report, before, after)
	if after > before {
		t.Errorf("sexton made new threads under PID pressure: %d -> %d", before, after)
	}
	ns.Signal(unix.SIGTERM)
	if code := ns.Wait(limit); code != 128+int(unix.SIGTERM) {
		t.Fatalf("exit code %d after SIGTERM, want 143; stderr:\n%s", code, ns.Stderr())
	}
	if strings.Contains(ns.Stderr(), "failed to create new OS thread") {
		t.Fatalf("runtime thread failure:\n%s", ns.Stderr())
	}
}
