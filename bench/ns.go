package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sexton-init/sexton/procfs"
	"golang.org/x/sys/unix"
)

// monoNow is CLOCK_MONOTONIC in nanoseconds, the clock the C helper stamps
// its events with, so the two can be compared.
func monoNow() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		panic(err)
	}
	return ts.Nano()
}

// NS is one run: PROG running as PID 1 of a fresh PID and mount namespace,
// with its own /proc. Pid is its PID as seen from here.
type NS struct {
	Pid    int
	cmd    *exec.Cmd
	stdin  *os.File // write end of the workload's stdin
	stdout *os.File // read end of the workload's stdout
	lines  *bufio.Reader
	done   chan struct{}
	err    error // Wait's result, valid once done is closed
	exited time.Time
	// exitedMono is when Wait returned, CLOCK_MONOTONIC ns (the workload's clock).
	exitedMono int64
}

// startNS starts argv as PID 1 of a new PID namespace, through the helper's
// nsinit trampoline (joins cgroup if non-empty, mounts /proc, execs).
// stderr goes to logPath.
func startNS(env *Env, argv []string, cgroup, logPath string) (*NS, error) {
	cmd := exec.Command(env.Helper, append([]string{"nsinit"}, argv...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS,
		// The harness never ends a locked OS thread, so this fires only
		// when the harness itself dies (golang/go#27505).
		Pdeathsig: syscall.SIGKILL,
	}
	cmd.Env = os.Environ()
	if cgroup != "" {
		cmd.Env = append(cmd.Env, "BENCH_CGROUP="+cgroup)
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, logf
	err = cmd.Start()
	inR.Close()
	outW.Close()
	logf.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, err
	}
	ns := &NS{Pid: cmd.Process.Pid, cmd: cmd, stdin: inW, stdout: outR, lines: bufio.NewReader(outR), done: make(chan struct{})}
	go func() {
		ns.err = cmd.Wait()
		ns.exitedMono = monoNow()
		ns.exited = time.Now()
		close(ns.done)
	}()
	return ns, nil
}

// startReady starts the helper's workload (args) under in as PID 1 of a
// fresh namespace (in cgroup, if not "") and waits for its "ready" line;
// on failure the namespace is already gone.
func startReady(e *Env, in *Init, cgroup, scenario string, args ...string) (*NS, error) {
	ns, err := startNS(e, in.Command(append([]string{e.Helper}, args...)...), cgroup, e.LogPath(scenario, in))
	if err != nil {
		return nil, err
	}
	if l, err := ns.ReadLine(10 * time.Second); err != nil || l != "ready" {
		desc := ns.ExitDesc()
		ns.Kill()
		return nil, fmt.Errorf("workload not ready: %q %v (%s)", l, err, desc)
	}
	return ns, nil
}

// Exited reports whether PID 1 has exited (and been waited for).
func (ns *NS) Exited() bool {
	select {
	case <-ns.done:
		return true
	default:
		return false
	}
}

// WaitExit waits up to d for PID 1 to exit; false on timeout.
func (ns *NS) WaitExit(d time.Duration) bool {
	select {
	case <-ns.done:
		return true
	case <-time.After(d):
		return false
	}
}

// ExitDesc describes how PID 1 ended: "exit 0", "signal killed", ...
func (ns *NS) ExitDesc() string {
	if !ns.Exited() {
		return "running"
	}
	if ns.err == nil {
		return "exit 0"
	}
	var ee *exec.ExitError
	if errors.As(ns.err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok {
			if ws.Signaled() {
				return "killed by " + unix.SignalName(ws.Signal())
			}
			return "exit " + strconv.Itoa(ws.ExitStatus())
		}
	}
	return ns.err.Error()
}

// Kill tears the namespace down (SIGKILL to its PID 1 kills every process in
// it) and waits for PID 1.
func (ns *NS) Kill() {
	ns.Terminate()
	ns.Close()
}

// Terminate kills the namespace like Kill but leaves the pipes open, so what
// the workload wrote can still be read.
func (ns *NS) Terminate() {
	if !ns.Exited() {
		_ = syscall.Kill(ns.Pid, syscall.SIGKILL)
		<-ns.done
	}
}

// Close closes the pipes to the workload.
func (ns *NS) Close() {
	ns.stdin.Close()
	ns.stdout.Close()
}

// ReadLine reads one line of the workload's stdout, waiting at most d.
func (ns *NS) ReadLine(d time.Duration) (string, error) {
	if err := ns.stdout.SetReadDeadline(time.Now().Add(d)); err != nil {
		return "", err
	}
	s, err := ns.lines.ReadString('\n')
	return strings.TrimSuffix(s, "\n"), err
}

// ReadFull reads exactly len(b) bytes of the workload's stdout, waiting at most d.
func (ns *NS) ReadFull(b []byte, d time.Duration) error {
	if err := ns.stdout.SetReadDeadline(time.Now().Add(d)); err != nil {
		return err
	}
	for n := 0; n < len(b); {
		m, err := ns.lines.Read(b[n:])
		n += m
		if err != nil {
			return err
		}
	}
	return nil
}

// Workload returns the PID (from here) of PID 1's only child, waiting up to
// d for it to appear. With no init, the workload is PID 1 itself.
func (ns *NS) Workload(noInit bool, d time.Duration) (int, error) {
	if noInit {
		return ns.Pid, nil
	}
	deadline := time.Now().Add(d)
	for {
		kids, err := childrenOf(ns.Pid)
		if err == nil && len(kids) == 1 {
			return kids[0], nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("no single child of PID 1 (%v, %v)", kids, err)
		}
		time.Sleep(time.Millisecond)
	}
}

// childrenOf lists the children of every thread of pid, from
// /proc/PID/task/TID/children. Zombies stay listed until reaped.
func childrenOf(pid int) ([]int, error) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	if err != nil || len(tasks) == 0 {
		return nil, fmt.Errorf("no tasks for pid %d", pid)
	}
	var out []int
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				out = append(out, n)
			}
		}
	}
	return out, nil
}

// childLister lists the orphans reparented to a namespace's PID 1 cheaply
// and repeatedly, as PIDs of that namespace (read through its own /proc).
// The kernel hands orphans to the init's thread-group leader, so only the
// leader's children file is read: one file per sample whatever the number of
// threads, which keeps the sampler's cost the same for every init. (Children
// that another thread forked, like the init's own child, are listed under
// that thread instead; the storm does not count them anyway.)
type childLister struct {
	path string
	buf  []byte
}

func newChildLister(pid1 int) *childLister {
	return &childLister{path: fmt.Sprintf("/proc/%d/root/proc/1/task/1/children", pid1), buf: make([]byte, 1<<20)}
}

// list appends to dst the children of PID 1's leader thread.
func (c *childLister) list(dst []int) []int {
	f, err := os.Open(c.path)
	if err != nil {
		return dst
	}
	total := 0
	for total < len(c.buf) {
		n, err := f.Read(c.buf[total:])
		total += n
		if err != nil || n == 0 {
			break
		}
	}
	f.Close()
	return parseEntries(dst, c.buf[:total])
}

// nsPid returns the PID of the host process pid inside its own (innermost)
// PID namespace, from the NSpid line of its status.
func nsPid(pid int) (int, error) {
	f := strings.Fields(status(pid)["NSpid"])
	if len(f) == 0 {
		return 0, fmt.Errorf("no NSpid for pid %d", pid)
	}
	return strconv.Atoi(f[len(f)-1])
}

// parseEntries appends the PIDs of a children file to dst: the kernel
// prints each as "PID " (space-terminated).
func parseEntries(dst []int, b []byte) []int {
	n, in := 0, false
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			n, in = n*10+int(c-'0'), true
		case in:
			dst = append(dst, n)
			n, in = 0, false
		}
	}
	if in {
		dst = append(dst, n)
	}
	return dst
}

// zombiesUnder counts the processes in state Z among the descendants of pid,
// by a full scan of /proc (exact, slower than childCounter).
func zombiesUnder(pid int) (int, error) {
	table, err := procfs.Scan("/proc")
	if err != nil {
		return 0, err
	}
	state := make(map[int]byte, len(table))
	for _, s := range table {
		state[s.PID] = s.State
	}
	n := 0
	for _, d := range procfs.Descendants(table, pid) {
		if state[d] == 'Z' {
			n++
		}
	}
	return n, nil
}

// cpuNanos sums the on-CPU time of every thread of pid (first field of
// /proc/PID/task/TID/schedstat, in ns).
func cpuNanos(pid int) int64 {
	files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	var total int64
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if fs := strings.Fields(string(b)); len(fs) > 0 {
			n, _ := strconv.ParseInt(fs[0], 10, 64)
			total += n
		}
	}
	return total
}

// Cgroup is a cgroup v1 pids controller directory made for one run.
type Cgroup struct{ Dir string }

const pidsRoot = "/sys/fs/cgroup/pids"

func newCgroup(name string, max int) (*Cgroup, error) {
	dir := filepath.Join(pidsRoot, fmt.Sprintf("sexton-bench-%d-%s", os.Getpid(), name))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, err
	}
	cg := &Cgroup{Dir: dir}
	if err := os.WriteFile(filepath.Join(dir, "pids.max"), []byte(strconv.Itoa(max)), 0o644); err != nil {
		cg.Remove()
		return nil, err
	}
	return cg, nil
}

// Read returns the trimmed content of a control file ("" on error).
func (cg *Cgroup) Read(file string) string {
	b, _ := os.ReadFile(filepath.Join(cg.Dir, file))
	return strings.TrimSpace(string(b))
}

// Remove waits (up to 5 s) for the cgroup to empty, then removes it.
func (cg *Cgroup) Remove() error {
	var err error
	for i := 0; i < 500; i++ {
		if err = os.Remove(cg.Dir); err == nil || os.IsNotExist(err) {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("cgroup %s not removed: %v (tasks: %s)", cg.Dir, err, cg.Read("tasks"))
}

// removeCgroup removes cg once its processes are gone, logging a failure:
// for a deferred call at the end of a scenario.
func (e *Env) removeCgroup(cg *Cgroup) {
	if err := cg.Remove(); err != nil {
		e.logf("%v", err)
	}
}
