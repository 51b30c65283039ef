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

// The uid of the fork bomb below, with its own process limit.
const bombUID = 54321

// A fork bomb that ignores SIGTERM, capped at 32 processes by
// RLIMIT_NPROC (its own uid): every process forks for ever, so whatever is
// killed one by one is replaced before the round is over. Stop must end
// it at once, with cgroup.kill on v2 and freeze, kill, thaw on v1.
func TestCgroupKillsForkBomb(t *testing.T) {
	cgroupVersions(t, func(t *testing.T, parent string) {
		for _, tool := range []string{"prlimit", "perl"} {
			if _, err := exec.LookPath(tool); err != nil {
				testutil.Unavailable(t, "%s: %v", tool, err)
			}
		}
		t.Cleanup(killUID)
		cmd := exec.Command("prlimit", "--nproc=32", "--", "perl", "-e", `$SIG{TERM} = "IGNORE"; while (1) { fork() }`)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: bombUID, Gid: bombUID}}
		tree, err := Start(cmd, &Options{Mode: Cgroup, CgroupParent: parent, Grace: -1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cleanup(t, tree, nil) })
		testutil.Eventually(t, hang, "the bomb at 16 processes or more", func() bool {
			pids, _ := tree.cg.procs()
			return len(pids) >= 16
		})
		rep, err := tree.Stop(context.Background())
		if err != nil {
			t.Error(err)
		}
		t.Logf("%d processes, %d killed, %d survived", len(rep.Procs), len(rep.Killed), len(rep.Survivors))
		if len(rep.Killed) < 16 {
			t.Errorf("only %d processes killed", len(rep.Killed))
		}
		if n := uidProcs(); n > 0 {
			t.Errorf("%d processes of the bomb left", n)
		}
		if _, err := os.Stat(tree.Cgroup()); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("cgroup %s not removed: %v", tree.Cgroup(), err)
		}
	})
}

// uidProcs counts the live processes of bombUID.
func uidProcs() int {
	pids, _ := procfs.PIDs("/proc")
	n := 0
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err == nil && regexp.MustCompile(`(?m)^Uid:\s+`+strconv.Itoa(bombUID)+`\s`).Match(b) &&
			!regexp.MustCompile(`(?m)^State:\s+Z`).Match(b) {
			n++
		}
	}
	return n
}

// killUID ends whatever runs as bombUID: kill(-1) from that uid signals
// all of its processes in one pass that forks cannot outrun.
func killUID() {
	for range 100 {
		if uidProcs() == 0 {
			return
		}
		c := exec.Command("sh", "-c", "kill -9 -1")
		c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: bombUID, Gid: bombUID}}
		_ = c.Run()
		time.Sleep(10 * time.Millisecond)
	}
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
