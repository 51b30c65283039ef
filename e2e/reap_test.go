package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/internal/testutil"
)

// stormLimit bounds the orphan storm, which takes about a minute on a
// loaded 2-CPU machine: reaching it means a hang.
const stormLimit = 5 * time.Minute

// An orphan storm leaves no zombie behind; the peak is reported. The orphan
// maker is FastTool's: under -race the test binary itself forks several
// times slower.
func TestOrphanStormLeavesNoZombies(t *testing.T) {
	dir := t.TempDir()
	done := filepath.Join(dir, "done")
	orphans := strings.Join(testutil.FastTool(t, "orphans", "20000"), " ")
	ns := testutil.Start(t, testutil.Spec{Args: cmdline(sexton(t), []string{"--",
		"sh", "-c", orphans + " && touch " + done + " && exec sleep 1000"})})

	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if n := int64(len(ns.Zombies())); n > peak.Load() {
				peak.Store(n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	ns.WaitFile(stormLimit, done)
	close(stop)
	<-sampled
	testutil.Eventually(t, limit, "no zombies in the namespace", func() bool { return len(ns.Zombies()) == 0 })
	t.Logf("20000 orphans: peak zombies sampled %d", peak.Load())

	ns.Signal(unix.SIGTERM)
	if code := ns.Wait(limit); code != 128+int(unix.SIGTERM) {
		t.Fatalf("exit code %d, want %d (sleep killed by the relayed SIGTERM)", code, 128+int(unix.SIGTERM))
	}
}

// With -w each reaped orphan is named: pid, command name, how it ended.
func TestWarnOnReapNamesOrphans(t *testing.T) {
	ns := testutil.Start(t, testutil.Spec{Args: cmdline(sexton(t, "-w"), []string{"--",
		"sh", "-c", "sh -c 'sleep 0.01 & exit 0'; sleep 0.5; exit 4"})})
	if code := ns.Wait(limit); code != 4 {
		t.Fatalf("exit code %d, want 4; stderr:\n%s", code, ns.Stderr())
	}
	if !strings.Contains(ns.Stderr(), "(sleep), which exited with status 0") {
		t.Fatalf("no warning naming the reaped sleep; stderr:\n%s", ns.Stderr())
	}
}

// As a subreaper outside PID 1, sexton adopts and reaps orphans, and its
// shutdown reaches them.
func TestSubreaperAdoptsAndReapsOrphans(t *testing.T) {
	testutil.RequireRoot(t)
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready")
	orphans := strings.Join(testutil.Tool("orphans", "200"), " ")
	cmd := startDirect(t, cmdline(sexton(t, "-s", "--grace", "30s"), []string{"--",
		"sh", "-c", orphans + " && (sleep 1000 &) && touch " + ready + " && exec sleep 1000"}))
	waitFile(t, ready)
	me := cmd.Process.Pid
	testutil.Eventually(t, limit, "orphaned sleep adopted by sexton", func() bool {
		return len(childrenNamed(t, me, "sleep")) == 2 // the main child and the adopted orphan
	})
	testutil.Eventually(t, limit, "no zombie children of sexton", func() bool { return zombieChildren(t, me) == 0 })
	if strings.Contains(stderrOf(cmd), "not running as PID 1") {
		t.Fatalf("warned although -s was given: %s", stderrOf(cmd))
	}
	_ = cmd.Process.Signal(unix.SIGTERM)
	code := waitDirect(t, cmd)
	if code != 128+int(unix.SIGTERM) {
		t.Fatalf("exit code %d, want 143; stderr:\n%s", code, stderrOf(cmd))
	}
	if _, err := os.Stat("/proc/" + itoa(me)); err == nil {
		t.Fatal("sexton still exists after exiting")
	}
}

// Without -s and not PID 1, sexton warns once that orphans escape it.
func TestWarnsWhenNeitherPID1NorSubreaper(t *testing.T) {
	cmd := startDirect(t, cmdline(sexton(t), []string{"--", "true"}))
	if code := waitDirect(t, cmd); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	if n := strings.Count(stderrOf(cmd), "not running as PID 1 and not a child subreaper"); n != 1 {
		t.Fatalf("warning printed %d times; stderr:\n%s", n, stderrOf(cmd))
	}
}

// In a storm sexton reaps in batches (it stops waking for each SIGCHLD,
// docs/design.md); once the storm is over it goes back to waking for each
// one, and an orphan that ends after that is reaped too. A loop that lost
// the SIGCHLD held while it batched, or never handed SIGCHLD back to its
// signalfd, would leave that last orphan a zombie.
func TestReapsEachOrphanAfterAStormEnds(t *testing.T) {
	dir := t.TempDir()
	stormed, again, done := filepath.Join(dir, "stormed"), filepath.Join(dir, "again"), filepath.Join(dir, "done")
	storm := strings.Join(testutil.FastTool(t, "orphans", "3000"), " ")
	one := strings.Join(testutil.FastTool(t, "orphans", "1"), " ")
	script := storm + " && touch " + stormed + " && while [ ! -e " + again + " ]; do sleep 0.01; done && " +
		one + " && touch " + done + " && exec sleep 1000"
	ns := testutil.Start(t, testutil.Spec{Args: cmdline(sexton(t, "-vvv"), []string{"--", "sh", "-c", script})})
	ns.WaitFile(stormLimit, stormed)
	testutil.Eventually(t, limit, "no zombies after the storm", func() bool { return len(ns.Zombies()) == 0 })
	testutil.Eventually(t, limit, "batched reaping to end after the storm", func() bool {
		return strings.Contains(ns.Stderr(), "reaping at each SIGCHLD again")
	})
	if !strings.Contains(ns.Stderr(), "reaping in batches from now on") {
		t.Fatalf("the storm did not make sexton reap in batches; stderr:\n%s", firstLines(ns.Stderr(), 20))
	}
	if err := os.WriteFile(again, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ns.WaitFile(limit, done)
	testutil.Eventually(t, limit, "the orphan after the storm reaped", func() bool { return len(ns.Zombies()) == 0 })
	ns.Signal(unix.SIGTERM)
	if code := ns.Wait(limit); code != 128+int(unix.SIGTERM) {
		t.Fatalf("exit code %d, want %d", code, 128+int(unix.SIGTERM))
	}
}
