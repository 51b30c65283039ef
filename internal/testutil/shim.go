package testutil

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// runShim runs as PID 1 of the new namespace: it gives the namespace its
// own /proc, puts itself in the requested cgroup, sets up the inherited
// signal state, and executes the program, which so becomes PID 1.
func runShim() {
	var cfg shimConfig
	if err := json.Unmarshal([]byte(os.Getenv(shimEnv)), &cfg); err != nil {
		shimFail("config: %v", err)
	}
	os.Unsetenv(shimEnv)
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		shimFail("making mounts private: %v", err)
	}
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		shimFail("mounting /proc: %v", err)
	}
	cgroupProcs := -1
	if cfg.Cgroup != "" {
		fd, err := unix.Open(cfg.Cgroup+"/cgroup.procs", unix.O_WRONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			shimFail("opening the cgroup: %v", err)
		}
		cgroupProcs = fd
	}
	if len(os.Args) < 2 {
		shimFail("no program")
	}
	path, err := exec.LookPath(os.Args[1])
	if err != nil {
		shimFail("%v", err)
	}
	if err := unignoreInherited(); err != nil {
		shimFail("resetting inherited ignored signals: %v", err)
	}
	for _, s := range cfg.Ignore {
		if err := ignoreSignal(s); err != nil {
			shimFail("ignoring signal %d: %v", s, err)
		}
	}
	// The mask is per thread: block on this thread and exec from it. With
	// one P and the template thread that LockOSThread starts made before the
	// cgroup is joined, nothing below asks the runtime for a thread, which a
	// pids limit would turn into an abort of this shim (once seen in CI).
	runtime.GOMAXPROCS(1)
	runtime.LockOSThread()
	var set unix.Sigset_t
	for _, s := range cfg.Block {
		set.Val[(s-1)/64] |= 1 << ((s - 1) % 64)
	}
	// SIG_SETMASK: exactly Block, whatever the tests were run with.
	if err := unix.PthreadSigmask(unix.SIG_SETMASK, &set, nil); err != nil {
		shimFail("blocking signals: %v", err)
	}
	if cfg.Trace {
		traceMe(cfg.GoDebug)
	}
	if cgroupProcs >= 0 {
		joinCgroup(cgroupProcs)
	}
	err = syscall.Exec(path, os.Args[1:], os.Environ())
	shimFail("exec %s: %v", path, err)
}

// joinCgroup moves this process into the cgroup whose cgroup.procs is open
// as fd. The write is raw: a system call through the scheduler lets the
// runtime's monitor hand the P to another thread, which it may have to make.
func joinCgroup(fd int) {
	zero := byte('0')
	if _, _, errno := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&zero)), 1); errno != 0 {
		shimFail("joining cgroup: %v", errno)
	}
	_, _, _ = unix.RawSyscall(unix.SYS_CLOSE, uintptr(fd), 0, 0)
}

func shimFail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "testutil shim: "+format+"\n", args...)
	os.Exit(100)
}
