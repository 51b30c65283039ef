package testutil

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// ignoreSignal sets sig's disposition to SIG_IGN with rt_sigaction itself.
// os/signal.Ignore cannot: it leaves alone the signals the Go runtime does
// not let a program catch (SIGSEGV, SIGBUS, SIGPROF, 32-34, ...), and a
// test of what an init inherits needs every one of them ignored. The shim
// executes the init right after, so its own runtime never sees a signal
// in between.
func ignoreSignal(sig int) error {
	// struct sigaction as the kernel lays it out: handler, flags,
	// restorer, mask; SIG_IGN is 1, no flags, nothing masked.
	act := [4]uint64{1, 0, 0, 0}
	_, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// unignoreInherited resets to SIG_DFL every signal the shim inherited
// ignored, so that what PID 1 starts with does not depend on how the tests
// were run (a shell's background job has SIGINT and SIGQUIT ignored, nohup
// SIGHUP); Spec.Ignore then sets what a test asks for.
func unignoreInherited() error {
	for sig := 1; sig <= 64; sig++ {
		if sig == int(unix.SIGKILL) || sig == int(unix.SIGSTOP) {
			continue
		}
		var old [4]uint64
		if _, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), 0, uintptr(unsafe.Pointer(&old)), 8, 0, 0); errno != 0 || old[0] != 1 {
			continue
		}
		dfl := [4]uint64{}
		if _, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&dfl)), 0, 8, 0, 0); errno != 0 {
			return errno
		}
	}
	return nil
}
