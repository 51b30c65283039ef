package testutil

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/signals"
)

// sigRecordAll is the sigrecordall tool: it appends the name of every
// signal it gets to FILE, one a line: every signal from 1 to 31 that a
// process can catch but SIGCHLD, SIGURG and SIGPIPE included, and
// SIGRTMIN+1 (35), which tests send last as a marker (a pending standard
// signal is always delivered before it). FILE.ready appears once it
// listens.
//
// Run it with GODEBUG=asyncpreemptoff=1: otherwise its own Go runtime may
// send it SIGURG, which it would record as if it had been sent.
func sigRecordAll(file string) int {
	var sigs []os.Signal
	for s := unix.Signal(1); s < 32; s++ {
		if s != unix.SIGKILL && s != unix.SIGSTOP && s != unix.SIGCHLD {
			sigs = append(sigs, s)
		}
	}
	sigs = append(sigs, unix.Signal(35))
	ch := make(chan os.Signal, 64)
	signal.Notify(ch, sigs...)
	if err := os.WriteFile(file+".ready", []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for v := range ch {
		f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Fprintln(f, signals.Name(v.(syscall.Signal)))
		f.Close()
	}
	return 0
}
