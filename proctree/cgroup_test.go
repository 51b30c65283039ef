package proctree

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/internal/testutil"
	"github.com/sexton-init/sexton/procfs"
)

// cgroupVersions runs f for cgroup v2 and for the v1 freezer.
func cgroupVersions(t *testing.T, f func(t *testing.T, parent string)) {
	for _, v := range []struct {
		name string
		v2   bool
	}{{"v2", true}, {"v1freezer", false}} {
		t.Run(v.name, func(t *testing.T) { f(t, cgroupDir(t, v.v2)) })
	}
}

// An escaper that ProcessGroup mode cannot see: it leaves the session
// (setsid), drops the tag (env -i), and its parent exits at once, so it is
// orphaned (to the supervisor, not to us) before anything could have
// looked at it. Cgroup mode must count it as a member, signal it and
// report it.
func TestCgroupCatchesEscaper(t *testing.T) {
	cgroupVersions(t, func(t *testing.T, parent string) {
		needSupervisor(t)
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		cmd := exec.Command("sh", "-c", `( setsid /usr/bin/env -i /bin/sh -c 'echo $$ >&3; exec sleep 1000' & ); exec sleep 1000`)
		cmd.ExtraFiles = []*os.File{w}
		tree, err := Start(cmd, &Options{Mode: Cgroup, CgroupParent: parent, Grace: 5 * time.Second})
		w.Close()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cleanup(t, tree, nil) })
		var esc Proc
		select {
		case l := <-readLines(r):
			pid, err := strconv.Atoi(l)
			if err != nil {
				t.Fatalf("escaper reported %q", l)
			}
			s, err := procfs.ReadStat("/proc", pid)
			if err != nil {
				t.Fatal(err)
			}
			esc = Proc{PID: pid, Comm: s.Comm, StartTime: s.StartTime}
			// It has escaped everything ProcessGroup mode looks at.
			env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
			testutil.Eventually(t, hang, "the escaper orphaned", func() bool {
				s, err := procfs.ReadStat("/proc", pid)
				return err == nil && s.PPID != cmd.Process.Pid && s.PPID != os.Getpid()
			})
			if s.Session == tree.Root().PID || s.PGRP == tree.Root().PID || strings.Contains(string(env), TagEnv) {
				t.Fatalf("the escaper did not escape: %+v, environment %q", s, env)
			}
		case <-time.After(hang):
			t.Fatal("no escaper")
		}
		if m := tree.Members(); !contains(m, esc) {
			t.Errorf("escaper %v not a member: %s", esc, names(m))
		}
		rep, err := tree.Stop(context.Background())
		if err != nil {
			t.Error(err)
		}
		t.Logf("report: %v", rep)
		if !contains(rep.Exited, esc) { // sleep dies of SIGTERM
			t.Errorf("escaper %v not in Exited: %s", esc, names(rep.Exited))
		}
		if alive(esc) {
			t.Errorf("escaper %v alive after Stop", esc)
		}
	})
}

// phoenixC is a tree that rises again when killed one process at a time.
// A generation is a process A, 1500 idle processes, and a process B that
// waits for A to die (on a pipe only A holds) and then starts a new
// generation. cgroup.procs lists pids in order, and the new processes
// get higher ones than any listed, so a kill that goes down the list is
// past A, and 1500 processes away from B, when B wakes and forks: it
// leaves a new generation behind. All of it ignores SIGTERM and runs at
// nice -10, so that B wakes at once. It is C, linked statically, so that
// a fork takes microseconds.
const phoenixC = `#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>
static void generation(void) {
	int p[2];
	if (pipe(p))
		_exit(1);
	if (fork() == 0) {
		close(p[0]);
		for (;;)
			pause();
	}
	close(p[1]);
	for (int i = 0; i < 1500; i++)
		if (fork() == 0) {
			close(p[0]);
			for (;;)
				pause();
		}
	if (fork() == 0) {
		char c;
		while (read(p[0], &c, 1) != 0)
			;
		generation();
		for (;;)
			pause();
	}
	close(p[0]);
}
int main(void) {
	signal(SIGTERM, SIG_IGN);
	setpriority(PRIO_PROCESS, 0, -10);
	generation();
	for (;;)
		pause();
}
`

// buildC compiles a C program, statically.
func buildC(t *testing.T, src string) string {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		testutil.Unavailable(t, "gcc: %v", err)
	}
	dir := t.TempDir()
	file, bin := filepath.Join(dir, "prog.c"), filepath.Join(dir, "prog")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("gcc", "-static", "-O2", "-o", bin, file).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	return bin
}

// Stop must kill the whole cgroup at once (cgroup.kill on v2; freeze,
// kill, thaw on v1) while its processes fork: the phoenix above outlives
// any kill that takes its processes one by one.
func TestCgroupKillIsAtomic(t *testing.T) {
	bin := buildC(t, phoenixC)
	cgroupVersions(t, func(t *testing.T, parent string) {
		tree, err := Start(exec.Command(bin), &Options{Mode: Cgroup, CgroupParent: parent, Grace: -1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cleanup(t, tree, nil) })
		testutil.Eventually(t, hang, "the first generation up", func() bool {
			pids, _ := tree.cg.procs()
			return len(pids) == 1503
		})
		rep, err := tree.Stop(context.Background())
		if err != nil {
			t.Error(err)
		}
		t.Logf("%d processes, %d killed, %d survived", len(rep.Procs), len(rep.Killed), len(rep.Survivors))
		if len(rep.Killed) < 1503 || len(rep.Survivors) > 0 {
			t.Errorf("killed %d, survived %d: want all 1503 killed, none left", len(rep.Killed), len(rep.Survivors))
		}
		if _, err := os.Stat(tree.Cgroup()); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("cgroup %s not removed: %v", tree.Cgroup(), err)
		}
	})
}

// Docker, Podman and CRI-O mount /sys/fs/cgroup read-only. Auto mode then
// runs the tree in ProcessGroup mode and says why; Cgroup mode refuses;
// both errors are ErrNoCgroup and name the cause (EROFS).
func TestReadOnlyCgroupfs(t *testing.T) {
	needRoot(t, "a mount namespace")
	out, code := runHelper(t, "rofs", &syscall.SysProcAttr{Cloneflags: unix.CLONE_NEWNS})
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{
		"auto: mode=process-group nocgroup=true erofs=true\n",
		"cgroup: started=false nocgroup=true erofs=true\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "read-only file system") {
		t.Errorf("the errors do not name the cause:\n%s", out)
	}
}

// A container restarted after a crash: the same pid (1) makes its cgroup
// in the same parent, where the first run's cgroup is left. The second
// run must get a cgroup of its own, in Cgroup mode (no silent switch), and
// remove the stale one; a cgroup of a live owner (locked) and a stale one
// that still holds a process are left alone.
func TestCgroupAfterCrash(t *testing.T) {
	cgroupVersions(t, func(t *testing.T, own string) {
		var b [4]byte
		_, _ = rand.Read(b[:])
		parent := filepath.Join(own, "ptest-"+hex.EncodeToString(b[:]))
		if err := os.Mkdir(parent, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { removeTree(t, parent) })

		live := filepath.Join(parent, cgroupPrefix+"1-live")
		busy := filepath.Join(parent, cgroupPrefix+"1-busy")
		for _, d := range []string{live, busy} {
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		fd, err := unix.Open(live, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		if err := unix.Flock(fd, unix.LOCK_EX); err != nil {
			t.Fatal(err)
		}
		sleeper := exec.Command("sleep", "1000")
		if err := sleeper.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = sleeper.Process.Kill(); _ = sleeper.Wait() })
		if err := writeInt(filepath.Join(busy, "cgroup.procs"), sleeper.Process.Pid); err != nil {
			t.Fatal(err)
		}

		run := func() string {
			ns := testutil.Start(t, testutil.Spec{Args: []string{"/usr/bin/env", helperEnv + "=crash", exe(t), parent}})
			if code := ns.Wait(hang); code != 0 {
				t.Fatalf("crash helper: exit %d\n%s%s", code, ns.Stdout(), ns.Stderr())
			}
			m := regexp.MustCompile(`^pid=1 mode=cgroup cgroup=(\S+)\n$`).FindStringSubmatch(ns.Stdout())
			if m == nil {
				t.Fatalf("crash helper: %q", ns.Stdout())
			}
			return m[1]
		}
		first := run()
		if _, err := os.Stat(first); err != nil {
			t.Fatalf("first run's cgroup: %v", err)
		}
		second := run()
		if second == first {
			t.Fatalf("both runs used %s", first)
		}
		if _, err := os.Stat(first); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("stale cgroup %s not removed: %v", first, err)
		}
		for _, d := range []string{live, busy} {
			if _, err := os.Stat(d); err != nil {
				t.Errorf("%s removed: %v", d, err)
			}
		}
		if err := sleeper.Process.Signal(syscall.Signal(0)); err != nil {
			t.Errorf("the process of the busy cgroup: %v", err)
		}
	})
}

// removeTree empties and removes a test's cgroup directory and the
// cgroups under it.
func removeTree(t *testing.T, dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		sub := filepath.Join(dir, e.Name())
		b, _ := os.ReadFile(filepath.Join(sub, "cgroup.procs"))
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil {
				_ = writeInt(filepath.Join(dir, "..", "cgroup.procs"), pid)
			}
		}
		if err := unix.Rmdir(sub); err != nil {
			t.Errorf("removing %s: %v", sub, err)
		}
	}
	if err := unix.Rmdir(dir); err != nil {
		t.Errorf("removing %s: %v", dir, err)
	}
}
