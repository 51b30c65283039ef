package pid1_test

import (
	"errors"
	"fmt"
	"log"
	"os/exec"
	"time"

	"github.com/sexton-init/sexton/pid1"
	"github.com/sexton-init/sexton/signals"
	"github.com/sexton-init/sexton/supervise"
	"golang.org/x/sys/unix"
)

// The whole of using the package: one call at the top of main. As PID 1
// (a container without an init), the process becomes the supervisor and the
// rest of main runs in a re-executed child; anywhere else Ensure returns at
// once. Either way the code below it, os/exec included, is unchanged.
func Example() {
	pid1.Ensure() // first thing in main

	err := exec.Command("sh", "-c", "exit 3").Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		fmt.Println("exit code", ee.ExitCode())
	}
	// Output: exit code 3
}

// Options mirror sexton's command line; SEXTON_GRACE, SEXTON_VERBOSITY,
// SEXTON_SUBREAPER and SEXTON_PID1 override them at run time.
func ExampleEnsure_options() {
	pid1.Ensure(
		pid1.Grace(10*time.Second), // --grace 10s: leftovers get 10 s after SIGTERM
		pid1.Verbosity(2),          // -vv: info messages from the supervisor
		pid1.WarnOnReap(),          // -w: name every orphan reaped
	)
}

// Outside PID 1 (a process under systemd, a shell, a test), Always and
// Subreaper put the supervisor in place anyway: as a child subreaper it is
// given the orphans of the program's descendants.
func ExampleAlways() {
	pid1.Ensure(pid1.Always(), pid1.Subreaper())
}

// Configure reaches the rest of supervise.Config: here nginx-style signal
// rewriting (SIGTERM relayed as SIGQUIT) and relaying to the child's whole
// process group.
func ExampleConfigure() {
	pid1.Ensure(pid1.Configure(func(c *supervise.Config) {
		c.Rewrite = signals.Rewrite{unix.SIGTERM: unix.SIGQUIT}
		c.Group = true
	}))
}

// TryEnsure leaves the decision to the program when the supervisor cannot
// be set up (no executable to re-execute, a malformed SEXTON_* variable).
func ExampleTryEnsure() {
	if err := pid1.TryEnsure(); err != nil {
		log.Printf("running without a supervisor: %v", err)
	}
	if pid1.Supervised() {
		fmt.Println("the child of a pid1 supervisor")
	} else {
		fmt.Println("not supervised: not PID 1")
	}
	// Output: not supervised: not PID 1
}
