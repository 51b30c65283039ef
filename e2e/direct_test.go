package e2e

import (
	"bytes"
	"errors"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/procfs"
)

// Helpers for running sexton directly, not as PID 1.

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// outputs holds what each directly started command wrote.
var outputs sync.Map // *exec.Cmd -> *[2]lockedBuffer (stdout, stderr)

// startDirect starts argv as a child of the test; the test kills it (and
// the process group it leads) if it is still running at the end.
func startDirect(t *testing.T, argv []string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	bufs := &[2]lockedBuffer{}
	cmd.Stdout, cmd.Stderr = &bufs[0], &bufs[1]
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	outputs.Store(cmd, bufs)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = unix.Kill(-cmd.Process.Pid, unix.SIGKILL)
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd
}

func stdoutOf(cmd *exec.Cmd) string {
	v, _ := outputs.Load(cmd)
	return v.(*[2]lockedBuffer)[0].String()
}

func stderrOf(cmd *exec.Cmd) string {
	v, _ := outputs.Load(cmd)
	return v.(*[2]lockedBuffer)[1].String()
}

// waitDirect waits for cmd and returns its shell-style exit code.
func waitDirect(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(limit):
		t.Fatalf("%s still running after %v; stderr:\n%s", cmd.Path, limit, stderrOf(cmd))
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		ws := ee.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ws.ExitStatus()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

func itoa(n int) string { return strconv.Itoa(n) }

// childrenNamed lists the living children of parent with command name comm.
func childrenNamed(t *testing.T, parent int, comm string) []int {
	t.Helper()
	table, err := procfs.Scan("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, s := range table {
		if s.PPID == parent && s.Comm == comm && s.State != 'Z' {
			out = append(out, s.PID)
		}
	}
	return out
}

// zombieChildren counts the zombie children of parent.
func zombieChildren(t *testing.T, parent int) int {
	t.Helper()
	table, err := procfs.Scan("/proc")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range table {
		if s.PPID == parent && s.State == 'Z' {
			n++
		}
	}
	return n
}
