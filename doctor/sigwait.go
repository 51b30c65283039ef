package doctor

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/procfs"
)

// A PID 1 that takes its signals with sigtimedwait (tini, dumb-init) blocks
// them all the time except while it waits: during the call the kernel
// unblocks the signals waited for, so /proc/1/status then shows SIGTERM
// neither blocked nor caught, as for a program that never handles it. What
// the call waits for is in the program's memory: /proc/1/syscall gives the
// call and the address of the set, /proc/1/mem the set. Both need the
// access a debugger has (root in the container has it unless a security
// module says otherwise); /proc/1/wchan, readable with less, still tells
// that the process waits in sigtimedwait.

// sigWait is how PID 1 waits for signals, as far as the doctor could see.
type sigWait struct {
	call  string // "sigtimedwait", "signalfd" or "" (not waiting for signals)
	set   uint64 // for sigtimedwait: the signals waited for, when known
	known bool   // set was read
}

// The calls a waiting PID 1 can be in.
const (
	callSigtimedwait = "sigtimedwait"
	callSignalfd     = "signalfd"
)

// readSignalState reads PID 1's status and what it waits in, retrying while
// PID 1 moves between reading and waiting (tini wakes every second): the
// call is read before and after the status, and both must agree.
func (in *Inspector) readSignalState(pid int) (procfs.Status, sigWait, error) {
	var st procfs.Status
	var err error
	for attempt := 0; ; attempt++ {
		before := in.readSyscall(pid)
		if st, err = procfs.ReadStatus(in.ProcRoot, pid); err != nil {
			return st, sigWait{}, err
		}
		after := in.readSyscall(pid)
		if before == after || attempt == 4 {
			return st, in.sigWait(pid, after), nil
		}
	}
}

// readSyscall returns the first line of /proc/PID/syscall, "" if unreadable.
func (in *Inspector) readSyscall(pid int) string {
	b, err := os.ReadFile(filepath.Join(in.ProcRoot, strconv.Itoa(pid), "syscall"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// sigWait interprets a /proc/PID/syscall line ("128 0x7ffe... 0x... 0x0
// 0x8 ..." while in rt_sigtimedwait), reading the waited-for set from
// memory; without it, it falls back on /proc/PID/wchan.
func (in *Inspector) sigWait(pid int, syscall string) sigWait {
	f := strings.Fields(syscall)
	if len(f) >= 5 && f[0] == strconv.Itoa(unix.SYS_RT_SIGTIMEDWAIT) {
		w := sigWait{call: callSigtimedwait}
		addr, err1 := strconv.ParseUint(strings.TrimPrefix(f[1], "0x"), 16, 64)
		size, err2 := strconv.ParseUint(strings.TrimPrefix(f[4], "0x"), 16, 64)
		if err1 == nil && err2 == nil && size == 8 {
			if b, err := in.readMem(pid, addr, 8); err == nil && len(b) == 8 {
				w.set, w.known = binary.NativeEndian.Uint64(b), true
			}
		}
		return w
	}
	b, err := os.ReadFile(filepath.Join(in.ProcRoot, strconv.Itoa(pid), "wchan"))
	if err != nil {
		return sigWait{}
	}
	switch wchan := string(b); {
	case strings.HasPrefix(wchan, "do_sigtimedwait"):
		return sigWait{call: callSigtimedwait}
	case strings.HasPrefix(wchan, "signalfd_"):
		return sigWait{call: callSignalfd}
	}
	return sigWait{}
}

// readMem reads n bytes at addr of process pid's memory: from
// /proc/PID/mem, or with the Inspector's mem hook when a test set one.
func (in *Inspector) readMem(pid int, addr uint64, n int) ([]byte, error) {
	if in.mem != nil {
		return in.mem(pid, addr, n)
	}
	f, err := os.Open(filepath.Join(in.ProcRoot, strconv.Itoa(pid), "mem"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if addr > 1<<62 {
		return nil, fmt.Errorf("address %#x out of range", addr)
	}
	b := make([]byte, n)
	if _, err := f.ReadAt(b, int64(addr)); err != nil {
		return nil, err
	}
	return b, nil
}
