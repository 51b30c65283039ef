package engines

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/sexton-init/sexton/doctor"
)

// The scenarios every engine runs. Each subtest named control-... is the
// same container without sexton (or with the engine's stock init) and shows
// the failure the check beside it would catch.

// testOrphans: a service that leaks orphans leaves no zombie with sexton as
// the ENTRYPOINT, and `exec CONTAINER sexton doctor` calls it healthy;
// without an init every orphan stays a zombie of PID 1, and the doctor
// says PID 1 does not reap.
func testOrphans(t *testing.T, e *engine, im images) {
	t.Run("sexton", func(t *testing.T) {
		t.Parallel()
		c := e.start(t, newDataDir(t), im.app, "/bin/sh", "/srv/leak.sh", fmt.Sprint(leaked))
		c.waitData(t, "leaked")
		pid := c.pid(t)
		waitLeakDone(t, pid)
		waitNoZombies(t, pid)
		code, r := c.doctor(t, "/sbin/sexton", "doctor")
		if p := r.PID1; code != 0 || p.Init != "sexton" || p.IdentifiedBy != doctor.ByBinary || p.Reaps != "yes" || r.Zombies.Total != 0 {
			t.Errorf("doctor: exit %d, PID 1 %+v, zombies %+v", code, p, r.Zombies)
		}
	})
	t.Run("control-no-init", func(t *testing.T) {
		t.Parallel()
		c := e.start(t, newDataDir(t), "--entrypoint", "/bin/sh", im.app, "-c",
			fmt.Sprintf("/bin/sh /srv/leak.sh %d & exec sleep 100000", leaked))
		c.waitData(t, "leaked")
		pid := c.pid(t)
		ps := waitLeakDone(t, pid)
		if z := zombiesOf(ps, pid); z < leaked {
			t.Errorf("%d zombies of PID 1 without an init, want at least %d:\n%s", z, leaked, describe(ps))
		}
		code, r := c.doctor(t, "/sbin/sexton", "doctor")
		if code != 1 || r.PID1.Reaps != "no" {
			t.Errorf("doctor: exit %d, PID 1 %+v", code, r.PID1)
		}
	})
}

// testStop: the engine's stop (SIGTERM, then SIGKILL after the timeout)
// ends a shell-script service at once under sexton, with the service's
// status: 143 when SIGTERM killed it, its own code when it trapped SIGTERM.
// The timeout is far beyond the hang guard, so a stop that needed the
// SIGKILL would fail the test rather than pass slowly. Without an init the
// shell is PID 1, drops SIGTERM, and is SIGKILLed (137).
func testStop(t *testing.T, e *engine, im images) {
	for _, c := range []struct {
		name, script string
		want         int
	}{
		{"killed-by-term", "/srv/service.sh", 128 + 15},
		{"trapped-term", "/srv/trap.sh", 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctr := e.start(t, newDataDir(t), im.app, "/bin/sh", c.script)
			ctr.waitData(t, "ready")
			if got := ctr.stop(t, 600); got != c.want {
				t.Errorf("%s stop: exit code %d, want %d\n%s", e.name, got, c.want, ctr.logs(t))
			}
			if c.script == "/srv/trap.sh" && ctr.data.read("stopped") != "graceful\n" {
				t.Errorf("the service's trap did not run: /data/stopped %q", ctr.data.read("stopped"))
			}
		})
	}
	t.Run("control-no-init", func(t *testing.T) {
		t.Parallel()
		ctr := e.start(t, newDataDir(t), "--entrypoint", "/bin/sh", im.app, "/srv/service.sh")
		ctr.waitData(t, "ready")
		if got := ctr.stop(t, 1); got != 128+9 {
			t.Errorf("%s stop of a bare sh: exit code %d, want 137 (SIGKILLed after the timeout)", e.name, got)
		}
	})
}

// testFlush: on the engine's stop the main process exits at once and a
// helper it started in the background still gets SIGTERM and the time to
// flush its data. With the engine's stock --init (catatonit, tini) PID 1
// exits with the main process and the kernel kills the helper mid-flush.
// stockInit is the stock init's binary on the host.
func testFlush(t *testing.T, e *engine, im images, stock *engine, stockIm images, stockArgs []string, stockInit string) {
	t.Run("sexton", func(t *testing.T) {
		t.Parallel()
		c := e.start(t, newDataDir(t), im.app, "/bin/sh", "/srv/main.sh")
		c.waitData(t, "ready")
		if got := c.stop(t, 600); got != 128+15 {
			t.Errorf("exit code %d, want 143, the main process's status\n%s", got, c.logs(t))
		}
		if got := c.data.read("flushed"); got != "flushed\n" {
			t.Errorf("/data/flushed = %q: the helper did not get to flush\n%s", got, c.logs(t))
		}
	})
	t.Run("control-stock-init", func(t *testing.T) {
		t.Parallel()
		args := append(append([]string{}, stockArgs...), "--entrypoint", "/bin/sh", stockIm.sleep, "/srv/main.sh")
		c := stock.start(t, newDataDir(t), args...)
		c.waitData(t, "ready")
		if !sameFile(fmt.Sprintf("/proc/%d/exe", c.pid(t)), stockInit) {
			t.Fatalf("PID 1 does not run the stock init %s", stockInit)
		}
		c.stop(t, 600)
		if got := c.data.read("flushed"); got != "" {
			t.Errorf("/data/flushed = %q under %s; the control assumption is wrong", got, stockInit)
		}
	})
}

// testInitFlush: sexton as the engine's own init (podman run --init
// --init-path, dockerd --init-path), in an image without sexton: PID 1 is
// the engine's init path running sexton; orphans that an exec leaves are
// reaped; the doctor, run through the init's own path, recognises sexton by
// its binary; and the stop keeps the flush case and the main status.
func testInitFlush(t *testing.T, e *engine, im images, initArgs []string, initPath string, doctorArgv []string) {
	args := append(append([]string{}, initArgs...), "--entrypoint", "/bin/sh", im.sleep, "/srv/main.sh")
	c := e.start(t, newDataDir(t), args...)
	c.waitData(t, "ready")
	pid := c.pid(t)
	cmdline := strings.ReplaceAll(strings.TrimRight(readFile(fmt.Sprintf("/proc/%d/cmdline", pid)), "\x00"), "\x00", " ")
	if want := initPath + " -- /bin/sh /srv/main.sh"; cmdline != want {
		t.Fatalf("PID 1 runs %q, want %q", cmdline, want)
	}
	e.must(t, "exec", c.name, "/bin/sh", "-c", fmt.Sprintf("i=0; while [ $i -lt %d ]; do (usleep 20000 &); i=$((i+1)); done", leaked))
	waitLeakDone(t, pid)
	waitNoZombies(t, pid)
	code, r := c.doctor(t, doctorArgv...)
	if p := r.PID1; code != 0 || p.Init != "sexton" || p.IdentifiedBy != doctor.ByBinary || p.Reaps != "yes" {
		t.Errorf("exec %s %q: exit %d, PID 1 %+v", c.name, doctorArgv, code, p)
	}
	if got := c.stop(t, 600); got != 128+15 {
		t.Errorf("exit code %d, want 143\n%s", got, c.logs(t))
	}
	if got := c.data.read("flushed"); got != "flushed\n" {
		t.Errorf("/data/flushed = %q: the helper did not get to flush\n%s", got, c.logs(t))
	}
}

// testSharedPID: a pod (or a shared PID namespace) whose first process is
// `sexton --pause` from the image of `make image`: an application container
// without an init joins it and leaks orphans, which go to the pause and are
// reaped; the doctor in the application container describes pause mode.
// With a pause that never reaps (sleep), every orphan stays a zombie.
// makePause starts the pause from an image and returns its host pid and the
// run options that join its PID namespace.
func testSharedPID(t *testing.T, e *engine, im images, makePause func(t *testing.T, image string) (int, []string)) {
	for _, c := range []struct {
		name, image string
		reaps       bool
	}{
		{"sexton-pause", im.pause, true},
		{"control-sleep-pause", im.sleep, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			pause, join := makePause(t, c.image)
			args := append(append([]string{}, join...), "--entrypoint", "/bin/sh", im.app, "/srv/leak.sh", fmt.Sprint(leaked))
			app := e.start(t, newDataDir(t), args...)
			app.waitData(t, "leaked")
			ps := waitLeakDone(t, pause)
			if !c.reaps {
				if z := zombiesOf(ps, pause); z < leaked {
					t.Errorf("%d zombies of the pause, want at least %d: the orphans did not go to it\n%s", z, leaked, describe(ps))
				}
				return
			}
			waitNoZombies(t, pause)
			code, r := app.doctor(t, "/sbin/sexton", "doctor")
			if p := r.PID1; code != 0 || p.Init != "sexton" || p.Mode != "pause" || p.Reaps != "yes" {
				t.Errorf("doctor in the application container: exit %d, PID 1 %+v", code, p)
			}
		})
	}
}

// sameFile reports whether the two paths name the same file.
func sameFile(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}
