package sigcatch

import "unsafe"

// sigaction is the kernel's struct sigaction on amd64 and arm64.
type sigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

const (
	sigDFL = 0
	sigIGN = 1

	efdCloexec  = 0x80000
	efdNonblock = 0x800
)

func rtSigaction(sig int, act, old *sigaction) uintptr {
	_, e := rawSyscall6(sysRtSigaction, uintptr(sig),
		uintptr(unsafe.Pointer(act)), uintptr(unsafe.Pointer(old)), 8, 0, 0)
	return e
}

// reserved are the signals sexton leaves alone: SIGKILL and SIGSTOP cannot
// be caught; 32 and 33 belong to the C library's threads (SIGCANCEL,
// SIGSETXID) and the Go runtime's per-thread system calls.
func reserved(s int) bool {
	return s == sigKILL || s == sigSTOP || s == 32 || s == 33
}

var (
	installed bool
	// saved[s] is the action sigtramp replaced, for Uninstall.
	saved    [MaxSig + 1]sigaction
	replaced [MaxSig + 1]bool
)

// Installed reports whether the handlers are in place.
func Installed() bool { return installed }

// Install puts sigtramp in place of the handler of every signal a process
// can catch, except those ignored now (an ignored signal stays ignored, in
// sexton and in what it starts). Call it once, as early as possible: from
// then on no signal takes the runtime's default action. A second call does
// nothing.
func Install() error {
	if installed {
		return nil
	}
	pid, _ := rawSyscall6(sysGetpid, 0, 0, 0, 0, 0, 0)
	selfPID = uint32(pid)
	fd, e := rawSyscall6(sysEventfd2, 0, efdCloexec|efdNonblock, 0, 0, 0, 0)
	if e != 0 {
		return &Error{Op: "eventfd2", Errno: e}
	}
	wakeFD = uint32(fd)
	tmpl, ok := template()
	if !ok {
		rawSyscall6(sysClose, fd, 0, 0, 0, 0, 0)
		return &Error{Op: "the Go runtime has no signal handler to model one on"}
	}
	for s := 1; s <= MaxSig; s++ {
		if reserved(s) {
			continue
		}
		var old sigaction
		if rtSigaction(s, nil, &old) != 0 || old.handler == sigIGN {
			continue
		}
		act := old
		if old.handler == sigDFL {
			if faultSig[s] != 0 || selfSig[s] == 1 {
				continue // nothing to hand the runtime's share on to
			}
			act = tmpl
		}
		act.handler = sigtrampPC
		runtimeHandler[s] = old.handler
		saved[s] = old
		if e := rtSigaction(s, &act, nil); e != 0 {
			return &Error{Op: "rt_sigaction " + itoa(uintptr(s)), Errno: e}
		}
		replaced[s] = true
	}
	installed = true
	return nil
}

// template returns an action of the runtime's (flags, mask and, on amd64,
// restorer) to copy for signals the runtime left at their default.
func template() (sigaction, bool) {
	for _, s := range []int{sigSEGV, 10, 12, 14} { // SIGUSR1, SIGUSR2, SIGALRM
		var act sigaction
		if rtSigaction(s, nil, &act) == 0 && act.handler != sigDFL && act.handler != sigIGN {
			return act, true
		}
	}
	return sigaction{}, false
}

// Ignore sets sig to be ignored from now on, in sexton and in every child
// it starts later (the terminal's SIGTTIN and SIGTTOU, once the child owns
// the terminal).
func Ignore(sig int) {
	act := saved[sig]
	act.handler = sigIGN
	if rtSigaction(sig, &act, nil) == 0 {
		replaced[sig] = false
	}
}

// Uninstall gives every signal back to the Go runtime's handler and raises
// again, once each, the signals that arrived while sigtramp had them, so a
// program that turns out not to supervise (sexton doctor) behaves as any
// Go program would. The eventfd stays open for the caller to close.
func Uninstall() {
	if !installed {
		return
	}
	for s := 1; s <= MaxSig; s++ {
		if replaced[s] {
			act := saved[s]
			rtSigaction(s, &act, nil)
			replaced[s] = false
		}
	}
	installed = false
	Take(func(sig, _ int) { rawSyscall6(sysKill, uintptr(selfPID), uintptr(sig), 0, 0, 0, 0) })
}
