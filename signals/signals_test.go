package signals

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParse(t *testing.T) {
	good := map[string]unix.Signal{
		"15": unix.SIGTERM, "TERM": unix.SIGTERM, "SIGTERM": unix.SIGTERM, "sigterm": unix.SIGTERM,
		" kill ": unix.SIGKILL, "IOT": unix.SIGABRT, "SIGCLD": unix.SIGCHLD, "1": unix.SIGHUP, "64": 64,
		"RTMIN": 34, "SIGRTMIN+2": 36, "RTMAX": 64, "SIGRTMAX-1": 63, "WINCH": unix.SIGWINCH,
	}
	for in, want := range good {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "65", "-1", "NOPE", "SIG", "RTMIN+31", "RTMAX+1", "RTMIN2", "1.5"} {
		if got, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", in, got)
		}
	}
}

func TestNameRoundTrips(t *testing.T) {
	for s := unix.Signal(1); s <= Max; s++ {
		if s >= 32 && s < 34 {
			continue // no name of their own
		}
		got, err := Parse(Name(s))
		if err != nil || got != s {
			t.Errorf("Parse(Name(%d)=%q) = %v, %v", s, Name(s), got, err)
		}
	}
}

// The forwarding policy (issue 11): every signal a process can send is
// forwarded, the fault signals included (docker kill -s SEGV), except
// SIGCHLD, the uncatchable ones, SIGTTIN/SIGTTOU and 32-33; SIGURG and
// SIGPIPE only when another process sent them, never when sexton's own
// process raised them or the receiver cannot tell.
func TestRelayPolicy(t *testing.T) {
	for _, s := range []unix.Signal{unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1,
		unix.SIGUSR2, unix.SIGWINCH, unix.SIGCONT, unix.SIGTSTP, unix.SIGALRM, 34, 35, 64,
		unix.SIGILL, unix.SIGTRAP, unix.SIGABRT, unix.SIGBUS, unix.SIGFPE, unix.SIGSEGV, unix.SIGSYS,
		unix.SIGURG, unix.SIGPIPE} {
		if !Relayed(s, Other) {
			t.Errorf("%s sent by another process is not relayed", Name(s))
		}
	}
	for _, s := range []unix.Signal{unix.SIGCHLD, unix.SIGKILL, unix.SIGSTOP, unix.SIGTTIN,
		unix.SIGTTOU, 32, 33, 0, 65} {
		for _, from := range []Origin{Other, Self, Unknown} {
			if Relayed(s, from) {
				t.Errorf("%s is relayed (origin %d)", Name(s), from)
			}
		}
	}
	for _, s := range []unix.Signal{unix.SIGURG, unix.SIGPIPE} {
		for _, from := range []Origin{Self, Unknown} {
			if Relayed(s, from) || !SelfRaised(s, from) {
				t.Errorf("%s of origin %d: relayed %v, self-raised %v", Name(s), from, Relayed(s, from), SelfRaised(s, from))
			}
		}
		if SelfRaised(s, Other) {
			t.Errorf("%s from another process counts as self-raised", Name(s))
		}
	}
	if SelfRaised(unix.SIGTERM, Self) || SelfRaised(unix.SIGSEGV, Unknown) {
		t.Error("SIGTERM or SIGSEGV counts as self-raised")
	}
	reasons := strings.Join(NotRelayedReasons(), "\n")
	for _, want := range []string{"SIGURG (23), when sexton raised it itself", "SIGPIPE (13), when sexton raised it itself", "SIGCHLD (17): drives reaping"} {
		if !strings.Contains(reasons, want) {
			t.Errorf("NotRelayedReasons lacks %q:\n%s", want, reasons)
		}
	}
	if strings.Contains(reasons, "SIGSEGV") || strings.Contains(reasons, "SIGABRT") {
		t.Errorf("NotRelayedReasons lists a fault signal:\n%s", reasons)
	}
}

func TestRewrite(t *testing.T) {
	r := Rewrite{}
	for _, pair := range []string{"TERM:QUIT", "10:0", "SIGHUP:SIGUSR2"} {
		if err := r.Set(pair); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		in   unix.Signal
		out  unix.Signal
		send bool
	}{{unix.SIGTERM, unix.SIGQUIT, true}, {unix.SIGUSR1, 0, false}, {unix.SIGHUP, unix.SIGUSR2, true}, {unix.SIGINT, unix.SIGINT, true}}
	for _, c := range cases {
		if out, send := r.Apply(c.in); out != c.out || send != c.send {
			t.Errorf("Apply(%s) = %v, %v; want %v, %v", Name(c.in), out, send, c.out, c.send)
		}
	}
	for _, bad := range []string{"TERM", "TERM:", ":QUIT", "TERM:NOPE", "99:1"} {
		if err := (Rewrite{}).Set(bad); err == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
	}
}

// Description is glibc's strsignal (as Python's signal.strsignal showed it
// on Debian 12's glibc 2.36).
func TestDescription(t *testing.T) {
	for sig, want := range map[unix.Signal]string{1: "Hangup", 6: "Aborted", 10: "User defined signal 1",
		15: "Terminated", 17: "Child exited", 19: "Stopped (signal)", 20: "Stopped", 23: "Urgent I/O condition",
		31: "Bad system call", 34: "Real-time signal 0", 40: "Real-time signal 6", 64: "Real-time signal 30",
		32: "Unknown signal 32"} {
		if got := Description(sig); got != want {
			t.Errorf("Description(%d) = %q, want %q", sig, got, want)
		}
	}
}
