package compat

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/internal/testutil"
)

// sigset is a signal set as /proc/PID/status shows it.
type sigset uint64

func setOf(sigs ...unix.Signal) sigset {
	var m sigset
	for _, s := range sigs {
		m |= 1 << (s - 1)
	}
	return m
}

func (m sigset) String() string {
	var names []string
	for s := unix.Signal(1); s <= 64; s++ {
		if m&setOf(s) != 0 {
			names = append(names, strconv.Itoa(int(s)))
		}
	}
	return fmt.Sprintf("%016x [%s]", uint64(m), strings.Join(names, " "))
}

// What of the inherited state a plain Go program can pass on, measured
// (docs/compatibility.md, "Signal state handed to the child"): ignored,
// only the signals whose disposition the Go runtime leaves alone, so
// that it is still there to be read (and kept) when sexton's main runs;
// blocked, all but those the runtime unblocks in every thread it starts.
var (
	ignoreVisible = setOf(unix.SIGHUP, unix.SIGINT, unix.SIGCONT, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU, 32, 34)
	goUnblocks    = setOf(unix.SIGHUP, unix.SIGINT, unix.SIGQUIT, unix.SIGILL, unix.SIGTRAP, unix.SIGABRT, unix.SIGBUS,
		unix.SIGFPE, unix.SIGSEGV, unix.SIGTERM, unix.SIGSTKFLT, unix.SIGURG, unix.SIGPROF, unix.SIGSYS, 32, 33, 34)
)

// TestChildSignalState: a signal ignored or blocked when the init starts
// stays so in the child. tini passes on all of it (but 32 and 33, which
// glibc will not block); sexton, under every name, exactly the part that
// the Go runtime leaves knowable: the test fails if sexton loses more (a
// signal it catches, a mask it changes before the fork) or if the runtime
// starts leaving more (then the docs are wrong). dumb-init resets signals
// 1-31 and unblocks everything in its child; sexton as dumb-init keeps
// tini's behaviour (logged, not compared).
func TestChildSignalState(t *testing.T) {
	var every []unix.Signal
	for s := unix.Signal(1); s <= 64; s++ {
		if s != unix.SIGKILL && s != unix.SIGSTOP && s != unix.SIGCHLD {
			every = append(every, s)
		}
	}
	type state struct{ ign, blk sigset }
	childState := func(im impl, prefix []string, ignore, block []unix.Signal) state {
		ns := testutil.Start(t, testutil.Spec{
			Args:   append(append([]string{im.path}, prefix...), "cat", "/proc/self/status"),
			Env:    []string{"SEXTON_GRACE=0"},
			Ignore: ignore, Block: block,
		})
		if code := ns.Wait(hangGuard); code != 0 {
			t.Fatalf("%s: exit code %d; stderr:\n%s", im.label, code, ns.Stderr())
		}
		var st state
		for _, l := range strings.Split(ns.Stdout(), "\n") {
			name, v, _ := strings.Cut(l, ":")
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			switch {
			case name == "SigIgn" && err == nil:
				st.ign = sigset(n)
			case name == "SigBlk" && err == nil:
				st.blk = sigset(n)
			}
		}
		return st
	}
	inits := allInits(t)
	var tini state
	for _, init := range inits {
		if init.im.label == "tini as tini" {
			tini = state{childState(init.im, init.prefix, every, nil).ign, childState(init.im, init.prefix, nil, every).blk}
		}
	}
	if tini.ign != setOf(every...) || tini.blk != setOf(every...)&^setOf(32, 33) {
		t.Fatalf("tini's child: ignored %v, blocked %v: not the whole inherited state, the harness is broken", tini.ign, tini.blk)
	}
	want := state{tini.ign & ignoreVisible, tini.blk &^ goUnblocks}
	for _, init := range inits {
		if init.im.real && init.im.label != "dumb-init" {
			continue
		}
		got := state{childState(init.im, init.prefix, every, nil).ign, childState(init.im, init.prefix, nil, every).blk}
		if init.im.real {
			t.Logf("dumb-init's child: ignored %v, blocked %v", got.ign, got.blk)
			continue
		}
		if got.ign != want.ign {
			t.Errorf("%s: the child ignores %v, want %v (tini's child: %v)", init.im.label, got.ign, want.ign, tini.ign)
		}
		if got.blk != want.blk {
			t.Errorf("%s: the child blocks %v, want %v (tini's child: %v)", init.im.label, got.blk, want.blk, tini.blk)
		}
	}
}
