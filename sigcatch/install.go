package sigcatch

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

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
)

func rtSigaction(sig int, act, old *sigaction) error {
	_, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig),
		uintptr(unsafe.Pointer(act)), uintptr(unsafe.Pointer(old)), 8, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// reserved are the signals sexton leaves alone: SIGKILL and SIGSTOP cannot
// be caught; 32 and 33 belong to the C library's threads (SIGCANCEL,
// SIGSETXID) and the Go runtime's per-thread system calls.
func reserved(s int) bool {
	return s == int(unix.SIGKILL) || s == int(unix.SIGSTOP) || s == 32 || s == 33
}

var (
	installed bool
	// saved[s] is the action sigtramp replaced, for Uninstall.
	saved    [maxSig + 1]sigaction
	replaced [maxSig + 1]bool
)

// ErrInstalled is returned by a second Install.
var ErrInstalled = errors.New("sigcatch: handlers already installed")

// Install puts sigtramp in place of the handler of every signal a process
// can catch, except those ignored now (an ignored signal stays ignored, in
// sexton and in what it starts). Call it once, as early as possible: from
// then on no signal takes the runtime's default action.
func Install() error {
	if installed {
		return ErrInstalled
	}
	selfPID = uint32(unix.Getpid())
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return fmt.Errorf("cannot create an eventfd for signals: %w", err)
	}
	wakeFD = uint32(fd)
	tmpl, err := template()
	if err != nil {
		unix.Close(fd)
		return err
	}
	for s := 1; s <= maxSig; s++ {
		if reserved(s) {
			continue
		}
		var old sigaction
		if rtSigaction(s, nil, &old) != nil || old.handler == sigIGN {
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
		if err := rtSigaction(s, &act, nil); err != nil {
			return fmt.Errorf("cannot install a handler for signal %d: %w", s, err)
		}
		replaced[s] = true
	}
	installed = true
	return nil
}

// template returns an action of the runtime's (flags, mask and, on amd64,
// restorer) to copy for signals the runtime left at their default.
func template() (sigaction, error) {
	for _, s := range []unix.Signal{unix.SIGSEGV, unix.SIGUSR1, unix.SIGUSR2, unix.SIGALRM} {
		var act sigaction
		if rtSigaction(int(s), nil, &act) == nil && act.handler != sigDFL && act.handler != sigIGN {
			return act, nil
		}
	}
	return sigaction{}, errors.New("sigcatch: the Go runtime has no signal handler to model sexton's on")
}

// Ignore sets sigs to be ignored from now on, in sexton and in every child
// it starts later (the terminal's SIGTTIN and SIGTTOU, once the child owns
// the terminal).
func Ignore(sigs ...unix.Signal) {
	for _, s := range sigs {
		act := saved[s]
		act.handler = sigIGN
		if rtSigaction(int(s), &act, nil) == nil {
			replaced[s] = false
		}
	}
}

// Uninstall gives every signal back to the Go runtime's handler and raises
// again, once each, the signals that arrived while sigtramp had them, so a
// program that turns out not to supervise (sexton doctor, --help) behaves
// as any Go program would.
func Uninstall() {
	if !installed {
		return
	}
	for s := 1; s <= maxSig; s++ {
		if replaced[s] {
			act := saved[s]
			_ = rtSigaction(s, &act, nil)
			replaced[s] = false
		}
	}
	installed = false
	if wakeFile != nil {
		wakeFile.Close()
		wakeFile, wakeConn = nil, nil
	} else {
		unix.Close(int(wakeFD))
	}
	Take(func(sig unix.Signal, _ int) { _ = unix.Kill(int(selfPID), sig) })
}
