package signals

import (
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

func TestRelayPolicy(t *testing.T) {
	for _, s := range []unix.Signal{unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1,
		unix.SIGUSR2, unix.SIGWINCH, unix.SIGCONT, unix.SIGTSTP, unix.SIGALRM, 35, 64} {
		if !Relayed(s) {
			t.Errorf("%s is not relayed", Name(s))
		}
	}
	for _, s := range []unix.Signal{unix.SIGCHLD, unix.SIGKILL, unix.SIGSTOP, unix.SIGURG, unix.SIGPIPE, unix.SIGTTIN,
		unix.SIGTTOU, unix.SIGSEGV, 32, 33, 34, 0, 65} {
		if Relayed(s) {
			t.Errorf("%s is relayed", Name(s))
		}
	}
	caught := map[unix.Signal]bool{}
	for _, s := range Catchable() {
		caught[s] = true
	}
	for s := unix.Signal(1); s <= Max; s++ {
		if Relayed(s) && !caught[s] {
			t.Errorf("%s is relayed but not caught", Name(s))
		}
	}
	if caught[unix.SIGURG] || caught[unix.SIGKILL] {
		t.Error("Catchable lists SIGURG or SIGKILL")
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
