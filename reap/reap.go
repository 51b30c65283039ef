// Package reap waits for ended child processes without ever blocking, and
// turns wait statuses into exit codes the way a shell does.
package reap

import (
	"os"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Exit describes one reaped process.
type Exit struct {
	PID    int
	Status unix.WaitStatus
	// Comm is the process's command name, read from /proc before it was
	// reaped; empty unless names were asked for.
	Comm string
}

// Code is the exit code a shell would report: the exit status, or 128+N
// when the process was killed by signal N.
func (e Exit) Code() int { return Code(e.Status) }

// Code converts a wait status into a shell-style exit code.
func Code(ws unix.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// Describe says how the process ended: "exited with status 3" or "was
// killed by signal 9".
func (e Exit) Describe() string {
	if e.Status.Signaled() {
		return "was killed by signal " + strconv.Itoa(int(e.Status.Signal()))
	}
	return "exited with status " + strconv.Itoa(e.Status.ExitStatus())
}

// All reaps every child that has ended, calling fn for each, and returns
// when none is left to reap right now. It never blocks. With names set it
// first peeks at each ended child (WNOWAIT) to read its command name from
// /proc while the zombie still exists. It reports whether any children at
// all remain (false once wait says ECHILD).
func All(names bool, fn func(Exit)) (childrenLeft bool) {
	for {
		pid := -1
		comm := ""
		if names {
			p, ok, left := peek()
			if !left {
				return false
			}
			if !ok {
				return true
			}
			pid, comm = p, Comm(p)
		}
		var ws unix.WaitStatus
		got, err := wait4(pid, &ws)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.ECHILD:
			return false
		case err != nil:
			return true
		case got == 0:
			return true
		}
		fn(Exit{PID: got, Status: ws, Comm: comm})
	}
}

// wait4 reaps pid (-1: any child) if it has ended, without blocking. It is
// a raw system call: WNOHANG cannot block, and the scheduler's system-call
// path would wake the runtime's monitor thread for every reaped process.
func wait4(pid int, ws *unix.WaitStatus) (int, error) {
	got, _, e := unix.RawSyscall6(unix.SYS_WAIT4, uintptr(pid), uintptr(unsafe.Pointer(ws)), unix.WNOHANG, 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(got), nil
}

// siginfoChild is the head of the kernel's siginfo_t as waitid fills it for
// a child: signo, errno, code, then (after padding on 64-bit) pid, uid.
type siginfoChild struct {
	Signo, Errno, Code int32
	_                  int32
	PID                int32
	UID                uint32
	Status             int32
}

// peek finds one ended child without reaping it. ok is false when no child
// has ended yet; left is false when there are no children at all.
func peek() (pid int, ok, left bool) {
	for {
		var info unix.Siginfo
		_, _, e := unix.RawSyscall6(unix.SYS_WAITID, unix.P_ALL, 0, uintptr(unsafe.Pointer(&info)),
			unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, 0, 0)
		switch {
		case e == unix.EINTR:
			continue
		case e == unix.ECHILD:
			return 0, false, false
		case e != 0:
			return 0, false, true
		}
		c := (*siginfoChild)(unsafe.Pointer(&info))
		return int(c.PID), c.PID != 0, true
	}
}

// Comm reads the command name of pid from /proc, or "?" if it is gone.
func Comm(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		return "?"
	}
	return strings.TrimSuffix(string(b), "\n")
}
