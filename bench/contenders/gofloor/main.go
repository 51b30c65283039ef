// Command go-floor is the smallest Go init the bench can think of: it starts
// its command with syscall.ForkExec and reaps every process with a blocking
// wait4(-1) until the command exits, then exits with the command's status
// (128+N when a signal N killed it). It forwards no signal and has no options:
// it is the floor of a Go PID 1, not an init to use.
//
//	go-floor /absolute/path/to/PROG [ARG ...]
//
// Exit status 127 when PROG cannot be started (the error goes to stderr).
package main

import (
	"os"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		os.Stderr.WriteString("usage: go-floor /path/to/PROG [ARG ...]\n")
		os.Exit(127)
	}
	child, err := syscall.ForkExec(os.Args[1], os.Args[1:], &syscall.ProcAttr{
		Env:   os.Environ(),
		Files: []uintptr{0, 1, 2},
	})
	if err != nil {
		os.Stderr.WriteString("go-floor: " + os.Args[1] + ": " + err.Error() + "\n")
		os.Exit(127)
	}
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil { // ECHILD: the command is gone without us seeing it
			os.Exit(1)
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
