package containertest

import (
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// serviceScript is the typical entrypoint script of a Debian or Alpine based
// image: it prepares, then runs the service in the foreground without exec,
// so the shell stays the service's parent and would be PID 1 without an init.
const serviceScript = `#!/bin/sh
echo "service: starting"
echo ready > /data/ready
sleep 100000
echo "service: sleep returned"
`

// trappingServiceScript shuts down cleanly on SIGTERM. The sleep runs in the
// background and the shell waits for it, so the trap runs at once, not after
// the sleep.
const trappingServiceScript = `#!/bin/sh
trap 'echo graceful > /data/stopped; exit 0' TERM
echo ready > /data/ready
while :; do sleep 1 & wait $!; done
`

// TestTermStopsShellService: `runc kill CONTAINER TERM` stops a shell-script
// service at once under sexton, where a bare sh as PID 1 ignores it (the
// kernel drops signals to a namespace's init that has no handler for them).
//
// Recipes exercised: Debian/Alpine images with an entrypoint script,
// Kubernetes entrypoint (the kubelet stops a pod with SIGTERM), docker run
// --init users moving over.
func TestTermStopsShellService(t *testing.T) {
	e := setup(t)

	t.Run("script", func(t *testing.T) {
		t.Parallel()
		// The grace is far longer than the hang guard: had the stop needed a
		// grace-based SIGKILL, wait would fail instead.
		b := newBundle(t, e, "/sbin/sexton", "--grace", "60s", "--", "/bin/sh", "/srv/service.sh")
		b.writeFile(t, "/srv/service.sh", serviceScript, 0o755)
		c := b.run(t, e, "term-script")
		c.waitFile(t, "/data/ready")
		start := time.Now()
		c.kill(t, "TERM")
		got := c.wait(t)
		t.Logf("stopped %v after runc kill TERM: sexton %v", time.Since(start), got)
		// The shell died of the forwarded SIGTERM (default action, as it is
		// not PID 1) and sexton exited with 128+15 for it. sexton killed by
		// a signal, or a SIGKILL for the shell, would show differently.
		if want := exited(128 + 15); got != want {
			t.Errorf("sexton %v, want %v\noutput:\n%s", got, want, c.output())
		}
	})

	t.Run("script-with-trap", func(t *testing.T) {
		t.Parallel()
		b := newBundle(t, e, "/sbin/sexton", "--grace", "60s", "--", "/bin/sh", "/srv/service.sh")
		b.writeFile(t, "/srv/service.sh", trappingServiceScript, 0o755)
		c := b.run(t, e, "term-trap")
		c.waitFile(t, "/data/ready")
		start := time.Now()
		c.kill(t, "TERM")
		got := c.wait(t)
		t.Logf("stopped %v after runc kill TERM: sexton %v", time.Since(start), got)
		if got != exited(0) {
			t.Errorf("sexton %v, want exit code 0 from the service's trap\noutput:\n%s", got, c.output())
		}
		c.waitFile(t, "/data/stopped")
	})

	// Control: the same script as PID 1 ignores SIGTERM, which is the
	// problem this project exists for. It shows the test above can fail.
	t.Run("control-bare-sh-ignores-term", func(t *testing.T) {
		t.Parallel()
		b := newBundle(t, e, "/bin/sh", "/srv/service.sh")
		b.writeFile(t, "/srv/service.sh", serviceScript, 0o755)
		c := b.run(t, e, "term-bare-sh")
		c.waitFile(t, "/data/ready")
		c.kill(t, "TERM")
		// The kernel discards the signal when it is sent; give a delivery
		// that should not happen a generous second to show itself.
		time.Sleep(time.Second)
		if c.stopped() {
			t.Fatalf("bare sh as PID 1 stopped on SIGTERM (%v); the control assumption is wrong", c.result)
		}
		if s := c.state(t); s.Status != "running" {
			t.Fatalf("runc state: %q, want running", s.Status)
		}
		c.kill(t, "KILL")
		if got := c.wait(t); got != killedBy(unix.SIGKILL) {
			t.Errorf("bare sh %v after SIGKILL, want killed by SIGKILL", got)
		}
	})
}

// leakScript leaks orphans the way a browser's helpers or a careless
// daemon do: each subshell starts a short-lived process in the background and
// exits at once, so the process is reparented to PID 1, which has to reap it.
// The leaked processes are usleep, so the test can tell them apart.
const leakScript = `#!/bin/sh
n=$1
i=0
while [ $i -lt $n ]; do
	(usleep 20000 &)
	i=$((i+1))
done
echo "leaked $n orphans"
echo $n > /data/leaked
while :; do sleep 1000; done
`

// leakedOrphans is how many orphans leakScript leaks per container.
const leakedOrphans = 500

// waitOrphansGone waits until no leaked usleep is still running in the PID
// namespace of host pid init and returns the namespace's processes then.
func waitOrphansGone(t *testing.T, init int) []proc {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	for {
		ps := procsInPIDNamespaceOf(t, init)
		live := count(ps, func(p proc) bool { return p.comm == "usleep" && !isZombie(p) })
		if live == 0 {
			return ps
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d leaked orphans still running after %v:\n%s", live, hangGuard, describe(ps))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitZombiesOf waits until host pid init has at least n zombie children
// and returns how many it has; it fails, listing the namespace's
// processes, if that does not happen within the hang guard. When no usleep
// is left running the last orphan may still be about to execute it (its
// name is still "sh"), so the count is waited for, not read once.
func waitZombiesOf(t *testing.T, init, n int) int {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	for {
		ps := procsInPIDNamespaceOf(t, init)
		z := count(ps, func(p proc) bool { return isZombie(p) && p.ppid == init })
		if z >= n {
			return z
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d zombies of pid %d, want at least %d: the orphans did not go to it\n%s", z, init, n, describe(ps))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitNoZombies waits until the PID namespace of host pid init holds no
// zombie; it fails, listing them, if some stay for the whole hang guard.
func waitNoZombies(t *testing.T, init int) {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	for {
		ps := procsInPIDNamespaceOf(t, init)
		if count(ps, isZombie) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d zombies left in the container after %v:\n%s", count(ps, isZombie), hangGuard, describe(ps))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLeakyServiceLeavesNoZombies: a service that leaks hundreds of orphans
// leaves no zombie behind under sexton.
//
// Recipes exercised: Node.js with Puppeteer and Chromium (the incident that
// started this project: Chromium's helpers piled up as zombies), docker run
// --init users moving over.
func TestLeakyServiceLeavesNoZombies(t *testing.T) {
	e := setup(t)

	t.Run("sexton", func(t *testing.T) {
		t.Parallel()
		b := newBundle(t, e, "/sbin/sexton", "--", "/bin/sh", "/srv/leak.sh", itoa(leakedOrphans))
		b.writeFile(t, "/srv/leak.sh", leakScript, 0o755)
		c := b.run(t, e, "leak")
		c.waitFile(t, "/data/leaked")
		init := c.pid
		waitOrphansGone(t, init)
		waitNoZombies(t, init)
		c.kill(t, "TERM")
		if got, want := c.wait(t), exited(128+15); got != want {
			t.Errorf("sexton %v, want %v\noutput:\n%s", got, want, c.output())
		}
	})

	// Control: an init that never reaps (sleep as PID 1, with the leaking
	// service started in the background) collects every orphan as a zombie.
	t.Run("control-no-reaper", func(t *testing.T) {
		t.Parallel()
		b := newBundle(t, e, "/bin/sh", "-c", "/bin/sh /srv/leak.sh "+itoa(leakedOrphans)+" & exec sleep 100000")
		b.writeFile(t, "/srv/leak.sh", leakScript, 0o755)
		c := b.run(t, e, "leak-control")
		c.waitFile(t, "/data/leaked")
		init := c.pid
		waitOrphansGone(t, init)
		z := waitZombiesOf(t, init, leakedOrphans)
		t.Logf("%d zombies of PID 1 without a reaping init", z)
		c.kill(t, "KILL")
		c.wait(t)
	})
}

// TestExitStatusIsTheServices: the container's exit status is the service's:
// its exit code, 128+N when it died of signal N, 127/126 when it cannot be
// executed.
//
// Recipes exercised: all of them; a Go service and docker run --init users
// rely on it most (orchestrators restart on it).
func TestExitStatusIsTheServices(t *testing.T) {
	e := setup(t)
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"exit-0", []string{"/bin/sh", "-c", "exit 0"}, 0},
		{"exit-3", []string{"/bin/sh", "-c", "exit 3"}, 3},
		{"exit-42-leaving-a-daemon", []string{"/bin/sh", "-c", "sleep 100000 & exit 42"}, 42},
		{"killed-by-sigkill", []string{"/bin/sh", "-c", "kill -KILL $$"}, 128 + 9},
		{"killed-by-sigsegv", []string{"/bin/sh", "-c", "kill -SEGV $$"}, 128 + 11},
		{"not-found", []string{"/srv/does-not-exist"}, 127},
		{"not-executable", []string{"/srv/not-executable"}, 126},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newBundle(t, e, append([]string{"/sbin/sexton", "--"}, tc.args...)...)
			b.writeFile(t, "/srv/not-executable", "#!/bin/sh\nexit 0\n", 0o644)
			c := b.run(t, e, "exit")
			if got, want := c.wait(t), exited(tc.want); got != want {
				t.Errorf("sexton %v, want %v\noutput:\n%s", got, want, c.output())
			}
		})
	}
}

// flushMain is a service that exits at once on SIGTERM (default action) and
// has started a helper in the background that needs time to flush on SIGTERM.
const flushMain = `#!/bin/sh
/bin/sh /srv/helper.sh &
while [ ! -e /data/helper-ready ]; do usleep 10000; done
echo ready > /data/ready
while :; do sleep 1; done
`

// flushHelper needs 300 ms after SIGTERM to write its data. Its trap first
// ignores further SIGTERMs, so that a second one (from the init's shutdown of
// leftovers) cannot cut the flush short: ignored signals stay ignored in the
// usleep it starts.
const flushHelper = `#!/bin/sh
trap 'trap "" TERM; usleep 300000; echo flushed > /data/flushed; exit 0' TERM
echo ready > /data/helper-ready
while :; do sleep 1 & wait $!; done
`

// TestFlushSurvivesTerm is the graceful-shutdown case: on `runc kill TERM`
// the main process exits at once, and the background helper still gets
// SIGTERM and the time to flush its file before the container ends.
//
// Recipes exercised: Kubernetes entrypoint (terminationGracePeriodSeconds
// must exceed --grace), Node.js with Chromium (browser helpers), docker run
// --init users (tini exits at once and loses the helper's data).
func TestFlushSurvivesTerm(t *testing.T) {
	e := setup(t)
	for _, tc := range []struct {
		name  string
		flags []string
	}{
		{"main-child-only", nil},
		{"process-group", []string{"-g"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"/sbin/sexton", "--grace", "60s"}, tc.flags...)
			args = append(args, "--", "/bin/sh", "/srv/main.sh")
			b := newBundle(t, e, args...)
			b.writeFile(t, "/srv/main.sh", flushMain, 0o755)
			b.writeFile(t, "/srv/helper.sh", flushHelper, 0o755)
			c := b.run(t, e, "flush")
			c.waitFile(t, "/data/ready")
			start := time.Now()
			c.kill(t, "TERM")
			got := c.wait(t)
			t.Logf("stopped %v after runc kill TERM: sexton %v", time.Since(start), got)
			if want := exited(128 + 15); got != want {
				t.Errorf("sexton %v, want %v, the main process's status\noutput:\n%s", got, want, c.output())
			}
			if got := readFile(b.hostPath("/data/flushed")); got != "flushed\n" {
				t.Errorf("/data/flushed = %q, want \"flushed\\n\": the helper did not get to flush\noutput:\n%s",
					got, c.output())
			}
		})
	}

	// Control: without an init (the main script is PID 1 and handles TERM
	// by exiting), the kernel kills the helper with the namespace and the
	// file is never written. This shows the check above can fail.
	t.Run("control-no-init", func(t *testing.T) {
		t.Parallel()
		b := newBundle(t, e, "/bin/sh", "-c", `trap "exit 143" TERM; . /srv/main.sh`)
		b.writeFile(t, "/srv/main.sh", flushMain, 0o755)
		b.writeFile(t, "/srv/helper.sh", flushHelper, 0o755)
		c := b.run(t, e, "flush-control")
		c.waitFile(t, "/data/ready")
		c.kill(t, "TERM")
		c.wait(t)
		if got := readFile(b.hostPath("/data/flushed")); got != "" {
			t.Errorf("/data/flushed = %q without an init; the control assumption is wrong", got)
		}
	})
}

// quitServiceScript stands in for nginx: SIGQUIT is its graceful shutdown,
// SIGTERM its fast one.
const quitServiceScript = `#!/bin/sh
trap 'echo QUIT > /data/signal; exit 0' QUIT
trap 'echo TERM > /data/signal; exit 1' TERM
echo ready > /data/ready
while :; do sleep 1 & wait $!; done
`

// TestRewriteTermToQuit: with --rewrite TERM:QUIT the service gets SIGQUIT
// when the runtime sends SIGTERM.
//
// Recipe exercised: nginx with --rewrite TERM:QUIT.
func TestRewriteTermToQuit(t *testing.T) {
	e := setup(t)
	for _, tc := range []struct {
		name       string
		flags      []string
		wantSignal string
		wantStatus int
	}{
		{"rewrite", []string{"--rewrite", "TERM:QUIT"}, "QUIT", 0},
		{"control-no-rewrite", nil, "TERM", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append(append([]string{"/sbin/sexton"}, tc.flags...), "--", "/bin/sh", "/srv/service.sh")
			b := newBundle(t, e, args...)
			b.writeFile(t, "/srv/service.sh", quitServiceScript, 0o755)
			c := b.run(t, e, "rewrite")
			c.waitFile(t, "/data/ready")
			c.kill(t, "TERM")
			got := c.wait(t)
			if got := strings.TrimSpace(readFile(b.hostPath("/data/signal"))); got != tc.wantSignal {
				t.Errorf("service got %q, want %s\noutput:\n%s", got, tc.wantSignal, c.output())
			}
			if want := exited(tc.wantStatus); got != want {
				t.Errorf("sexton %v, want %v", got, want)
			}
		})
	}
}

// TestPauseReapsJoinedContainersOrphans: `sexton --pause` as a pod's first
// container (the sandbox) owns the PID namespace; an application container
// joins it (runc's namespace path in config.json, what shareProcessNamespace
// does) and leaks orphans, which the pause reaps. SIGTERM ends the pause with
// status 0.
//
// Recipe exercised: Kubernetes shareProcessNamespace with sexton --pause.
func TestPauseReapsJoinedContainersOrphans(t *testing.T) {
	e := setup(t)
	for _, tc := range []struct {
		name        string
		pause       []string
		wantZombies bool
	}{
		{"sexton-pause", []string{"/sbin/sexton", "--pause"}, false},
		// Control: a pause that never reaps collects the app's orphans as
		// zombies, which shows that they are the pause's to reap.
		{"control-non-reaping-pause", []string{"/bin/sleep", "100000"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pb := newBundle(t, e, tc.pause...)
			pause := pb.run(t, e, "pod-pause")
			pausePid := pause.pid

			ab := newBundle(t, e, "/bin/sh", "/srv/leak.sh", itoa(leakedOrphans))
			ab.writeFile(t, "/srv/leak.sh", leakScript, 0o755)
			ab.joinPIDNamespace(t, pausePid)
			app := ab.run(t, e, "pod-app")
			app.waitFile(t, "/data/leaked")
			waitOrphansGone(t, pausePid)
			if tc.wantZombies {
				z := waitZombiesOf(t, pausePid, leakedOrphans)
				t.Logf("%d zombies of a non-reaping pause", z)
				return
			}
			waitNoZombies(t, pausePid)

			app.kill(t, "KILL")
			app.wait(t)
			pause.kill(t, "TERM")
			if got := pause.wait(t); got != exited(0) {
				t.Errorf("sexton --pause %v on SIGTERM, want exit code 0\noutput:\n%s", got, pause.output())
			}
		})
	}
}

// TestVersionInContainer: the binary the tests use reports its stamped
// version when run as a container's process from its place in the image.
func TestVersionInContainer(t *testing.T) {
	e := setup(t)
	b := newBundle(t, e, "/sbin/sexton", "--version")
	c := b.run(t, e, "version")
	if got := c.wait(t); got != exited(0) {
		t.Fatalf("sexton --version: %v\n%s", got, c.output())
	}
	out := c.output()
	t.Logf("sexton --version: %s", strings.TrimSpace(out))
	if os.Getenv("SEXTON_E2E_BINARY") == "" && !strings.Contains(out, testVersion) {
		t.Errorf("sexton --version printed %q, want it to contain the stamped %q", out, testVersion)
	}
}

// TestSubreaperInSharedPIDNamespace: in a pod with a shared PID namespace the
// application's sexton is not PID 1 (the pause is). With -s it becomes a
// child subreaper, so its service's orphans come back to it, and the flush
// case still works when the runtime stops the application container.
//
// Recipe exercised: Kubernetes shareProcessNamespace, entrypoint `sexton -s`.
func TestSubreaperInSharedPIDNamespace(t *testing.T) {
	e := setup(t)
	pb := newBundle(t, e, "/sbin/sexton", "--pause")
	pause := pb.run(t, e, "shared-pause")
	pausePid := pause.pid

	ab := newBundle(t, e, "/sbin/sexton", "-s", "--grace", "60s", "--", "/bin/sh", "/srv/main.sh")
	ab.writeFile(t, "/srv/main.sh", flushMain, 0o755)
	ab.writeFile(t, "/srv/helper.sh", flushHelper, 0o755)
	ab.joinPIDNamespace(t, pausePid)
	app := ab.run(t, e, "shared-app")
	app.waitFile(t, "/data/ready")
	appInit := app.pid
	start := time.Now()
	app.kill(t, "TERM")
	got := app.wait(t)
	t.Logf("application container stopped %v after runc kill TERM: sexton %v", time.Since(start), got)
	if want := exited(128 + 15); got != want {
		t.Errorf("sexton %v, want %v, the main process's status\noutput:\n%s", got, want, app.output())
	}
	if got := readFile(ab.hostPath("/data/flushed")); got != "flushed\n" {
		t.Errorf("/data/flushed = %q, want \"flushed\\n\": the helper did not get to flush\noutput:\n%s",
			got, app.output())
	}
	// Nothing of the application may be left in the pod, and the pause
	// must still be there for the next container: a sexton that is not PID 1
	// must not signal processes outside its own tree (kill(-1, ...)).
	if pause.stopped() {
		t.Fatalf("the pause stopped (%v) when the application container did\noutput:\n%s",
			pause.result, pause.output())
	}
	ps := procsInPIDNamespaceOf(t, pausePid)
	if n := count(ps, func(p proc) bool { return p.pid != pausePid }); n != 0 {
		t.Errorf("%d processes left in the pod after the application container (init %d) stopped:\n%s",
			n, appInit, describe(ps))
	}
	pause.kill(t, "TERM")
	if got := pause.wait(t); got != exited(0) {
		t.Errorf("sexton --pause %v on SIGTERM, want exit code 0\noutput:\n%s", got, pause.output())
	}
}
