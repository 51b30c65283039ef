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

// first are the signals installed before the others, in this order: those
// a container runtime stops the container with, then the child's exit and
// the usual user signals. A signal that arrives while Install runs takes
// the runtime's action until its own handler is in.
var first = []int{15, 2, 1, 3, 17, 10, 12}

// Install puts sigtramp in place of the handler of every signal a process
// can catch, except those ignored now (an ignored signal stays ignored, in
// sexton and in what it starts). Call it once, as early as possible: from
// then on no signal takes the runtime's default action. Each signal takes
// one system call that puts the handler in and returns the old one, so
// the first signal of first is caught from the first system call on. A
// second call does nothing.
func Install() error {
	if installed {
		return nil
	}
	act := sigaction{handler: sigtrampPC, flags: saFlags, restorer: restorerPC, mask: ^uint64(0)}
	var done [MaxSig + 1]bool
	install := func(s int) error {
		if done[s] || reserved(s) {
			return nil
		}
		done[s] = true
		var old sigaction
		if e := rtSigaction(s, &act, &old); e != 0 {
			return &Error{Op: "rt_sigaction " + itoa(uintptr(s)), Errno: e}
		}
		if old.handler == sigIGN || old.handler == sigDFL && (faultSig[s] != 0 || selfSig[s] == 1) {
			// Ignored stays ignored; and without the runtime's handler
			// there is nothing to hand its faults or preemption on to.
			rtSigaction(s, &old, nil)
			return nil
		}
		runtimeHandler[s] = old.handler
		saved[s] = old
		replaced[s] = true
		return nil
	}
	for _, s := range first {
		if err := install(s); err != nil {
			return err
		}
	}
	for s := 1; s <= MaxSig; s++ {
		if err := install(s); err != nil {
			return err
		}
	}
	fd, e := rawSyscall6(sysEventfd2, 0, efdCloexec|efdNonblock, 0, 0, 0, 0)
	if e != 0 {
		return &Error{Op: "eventfd2", Errno: e}
	}
	pid, _ := rawSyscall6(sysGetpid, 0, 0, 0, 0, 0, 0)
	selfPID = uint32(pid)
	wakeFD = uint32(fd)
	installed = true
	return nil
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
