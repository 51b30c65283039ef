// Package leftover finds and signals the processes left after an init's
// main child has exited.
//
// As PID 1 of a PID namespace the leftovers are every other process in it:
// kill(-1) reaches exactly those, and is atomic against processes forking
// at that moment. Otherwise (a child subreaper, sexton -s) they are the
// init's own descendants, found in /proc by their parent links, and a
// process is only signalled once it is proven to be one: /proc must be a
// proc file system of the init's own PID namespace (its PIDs are then the
// ones kill and pidfd_open take), each parent link must be consistent with
// the start times (a child never starts before its parent, so a link to a
// reused PID is refused), and the signal goes through a pidfd opened before
// the start time is checked again, so a PID reused in between cannot be
// hit. Without pidfds (Linux before 5.3, or a seccomp profile that denies
// them) nothing is signalled and Problem says why.
package leftover

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/procfs"
)

// Finder finds the leftovers of the calling process. It is not safe for
// concurrent use.
type Finder struct {
	pid1 bool
	proc string // normally "/proc"
	self procfs.Stat

	checked bool
	err     error // why leftovers cannot be listed (PID 1) or found safely
	told    bool  // err was returned by Problem
	pidfd   bool  // pidfd_open and pidfd_send_signal work
}

// New returns a Finder for the calling process; pid1 says whether it is
// PID 1 of its namespace. Nothing is read until the first call.
func New(pid1 bool) *Finder {
	return &Finder{pid1: pid1, proc: "/proc", self: procfs.Stat{PID: os.Getpid()}}
}

// Problem returns, on the first call after it was found, why leftovers
// cannot be found in /proc, and nil otherwise. As PID 1 they are still
// signalled (kill(-1) needs no list) but cannot be counted; otherwise Any
// reports none and nothing is signalled: they were not stopped.
func (f *Finder) Problem() error {
	err := f.check()
	if err == nil || f.told {
		return nil
	}
	f.told = true
	return err
}

// Any reports whether any leftover remains, zombies included except the
// caller's own children (they only wait to be reaped).
func (f *Finder) Any() bool {
	if f.pid1 {
		return !errors.Is(unix.Kill(-1, 0), unix.ESRCH)
	}
	found := false
	f.walk(func(p procfs.Stat) bool {
		found = p.State != 'Z' || p.PPID != f.self.PID // not one to reap
		return !found
	})
	return found
}

// Signal sends sig to every living leftover outside process group skip (0
// skips none) and returns how many it reached.
func (f *Finder) Signal(sig unix.Signal, skip int) int {
	if f.pid1 && (skip == 0 || f.check() != nil) {
		n := f.count() // before: SIGKILL leaves nothing to count
		if unix.Kill(-1, sig) != nil {
			return 0
		}
		return n
	}
	n := 0
	f.walk(func(p procfs.Stat) bool {
		if alive(p) && p.PGRP != skip && f.send(p, sig) == nil {
			n++
		}
		return true
	})
	return n
}

// Continue sends SIGCONT to every leftover that is stopped, so that one
// stopped (by SIGSTOP, a debugger detached, a job-control stop) runs and
// acts on the SIGTERM just sent; it returns how many. Running processes
// get nothing: some take SIGCONT as an event of their own. As PID 1
// without a usable /proc, every process gets it.
func (f *Finder) Continue() int {
	if f.pid1 && f.check() != nil {
		_ = unix.Kill(-1, unix.SIGCONT)
		return 0
	}
	n := 0
	f.walk(func(p procfs.Stat) bool {
		if p.State == 'T' && f.send(p, unix.SIGCONT) == nil {
			n++
		}
		return true
	})
	return n
}

// Kill sends SIGKILL to every leftover and returns how many it killed, and
// those it could not signal (EPERM). As PID 1 one kill(-1) does it.
// Otherwise a process can fork between being listed and being killed, so
// Kill sweeps /proc again until a sweep finds no process, living or
// zombie, that an earlier one did not: then every process seen was killed
// or dead, and a process with SIGKILL pending forks no more. Children are
// mostly found by the same sweep (they get higher PIDs, and /proc is read
// in PID order). It gives up after limit; it does not wait for the killed
// to finish exiting.
func (f *Finder) Kill(limit time.Duration) (int, []procfs.Stat) {
	if f.pid1 {
		return f.Signal(unix.SIGKILL, 0), nil
	}
	seen, killed := map[ident]bool{}, map[ident]bool{}
	deadline := time.Now().Add(limit)
	for {
		var failed []procfs.Stat
		grew := false
		f.walk(func(p procfs.Stat) bool {
			id := ident{p.PID, p.StartTime}
			if !seen[id] {
				seen[id], grew = true, true
			}
			if !alive(p) || killed[id] {
				return true
			}
			switch err := f.send(p, unix.SIGKILL); {
			case err == nil:
				killed[id] = true
			case err != errGone:
				failed = append(failed, p)
			}
			return true
		})
		if !grew || !time.Now().Before(deadline) {
			return len(killed), failed
		}
	}
}

// count returns the number of living leftovers, 0 if they cannot be listed.
func (f *Finder) count() int {
	n := 0
	f.walk(func(p procfs.Stat) bool {
		if alive(p) {
			n++
		}
		return true
	})
	return n
}

// ident names one process for its whole life: a PID is reused, a PID with
// its start time (up to the clock tick) is not.
type ident struct {
	pid   int
	start uint64
}

// alive reports whether p is not yet a zombie.
func alive(p procfs.Stat) bool { return p.State != 'Z' && p.State != 'X' }
