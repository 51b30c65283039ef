package testutil

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// insideEnv marks the test binary re-run by EnterPIDNamespace inside the
// namespace.
const insideEnv = "SEXTON_TESTUTIL_INSIDE"

// EnterPIDNamespace, called first in TestMain, re-runs the test binary,
// with the same arguments, as PID 1 of a new PID and mount namespace with
// its own /proc (through the shim), and exits with its status; in the
// re-run copy it returns (and InPIDNamespace reports true). Without root
// it returns at once and the tests run where they are. The namespace
// holds every process the tests start: when its PID 1 ends, the kernel
// kills whatever is left, and pid numbers there are the tests' alone
// (/proc/sys/kernel/ns_last_pid steers them). The namespace's PID 1 is
// also SIGKILLed if this process dies.
func EnterPIDNamespace() {
	if os.Getenv(shimEnv) != "" {
		runShim()
	}
	if os.Getenv(insideEnv) != "" {
		// Left in the environment: a copy of the binary that the tests
		// re-execute inside (a pid1 supervisor's child, say) must not
		// enter yet another namespace.
		inside = true
		return
	}
	if os.Geteuid() != 0 {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testutil:", err)
		os.Exit(100)
	}
	// Pdeathsig fires when the thread that started the child ends: keep
	// this one for good.
	runtime.LockOSThread()
	cmd := exec.Command(exe, append([]string{exe}, os.Args[1:]...)...)
	cmd.Env = append(os.Environ(), shimEnv+"={}", insideEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: unix.CLONE_NEWPID | unix.CLONE_NEWNS,
		Pdeathsig:  unix.SIGKILL,
	}
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		os.Exit(0)
	case errors.As(err, &ee):
		if ws := ee.Sys().(syscall.WaitStatus); ws.Signaled() {
			os.Exit(128 + int(ws.Signal()))
		}
		os.Exit(ee.ExitCode())
	}
	fmt.Fprintln(os.Stderr, "testutil: running the tests in a PID namespace:", err)
	os.Exit(100)
}

var inside bool

// InPIDNamespace reports whether EnterPIDNamespace moved the tests into a
// PID namespace of their own.
func InPIDNamespace() bool { return inside }
