// Command go-fwd is the smallest Go program the bench can think of that
// forwards signals: one signal.Notify for every signal a container init
// forwards, kill(2) of each one to the child, and a non-blocking reap of every
// exited process on each wake-up (SIGCHLD or not, so that a dropped SIGCHLD
// cannot hang it). It exits with the child's status (128+N when a signal N
// killed it). It is the floor of Go signal forwarding, not an init to use.
//
//	go-fwd /absolute/path/to/PROG [ARG ...]
//
// Exit status 127 when PROG cannot be started (the error goes to stderr).
package main

import (
	"os"
	"os/signal"
	"syscall"
)

// forwarded lists what go-fwd passes on: the asynchronous signals that can
// be caught, less SIGCHLD (its own), SIGURG (the Go runtime's preemption
// signal) and the synchronous fault signals, plus SIGRTMIN+2..SIGRTMAX
// (the Go runtime keeps 32 and 33).
func forwarded() []os.Signal {
	sigs := []os.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2,
		syscall.SIGPIPE, syscall.SIGALRM, syscall.SIGTERM, syscall.SIGCONT, syscall.SIGTSTP, syscall.SIGTTIN,
		syscall.SIGTTOU, syscall.SIGXCPU, syscall.SIGXFSZ, syscall.SIGVTALRM, syscall.SIGPROF, syscall.SIGWINCH,
		syscall.SIGIO, syscall.SIGPWR}
	for s := 34; s <= 64; s++ {
		sigs = append(sigs, syscall.Signal(s))
	}
	return sigs
}

func main() {
	if len(os.Args) < 2 {
		os.Stderr.WriteString("usage: go-fwd /path/to/PROG [ARG ...]\n")
		os.Exit(127)
	}
	ch := make(chan os.Signal, 128)
	signal.Notify(ch, append(forwarded(), syscall.SIGCHLD)...)
	child, err := syscall.ForkExec(os.Args[1], os.Args[1:], &syscall.ProcAttr{
		Env:   os.Environ(),
		Files: []uintptr{0, 1, 2},
	})
	if err != nil {
		os.Stderr.WriteString("go-fwd: " + os.Args[1] + ": " + err.Error() + "\n")
		os.Exit(127)
	}
	for {
		reap(child)
		if s := (<-ch).(syscall.Signal); s != syscall.SIGCHLD {
			_ = syscall.Kill(child, s) // ESRCH: it just exited, reap sees it
		}
	}
}

// reap collects every exited process without blocking and exits when the
// child is among them.
func reap(child int) {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
		if pid != child {
			continue
		}
		if ws.Signaled() {
			os.Exit(128 + int(ws.Signal()))
		}
		os.Exit(ws.ExitStatus())
	}
}
