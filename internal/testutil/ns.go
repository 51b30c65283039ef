package testutil

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/procfs"
)

// Spec describes how to start PID 1 of a new namespace.
type Spec struct {
	// Args is the program to run as PID 1 and its arguments.
	Args []string
	// Env is added to the test's environment.
	Env []string
	// Ignore and Block are signals set to SIG_IGN and blocked when Args is
	// executed, to test what a program inherits.
	Ignore, Block []unix.Signal
	// Cgroup, if set, is a cgroup v1 directory the namespace is put in.
	Cgroup string
	// Stdin, Stdout, Stderr default to nothing, a buffer, a buffer.
	Stdin          *os.File
	Stdout, Stderr *os.File
	// Terminal makes Stdin the controlling terminal of a new session.
	Terminal bool
}

// shimConfig is what the shim needs to know, passed in its environment.
type shimConfig struct {
	Ignore, Block []int
	Cgroup        string
	// Trace makes the shim ask to be traced (PTRACE_TRACEME) just before
	// it executes the program, and restore GODEBUG to GoDebug (the
	// tracer turns async preemption off in the shim, see StartTraced).
	Trace   bool
	GoDebug *string
}

// NS is a running PID namespace whose PID 1 runs Spec.Args.
type NS struct {
	t   testing.TB
	cmd *exec.Cmd
	// PID is PID 1's process ID as seen from the test (the host).
	PID int

	stdout, stderr Buffer
	done           chan struct{}
	waitErr        error
}

// Start starts spec as PID 1 of a new PID and mount namespace with its own
// /proc. The namespace is torn down (PID 1 SIGKILLed, which kills every
// process in it) when the test ends.
func Start(t testing.TB, spec Spec) *NS {
	t.Helper()
	ns := prepare(t, spec, shimConfig{})
	if err := ns.cmd.Start(); err != nil {
		t.Fatalf("starting namespace: %v", err)
	}
	ns.PID = ns.cmd.Process.Pid
	ns.watch()
	return ns
}

// prepare builds the command that runs the shim for spec; cfg carries the
// shim settings that Spec does not.
func prepare(t testing.TB, spec Spec, cfg shimConfig) *NS {
	t.Helper()
	RequireRoot(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Cgroup = spec.Cgroup
	for _, s := range spec.Ignore {
		cfg.Ignore = append(cfg.Ignore, int(s))
	}
	for _, s := range spec.Block {
		cfg.Block = append(cfg.Block, int(s))
	}
	js, _ := json.Marshal(cfg)
	ns := &NS{t: t, done: make(chan struct{})}
	cmd := exec.Command(exe, spec.Args...)
	cmd.Env = append(append(os.Environ(), shimEnv+"="+string(js)), spec.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: unix.CLONE_NEWPID | unix.CLONE_NEWNS}
	if spec.Terminal {
		cmd.SysProcAttr.Setsid = true
		cmd.SysProcAttr.Setctty = true
		cmd.SysProcAttr.Ctty = 0
	}
	cmd.Stdin = spec.Stdin
	cmd.Stdout, cmd.Stderr = &ns.stdout, &ns.stderr
	if spec.Stdout != nil {
		cmd.Stdout = spec.Stdout
	}
	if spec.Stderr != nil {
		cmd.Stderr = spec.Stderr
	}
	ns.cmd = cmd
	return ns
}

// watch waits for PID 1 in the background and tears the namespace down at
// the end of the test.
func (ns *NS) watch() {
	go func() {
		ns.waitErr = ns.cmd.Wait()
		close(ns.done)
	}()
	ns.t.Cleanup(ns.destroy)
}

// destroy kills the namespace and waits for it.
func (ns *NS) destroy() {
	select {
	case <-ns.done:
		return
	default:
	}
	_ = unix.Kill(ns.PID, unix.SIGKILL)
	<-ns.done
}

// Signal sends sig to PID 1.
func (ns *NS) Signal(sig unix.Signal) {
	ns.t.Helper()
	if err := unix.Kill(ns.PID, sig); err != nil {
		ns.t.Fatalf("kill %d %v: %v", ns.PID, sig, err)
	}
}

// Wait waits for PID 1 to exit, at most limit, and returns its exit code
// (128+N if killed by signal N). Exceeding the limit fails the test: it
// is a hang, not a measurement.
func (ns *NS) Wait(limit time.Duration) int {
	ns.t.Helper()
	select {
	case <-ns.done:
	case <-time.After(limit):
		ns.t.Fatalf("PID 1 still running after %v; stderr:\n%s", limit, ns.Stderr())
	}
	code, err := ExitCode(ns.waitErr)
	if err != nil {
		ns.t.Fatalf("waiting for PID 1: %v", err)
	}
	return code
}

// ExitCode turns the error of exec.Cmd.Wait into a shell-style exit code
// (128+N for death by signal N); other errors are returned.
func ExitCode(waitErr error) (int, error) {
	var ee *exec.ExitError
	if errors.As(waitErr, &ee) {
		ws := ee.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return ws.ExitStatus(), nil
	}
	return 0, waitErr
}

// Done is closed when PID 1 has exited.
func (ns *NS) Done() <-chan struct{} { return ns.done }

// Stdout returns what PID 1 has written to its stdout so far.
func (ns *NS) Stdout() string { return ns.stdout.String() }

// Stderr returns what PID 1 has written to its stderr so far.
func (ns *NS) Stderr() string { return ns.stderr.String() }

// Processes lists the processes in the namespace, read from the host's
// /proc by comparing PID-namespace identities.
func (ns *NS) Processes() []procfs.Stat {
	ns.t.Helper()
	want, err := os.Readlink("/proc/" + strconv.Itoa(ns.PID) + "/ns/pid")
	if err != nil {
		return nil // PID 1 is gone, so is everything in the namespace
	}
	table, err := procfs.Scan("/proc")
	if err != nil {
		ns.t.Fatal(err)
	}
	var out []procfs.Stat
	for _, s := range table {
		if link, err := os.Readlink("/proc/" + strconv.Itoa(s.PID) + "/ns/pid"); err == nil && link == want {
			out = append(out, s)
		}
	}
	return out
}

// Zombies lists the zombies in the namespace.
func (ns *NS) Zombies() []procfs.Stat {
	var out []procfs.Stat
	for _, s := range ns.Processes() {
		if s.State == 'Z' {
			out = append(out, s)
		}
	}
	return out
}

// Eventually polls cond until it holds, failing the test with msg after
// limit. It is for waiting on events, never for measuring time.
func Eventually(t testing.TB, limit time.Duration, msg string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for: %s", limit, msg)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ReadFile returns the content of path, or "" if it does not exist yet.
func ReadFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// Lines splits text into its non-empty lines.
func Lines(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// Buffer is a bytes.Buffer safe for a writer and readers at once, for
// collecting a running program's output.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
