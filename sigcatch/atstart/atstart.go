// Package atstart prepares the sexton binary in its first instant: a
// program imports it for that effect alone. It catches every signal with
// sigcatch, so that no signal arriving while sexton parses its command line
// and starts its child takes the Go runtime's default action (exit 2, or a
// stack dump for SIGQUIT), and it fixes the runtime at one P at once, so
// that the scheduler does not start threads for a second P it will never
// use.
//
// It and sigcatch import nothing but the runtime, so Go's rule for the
// order of package inits (the first ready package by import path) runs this
// one before every package of the standard library that has work to do:
// before its init there is only the runtime's own start, which no Go code
// can shorten.
//
// A failure to install (no eventfd under a tiny RLIMIT_NOFILE) is left for
// supervise.Run to meet again and report.
package atstart

import (
	"runtime"

	"github.com/sexton-init/sexton/sigcatch"
)

func init() {
	_ = sigcatch.Install()
	runtime.GOMAXPROCS(1)
}
