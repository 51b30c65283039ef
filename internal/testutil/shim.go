package testutil

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"

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
	if cfg.Cgroup != "" {
		if err := os.WriteFile(cfg.Cgroup+"/cgroup.procs", []byte("0"), 0); err != nil {
			shimFail("joining cgroup: %v", err)
		}
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
	// The mask is per thread: block on this thread and exec from it.
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
	err = syscall.Exec(path, os.Args[1:], os.Environ())
	shimFail("exec %s: %v", path, err)
}

func shimFail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "testutil shim: "+format+"\n", args...)
	os.Exit(100)
}
