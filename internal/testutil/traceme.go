package testutil

import (
	"os"

	"golang.org/x/sys/unix"
)

// traceMe, in the shim, asks the test (the shim's parent) to trace the
// calling thread, the one that executes the program next: the program then
// stops at its first instruction. GODEBUG goes back to what the test had
// (nil: unset), so that the program runs with the test's settings.
func traceMe(goDebug *string) {
	if goDebug == nil {
		os.Unsetenv("GODEBUG")
	} else {
		os.Setenv("GODEBUG", *goDebug)
	}
	if _, _, errno := unix.RawSyscall(unix.SYS_PTRACE, unix.PTRACE_TRACEME, 0, 0); errno != 0 {
		shimFail("PTRACE_TRACEME: %v", errno)
	}
}
