package proctree

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/internal/testutil"
	"github.com/sexton-init/sexton/pid1"
	"github.com/sexton-init/sexton/procfs"
)

// The test binary doubles as the processes of the tree, and as helper
// programs that need a process of their own: with PROCTREE_HELPER=<role>
// it plays that role. Every tree role that is up writes "role pid" to fd
// 3, a pipe inherited down the tree.
//
//	npm     (dies on SIGTERM) starts next, then sleeps
//	next    (ignores SIGTERM) starts setsid and dfork, then sleeps
//	setsid  (own session, dies on SIGTERM) sleeps
//	dfork   (own session) starts daemon and exits at once: a double fork
//	daemon  (ignores SIGTERM) waits to be orphaned, then sleeps
//
// The helper programs are in helpers_test.go.
const helperEnv = "PROCTREE_HELPER"

// TestMain runs the tests the way the package is meant to be used in a
// container: as the child of a pid1 supervisor, as PID 2 of a PID
// namespace of their own when root (else under a supervisor made a child
// subreaper). Orphans of the tests' processes are so reaped by the
// supervisor, whatever the machine's init does, and nothing a test starts
// outlives the run.
func TestMain(m *testing.M) {
	if role := os.Getenv(helperEnv); role != "" {
		os.Exit(helper(role))
	}
	testutil.EnterPIDNamespace()
	pid1.Ensure(pid1.Always(), pid1.Subreaper(), pid1.Grace(2*time.Second))
	testutil.Main(m)
}

func treeRole(role string) {
	report := os.NewFile(3, "report")
	up := func() { fmt.Fprintf(report, "%s %d\n", role, os.Getpid()) }
	spawn := func(role string, setsid bool) {
		exe, _ := os.Executable()
		c := exec.Command(exe)
		c.Env = append(os.Environ(), helperEnv+"="+role, "PARENT_PID="+strconv.Itoa(os.Getpid()))
		c.ExtraFiles = []*os.File{report}
		c.SysProcAttr = &syscall.SysProcAttr{Setsid: setsid}
		if err := c.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(1)
		}
	}
	switch role {
	case "npm":
		spawn("next", false)
	case "next":
		signal.Ignore(syscall.SIGTERM)
		spawn("setsid", true)
		spawn("dfork", true)
	case "setsid":
	case "dfork":
		spawn("daemon", false)
		os.Exit(0)
	case "daemon":
		signal.Ignore(syscall.SIGTERM)
		// Compare with the pid of the parent that started us, not with a
		// first getppid(): the parent may already have exited by then.
		for ppid := os.Getenv("PARENT_PID"); strconv.Itoa(os.Getppid()) == ppid; {
			time.Sleep(time.Millisecond)
		}
	}
	up()
	for {
		time.Sleep(time.Hour) // not select{}: the runtime would call that a deadlock
	}
}

// needRoot skips, or fails under CI=true, when the test cannot run here.
func needRoot(t *testing.T, what string) {
	t.Helper()
	if os.Geteuid() != 0 {
		testutil.Unavailable(t, "%s needs root", what)
	}
}

// needSupervisor fails the test when the test binary does not run under
// the pid1 supervisor that TestMain sets up (SEXTON_PID1=never).
func needSupervisor(t *testing.T) {
	t.Helper()
	if !pid1.Supervised() {
		testutil.Unavailable(t, "the tests do not run under their pid1 supervisor (SEXTON_PID1=%s)", os.Getenv("SEXTON_PID1"))
	}
}

// runs reports whether p's command is comm now (Proc.Comm is the one first
// seen, which for a forked child is its parent's until it execs).
func runs(p Proc, comm string) bool {
	s, err := procfs.ReadStat("/proc", p.PID)
	return err == nil && s.Comm == comm
}

// cgroupDir returns the test's own cgroup v2 directory, or the v1 freezer
// one, for the cgroup tests.
func cgroupDir(t *testing.T, v2 bool) string {
	t.Helper()
	needRoot(t, "cgroup mode")
	dir, err := ownCgroupDir("/proc/self/cgroup", v2)
	if err != nil {
		testutil.Unavailable(t, "no cgroup (v2 %v): %v", v2, err)
	}
	return dir
}

// readLines delivers the lines read from r.
func readLines(r *os.File) <-chan string {
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return lines
}

// hang turns a hang into a failure; it measures nothing.
const hang = 30 * time.Second

// startHelperTree starts the npm role under proctree and waits until the
// whole tree is up. It returns the tree and its processes by role.
func startHelperTree(t *testing.T, cmd *exec.Cmd, opts *Options) (*Tree, map[string]Proc) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd.Env = append(os.Environ(), helperEnv+"=npm")
	cmd.ExtraFiles = []*os.File{w}
	cmd.Stderr = os.Stderr
	tree, err := Start(cmd, opts)
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	procs := map[string]Proc{}
	t.Cleanup(func() { cleanup(t, tree, procs) })

	lines := readLines(r)
	timeout := time.After(hang)
	for len(procs) < 4 {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("report pipe closed with %d of 4 processes up: %v", len(procs), procs)
			}
			var role string
			var pid int
			if _, err := fmt.Sscan(l, &role, &pid); err != nil {
				t.Fatalf("bad report %q", l)
			}
			s, err := procfs.ReadStat("/proc", pid)
			if err != nil {
				t.Fatalf("%s %d: %v", role, pid, err)
			}
			procs[role] = Proc{PID: pid, Comm: s.Comm, StartTime: s.StartTime}
		case <-timeout:
			t.Fatalf("tree not up after %v: %v", hang, procs)
		}
	}
	return tree, procs
}

// cleanup makes sure that nothing a test started survives it, even when
// the test failed half-way.
func cleanup(t *testing.T, tree *Tree, procs map[string]Proc) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := tree.Kill(ctx); err != nil && !strings.Contains(err.Error(), "survived") {
		t.Errorf("cleanup: %v", err)
	}
	select {
	case <-tree.Done():
	case <-time.After(hang):
		t.Errorf("cleanup: the direct child %v survived Kill, killing it", tree.Root())
		_ = tree.cmd.Process.Kill()
	}
	_ = tree.Wait()
	for _, p := range procs {
		if alive(p) {
			t.Errorf("cleanup: %v still alive, killing it", p)
			_ = unix.Kill(p.PID, unix.SIGKILL)
		}
	}
	if dir := tree.Cgroup(); dir != "" {
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("cleanup: cgroup %s still there", dir)
			_ = unix.Rmdir(dir)
		}
	}
}

// alive reports whether p exists and is not a zombie.
func alive(p Proc) bool {
	s, err := procfs.ReadStat("/proc", p.PID)
	return err == nil && s.StartTime == p.StartTime && s.State != 'Z'
}

// exists reports whether p exists, as a zombie or not.
func exists(p Proc) bool {
	s, err := procfs.ReadStat("/proc", p.PID)
	return err == nil && s.StartTime == p.StartTime
}

// zombies lists our zombie children.
func zombies(t *testing.T) []procfs.Stat {
	t.Helper()
	table, err := procfs.Scan("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []procfs.Stat
	for _, s := range table {
		if s.PPID == os.Getpid() && s.State == 'Z' {
			out = append(out, s)
		}
	}
	return out
}

func names(ps []Proc) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.Comm+":"+fmt.Sprint(p.PID))
	}
	return strings.Join(s, " ")
}

func contains(ps []Proc, p Proc) bool {
	for _, q := range ps {
		if q.PID == p.PID && q.StartTime == p.StartTime {
			return true
		}
	}
	return false
}

// checkStopped checks the report against the known tree, and that no
// process of the tree and no zombie child of ours is left. The daemon is
// an orphan: it is ours to reap only if we adopted it.
func checkStopped(t *testing.T, tree *Tree, procs map[string]Proc, rep *Report, adopted bool) {
	t.Helper()
	t.Logf("report: %v", rep)
	for role, p := range procs {
		if alive(p) {
			t.Errorf("%s %v still alive after Stop", role, p)
		}
	}
	// Zombies of the supervisor go when it gets to them; ours, reaped by
	// proctree, are gone already. npm is Wait's to reap.
	testutil.Eventually(t, hang, "the tree's zombies reaped", func() bool {
		for role, p := range procs {
			if role != "npm" && exists(p) {
				return false
			}
		}
		return true
	})
	if len(rep.Survivors) > 0 {
		t.Errorf("survivors: %v", names(rep.Survivors))
	}
	for _, role := range []string{"next", "daemon"} { // they ignore SIGTERM
		if !contains(rep.Killed, procs[role]) {
			t.Errorf("%s %v not in Killed (%s)", role, procs[role], names(rep.Killed))
		}
	}
	for _, role := range []string{"npm", "setsid"} {
		if !contains(rep.Exited, procs[role]) {
			t.Errorf("%s %v not in Exited (%s)", role, procs[role], names(rep.Exited))
		}
	}
	if adopted != contains(rep.Reaped, procs["daemon"]) {
		t.Errorf("daemon %v reaped by proctree: %v, want %v (reaped: %s)", procs["daemon"], !adopted, adopted, names(rep.Reaped))
	}
	if dir := tree.Cgroup(); dir != "" {
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("cgroup %s not removed: %v", dir, err)
		}
	}
}

func exe(t testing.TB) string {
	t.Helper()
	p, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func testStop(t *testing.T, opts *Options, want Mode) {
	needSupervisor(t)
	tree, procs := startHelperTree(t, exec.Command(exe(t)), opts)
	if tree.Mode() != want {
		t.Fatalf("mode %v, want %v (fallback: %v)", tree.Mode(), want, tree.Fallback())
	}
	members := tree.Members()
	for role, p := range procs {
		if !contains(members, p) {
			t.Errorf("%s %v is not a member: %s", role, p, names(members))
		}
	}
	rep, err := tree.Stop(context.Background())
	if err != nil {
		t.Error(err)
	}
	if err := tree.Wait(); err == nil {
		t.Error("Wait: the direct child was killed, but Wait returned nil")
	}
	checkStopped(t, tree, procs, rep, false)
	if z := zombies(t); len(z) > 0 {
		t.Errorf("zombies left: %+v", z)
	}
}

// The tree of three generations: npm -> next -> {setsid'd grandchild,
// double-forked daemon (orphaned to the supervisor)}, in each mode.
func TestStopProcessGroup(t *testing.T) {
	testStop(t, &Options{Mode: ProcessGroup, Grace: 300 * time.Millisecond}, ProcessGroup)
}

func TestStopCgroupV2(t *testing.T) {
	dir := cgroupDir(t, true)
	testStop(t, &Options{Mode: Cgroup, CgroupParent: dir, Grace: 300 * time.Millisecond}, Cgroup)
}

func TestStopCgroupV1Freezer(t *testing.T) {
	dir := cgroupDir(t, false)
	testStop(t, &Options{Mode: Cgroup, CgroupParent: dir, Grace: 300 * time.Millisecond}, Cgroup)
}

// Cancelling the context of exec.CommandContext stops the whole tree, not
// just the direct child.
func TestCommandContextCancel(t *testing.T) {
	needSupervisor(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, exe(t))
	cmd.WaitDelay = 300 * time.Millisecond
	tree, procs := startHelperTree(t, cmd, &Options{Mode: ProcessGroup})
	cancel()
	// os/exec reports how the direct child ended (an *exec.ExitError for
	// "signal: terminated"); only a clean exit becomes context.Canceled.
	if err := tree.Wait(); err == nil {
		t.Error("Wait = nil after cancel")
	}
	rep, err := tree.Stop(context.Background()) // waits for the Stop begun by cmd.Cancel
	if err != nil {
		t.Error(err)
	}
	checkStopped(t, tree, procs, rep, false)
}

// A custom cmd.Cancel is kept: it runs first when the context ends, its
// error is what os/exec reports, and the tree is stopped too.
func TestCustomCancelKept(t *testing.T) {
	needSupervisor(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The shell exits 0 on SIGTERM: os/exec then reports the Cancel error.
	cmd := exec.CommandContext(ctx, "sh", "-c", `trap "exit 0" TERM; sleep 60 & wait`)
	custom := errors.New("custom cancel ran")
	called := make(chan struct{})
	cmd.Cancel = func() error { close(called); return custom }
	tree, err := Start(cmd, &Options{Mode: ProcessGroup, Grace: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cleanup(t, tree, nil) })
	// Up means sleep has been exec'd, not only forked: dash loses a SIGTERM
	// that reaches it while it forks the background job (seen: the pre-exec
	// child with SIGTERM pending, the parent asleep in wait with its trap
	// never run, 8 in 100 runs), and the cancel sends SIGTERM at once.
	testutil.Eventually(t, hang, "sh and sleep up", func() bool {
		m := tree.Members()
		return len(m) == 2 && slices.ContainsFunc(m, func(p Proc) bool { return runs(p, "sleep") })
	})
	members := tree.Members()
	cancel()
	select {
	case <-called:
	case <-time.After(hang):
		t.Fatal("the custom Cancel was not called")
	}
	rep, err := tree.Stop(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Exited) != 2 || len(rep.Killed) != 0 {
		t.Errorf("report %v: want sh and sleep ended by SIGTERM", rep)
	}
	for _, p := range members {
		if alive(p) {
			t.Errorf("%v alive after the stop that the cancel began", p)
		}
	}
	// os/exec: after a cancel, a command that exits with a success status
	// makes Wait return an error wrapping Cancel's.
	if err := tree.Wait(); !errors.Is(err, custom) {
		t.Errorf("Wait = %v, want the custom Cancel's error", err)
	}
}

// Cgroup mode must not pick up the caller: the v1 start moves a thread of
// ours into the cgroup and back.
func TestCgroupV1ThreadMovedBack(t *testing.T) {
	dir := cgroupDir(t, false)
	cmd := exec.Command("sleep", "60")
	tree, err := Start(cmd, &Options{Mode: Cgroup, CgroupParent: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cleanup(t, tree, nil) })
	b, err := os.ReadFile(filepath.Join(tree.Cgroup(), "tasks"))
	if err != nil {
		t.Fatal(err)
	}
	tasks := strings.Fields(string(b))
	if len(tasks) != 1 || tasks[0] != fmt.Sprint(cmd.Process.Pid) {
		t.Errorf("tasks in %s: %v, want only %d", tree.Cgroup(), tasks, cmd.Process.Pid)
	}
	rep, err := tree.Stop(context.Background())
	if err != nil {
		t.Error(err)
	}
	if len(rep.Procs) != 1 || len(rep.Exited) != 1 {
		t.Errorf("report: %v", rep)
	}
}
