package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Workload tools for the shutdown of leftovers:
//
//	hoppers N W    ignore SIGTERM, start W workers that sleep forever and
//	               N hoppers that each, every 2 ms, fork a successor and
//	               exit (a respawning pool that a one-shot kill misses:
//	               the PIDs it read are gone by the time it signals them),
//	               then exit. As after PIDs wrapped around, the workers
//	               get PIDs from 30000 and the hoppers from 1000, so a
//	               scan in PID order reads the hoppers long before it is
//	               done (it writes ns_last_pid: run it as root in a PID
//	               namespace of its own)
//	nopidfd ARGV   run ARGV with pidfd_open and pidfd_send_signal failing
//	               with ENOSYS (a seccomp filter), as on Linux before 5.3

// hoppers starts the pool and returns at once.
func hoppers(n, workers int) int {
	signal.Ignore(unix.SIGTERM) // SIG_IGN is inherited by the raw forks
	if err := nextPID(30000); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for i := 0; i < workers; i++ {
		pid, errno := rawFork()
		if errno != 0 {
			fmt.Fprintf(os.Stderr, "fork: %v\n", errno)
			return 1
		}
		if pid == 0 {
			forever := unix.Timespec{Sec: 1 << 30}
			for {
				unix.RawSyscall(unix.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&forever)), 0, 0)
			}
		}
	}
	if err := nextPID(1000); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for i := 0; i < n; i++ {
		pid, errno := rawFork()
		if errno != 0 {
			fmt.Fprintf(os.Stderr, "fork: %v\n", errno)
			return 1
		}
		if pid == 0 {
			hop()
		}
	}
	return 0
}

// nextPID makes pid the next PID of the caller's namespace (unless taken).
func nextPID(pid int) error {
	return os.WriteFile("/proc/sys/kernel/ns_last_pid", []byte(strconv.Itoa(pid-1)), 0)
}

// hop never returns: every 2 ms the process forks and the parent exits,
// so the pool's PIDs keep changing. A failed fork is tried again.
func hop() {
	pause := unix.Timespec{Nsec: 2_000_000}
	for {
		unix.RawSyscall(unix.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&pause)), 0, 0)
		if pid, errno := rawFork(); errno == 0 && pid != 0 {
			rawExit(0)
		}
	}
}

// auditArch is the seccomp architecture of this build, 0 if unknown.
var auditArch = map[string]uint32{"amd64": unix.AUDIT_ARCH_X86_64, "arm64": unix.AUDIT_ARCH_AARCH64}[runtime.GOARCH]

// NoPidfdSupported reports whether the nopidfd tool works on this
// architecture.
func NoPidfdSupported() bool { return auditArch != 0 }

// noPidfd installs a seccomp filter that fails the pidfd system calls with
// ENOSYS and executes argv, which keeps the filter.
func noPidfd(argv []string) int {
	if auditArch == 0 || len(argv) == 0 {
		fmt.Fprintln(os.Stderr, "nopidfd: no command, or no seccomp support for", runtime.GOARCH)
		return 100
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 127
	}
	enosys := unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
	filter := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 4}, // arch
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: auditArch, Jt: 1},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0}, // syscall number
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: unix.SYS_PIDFD_OPEN, Jt: 2},
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: unix.SYS_PIDFD_SEND_SIGNAL, Jt: 1},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
		{Code: unix.BPF_RET | unix.BPF_K, K: enosys},
	}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	// The filter is per thread: install it on the thread that executes.
	runtime.LockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "nopidfd: no_new_privs:", err)
		return 100
	}
	if _, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(&prog))); errno != 0 {
		fmt.Fprintln(os.Stderr, "nopidfd: seccomp:", errno)
		return 100
	}
	os.Unsetenv(toolEnv)
	err = syscall.Exec(path, argv, os.Environ())
	fmt.Fprintln(os.Stderr, "nopidfd: exec:", err)
	return 126
}

// atoi parses a tool argument, 0 if it is not a number.
func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
