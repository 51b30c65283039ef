package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/internal/testutil"
)

// Issue 10: survival of PID exhaustion whatever the loop's design. Under a
// pids limit that a fork flood keeps at its maximum, with a storm of
// signals to relay (SIGUSR1 and SIGUSR2 from one sender, real-time signals
// from two more), sexton reaps every orphan (no zombie is left once the
// first flood is over), relays each SIGHUP and the SIGTERM that come during
// the second flood, shuts the rest down and exits with the child's status,
// and never needs an OS thread beyond those it had after start-up (the Go
// runtime would abort: a clone under the limit fails). sexton runs as a
// user of its own, as in the real-time storm test.
func TestPidsStormWithSignalsAndShutdown(t *testing.T) {
	const max = 24
	cg := testutil.PidsCgroup(t, max)
	dir := t.TempDir()
	stop, first, second, rec := filepath.Join(dir, "stop"), filepath.Join(dir, "first"), filepath.Join(dir, "second"), filepath.Join(dir, "rec")
	// The child ignores what is relayed to it but SIGHUP (recorded, by a
	// builtin: no fork) and SIGTERM, leaves orphans
	// that live 3 s as fast as it can fork until told to stop, and, when
	// told, again until SIGTERM.
	orphan := "(sleep 3 &) 2>/dev/null"
	script := "trap '' USR1 USR2 " + rtNumbers + "\ntrap 'echo HUP >> " + rec + "' HUP\ntrap 'exit 5' TERM\ntouch " + dir + "/ready\n" +
		"while [ ! -e " + stop + " ]; do " + orphan + "; done; touch " + first + "\n" +
		"while [ ! -e " + second + " ]; do sleep 0.05; done\n" +
		"while :; do " + orphan + "; done"
	ns := testutil.Start(t, testutil.Spec{Cgroup: cg, Args: cmdline(asOtherUser(t, dir), sexton(t, "-vv", "--grace", "10s", "--"), []string{"sh", "-c", script})})
	ns.WaitFile(limit, filepath.Join(dir, "ready"))
	atStart := threads(t, ns.PID)

	// Threads, sampled until sexton exits.
	var most atomic.Int64
	most.Store(int64(atStart))
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-ns.Done():
				return
			default:
			}
			st := testutil.ReadFile(fmt.Sprintf("/proc/%d/status", ns.PID))
			var n int64
			for _, l := range strings.Split(st, "\n") {
				if v, ok := strings.CutPrefix(l, "Threads:"); ok {
					fmt.Sscan(v, &n)
				}
			}
			if n > most.Load() {
				most.Store(n)
			}
		}
	}()
	storm := testutil.StartStorm(t, ns.PID, []unix.Signal{unix.SIGUSR1, unix.SIGUSR2}, testutil.Signals(35, 49), testutil.Signals(50, 64))

	testutil.Eventually(t, limit, "the first flood at the pids limit", func() bool { return forksFailed(t, cg) > 0 })
	touch(t, stop)
	ns.WaitFile(limit, first)
	failed := forksFailed(t, cg)
	testutil.Eventually(t, limit, "no zombie after the first flood, under the signal storm", func() bool { return len(ns.Zombies()) == 0 })
	touch(t, second)
	testutil.Eventually(t, limit, "the second flood at the pids limit", func() bool { return forksFailed(t, cg) > failed })
	// SIGHUP, one at a time, each relayed at the limit under the storm
	// (one lost would hang the round), then SIGTERM.
	for i := range 4 * rtRounds {
		ns.Signal(unix.SIGHUP)
		testutil.Eventually(t, limit, fmt.Sprintf("SIGHUP %d relayed at the limit under the storm", i+1),
			func() bool { return len(testutil.Lines(testutil.ReadFile(rec))) == i+1 })
	}
	ns.Signal(unix.SIGTERM)
	code := waitExit(t, ns, ns.Stderr)
	sent := storm.Stop()
	<-sampled
	t.Logf("%d forks failed at the limit; %d signals; threads after start-up %d, at most %d", forksFailed(t, cg), sent, atStart, most.Load())
	if strings.Contains(ns.Stderr(), "failed to create new OS thread") || code == 2 {
		t.Fatalf("exit code %d: the runtime could not make a thread; stderr:\n%s", code, firstLines(ns.Stderr(), 12))
	}
	if code != 5 {
		t.Fatalf("exit code %d, want the child's 5 (its SIGTERM trap); stderr:\n%s", code, firstLines(ns.Stderr(), 12))
	}
	if most.Load() > int64(atStart) {
		t.Errorf("sexton made threads after start-up: %d after it, %d at most", atStart, most.Load())
	}
}

// forksFailed returns how many forks in cgroup cg failed at its pids.max.
func forksFailed(t *testing.T, cg string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscanf(testutil.ReadFile(cg+"/pids.events"), "max %d", &n); err != nil {
		t.Fatalf("%s/pids.events: %v", cg, err)
	}
	return n
}
