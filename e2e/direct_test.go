package e2e

import (
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/internal/testutil"
	"github.com/sexton-init/sexton/procfs"
)

// Helpers for running sexton directly, not as PID 1.

// outputs holds what each directly started command wrote.
var outputs sync.Map // *exec.Cmd -> *[2]testutil.Buffer (stdout, stderr)

// startDirect starts argv as a child of the test; the test kills it (and
// the process group it leads) if it is still running at the end.
func startDirect(t *testing.T, argv []string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	bufs := &[2]testutil.Buffer{}
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
	return v.(*[2]testutil.Buffer)[0].String()
}

func stderrOf(cmd *exec.Cmd) string {
	v, _ := outputs.Load(cmd)
	return v.(*[2]testutil.Buffer)[1].String()
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
	code, err := testutil.ExitCode(err)
	if err != nil {
		t.Fatal(err)
	}
	return code
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
