package proctree

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/sexton-init/sexton/internal/testutil"
	"github.com/sexton-init/sexton/procfs"
)

// startAtPID starts `sleep 1000` in a session of its own with the given
// pid, steering the pid allocator of the tests' own PID namespace.
func startAtPID(t *testing.T, pid int) Proc {
	t.Helper()
	if !testutil.InPIDNamespace() {
		testutil.Unavailable(t, "steering pids needs the tests' own PID namespace (root)")
	}
	for range 50 {
		if err := os.WriteFile("/proc/sys/kernel/ns_last_pid", []byte(strconv.Itoa(pid-1)), 0); err != nil {
			t.Fatal(err)
		}
		c := exec.Command("sleep", "1000")
		c.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Process.Kill(); _ = c.Wait() })
		if c.Process.Pid == pid {
			s, err := procfs.ReadStat("/proc", pid)
			if err != nil {
				t.Fatal(err)
			}
			return Proc{PID: pid, Comm: s.Comm, StartTime: s.StartTime}
		}
		_ = c.Process.Kill()
	}
	t.Fatalf("could not get pid %d", pid)
	return Proc{}
}

// track must refuse a process whose pid now names another one: the pidfd
// would name the newcomer.
func TestTrackRefusesReusedPID(t *testing.T) {
	needRoot(t, "steering pids")
	c := exec.Command("sleep", "1000")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	s, err := procfs.ReadStat("/proc", c.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	old := Proc{PID: s.PID, Comm: s.Comm, StartTime: s.StartTime}
	_ = c.Process.Kill()
	_ = c.Wait()
	// A start time counts clock ticks (10 ms): a newcomer within the same
	// tick would be indistinguishable, by /proc and so by proctree.
	time.Sleep(30 * time.Millisecond)
	stranger := startAtPID(t, old.PID)
	if m := track(old); m != nil {
		m.close()
		t.Fatalf("track(%v) took %v, which reuses its pid", old, stranger)
	}
}

// A member that died and whose pid (and session id) went to a stranger
// between two scans: the stranger is no member, and Stop leaves it alone.
func TestReusedPIDIsNoMember(t *testing.T) {
	needRoot(t, "steering pids")
	needSupervisor(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("sh", "-c", `setsid sleep 1000 & echo $! >&3; read x; kill $!; wait $!; echo done >&3; exec sleep 1000`)
	cmd.ExtraFiles = []*os.File{w}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	tree, err := Start(cmd, &Options{Mode: ProcessGroup, ScanInterval: -1, Grace: 5 * time.Second})
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cleanup(t, tree, nil) })
	lines := readLines(r)
	next := func() string {
		select {
		case l := <-lines:
			return l
		case <-time.After(hang):
			t.Fatal("the tree did not report")
		}
		return ""
	}
	pid, err := strconv.Atoi(next())
	if err != nil {
		t.Fatal(err)
	}
	var member Proc
	testutil.Eventually(t, hang, "the setsid'd sleep a member", func() bool {
		for _, p := range tree.Members() {
			if p.PID == pid && runs(p, "sleep") {
				member = p
				return true
			}
		}
		return false
	})
	fmt.Fprintln(stdin, "go")
	if l := next(); l != "done" {
		t.Fatalf("tree said %q", l)
	}
	time.Sleep(30 * time.Millisecond) // a later clock tick, see above
	stranger := startAtPID(t, member.PID)
	hasPID := func(ps []Proc) bool {
		for _, p := range ps {
			if p.PID == stranger.PID {
				return true
			}
		}
		return false
	}
	if ms := tree.Members(); hasPID(ms) {
		t.Errorf("stranger %v, with the pid (and session id) of dead member %v, taken for a member: %v", stranger, member, ms)
	}
	rep, err := tree.Stop(context.Background())
	if err != nil {
		t.Error(err)
	}
	if hasPID(rep.Procs) || !alive(stranger) {
		t.Errorf("Stop touched the stranger %v: %v", stranger, rep)
	}
}
