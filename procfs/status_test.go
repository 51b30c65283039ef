package procfs

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The captured stat of a process whose command name is "x) (y z" parses to
// the full name, and the fields after it stay aligned.
func TestParseStatCapturedParenName(t *testing.T) {
	s, err := ParseStat(readTestdata(t, "stat-paren"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Comm != "x) (y z" || s.State != 'S' || s.PPID != 3856 || s.Threads != 1 || s.StartTime != 409756 {
		t.Errorf("got %+v", s)
	}
}

func TestParseStatCapturedZombie(t *testing.T) {
	s, err := ParseStat(readTestdata(t, "stat-zombie"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Comm != "sleep" || s.State != 'Z' || s.PPID != 6634 || s.StartTime != 410474 {
		t.Errorf("got %+v", s)
	}
}

func TestParseStatusCaptured(t *testing.T) {
	s, err := ParseStatus(readTestdata(t, "status-paren"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "x) (y z" || s.Threads != 1 {
		t.Errorf("got %+v", s)
	}
	z, err := ParseStatus(readTestdata(t, "status-zombie"))
	if err != nil {
		t.Fatal(err)
	}
	// A zombie of a non-interactive "sleep 0.1 &" in dash: SIGINT and SIGQUIT ignored.
	if z.SigIgn != 0x6 || !HasSignal(z.SigIgn, 2) || !HasSignal(z.SigIgn, 3) || HasSignal(z.SigIgn, 15) || z.SigCgt != 0 {
		t.Errorf("zombie masks: %+v", z)
	}
	p, err := ParseStatus(readTestdata(t, "status-pid1-process-api"))
	if err != nil {
		t.Fatal(err)
	}
	// The PID 1 of this very machine: handlers for ILL, ABRT, BUS, FPE and
	// SEGV only, SIGPIPE ignored, nothing for SIGTERM or SIGINT.
	if HasSignal(p.SigCgt, 15) || HasSignal(p.SigCgt, 2) || !HasSignal(p.SigCgt, 11) || !HasSignal(p.SigIgn, 13) {
		t.Errorf("pid1 masks: %+v", p)
	}
}

func TestParseStatusErrors(t *testing.T) {
	for _, text := range []string{
		"",                        // a process that vanished: empty read
		"Name:\tx\nThreads:\t1\n", // no masks
		"SigBlk:\tzz\nSigIgn:\t0\nSigCgt:\t0\n",
	} {
		if _, err := ParseStatus(text); err == nil {
			t.Errorf("ParseStatus(%q): no error", text)
		}
	}
	s, err := ParseStatus("Name:\ta\\nb\\\\c\nSigBlk:\t0\nSigIgn:\t0\nSigCgt:\t8000000000000000\n")
	if err != nil || s.Name != "a\nb\\c" || !HasSignal(s.SigCgt, 64) || HasSignal(s.SigCgt, 65) || HasSignal(s.SigCgt, 0) {
		t.Errorf("got %+v, %v", s, err)
	}
	// ShdPnd is read, but does not stand in for a missing mask.
	s, err = ParseStatus("ShdPnd:\t0000000000004000\nSigBlk:\t0\nSigIgn:\t0\nSigCgt:\t0\n")
	if err != nil || !HasSignal(s.ShdPnd, 15) || HasSignal(s.ShdPnd, 14) {
		t.Errorf("ShdPnd: got %+v, %v", s, err)
	}
	if _, err := ParseStatus("ShdPnd:\t0\nSigBlk:\t0\nSigIgn:\t0\n"); err == nil {
		t.Error("ShdPnd counted as one of the three signal masks")
	}
}

func TestParseCmdline(t *testing.T) {
	got := ParseCmdline([]byte(readTestdata(t, "cmdline-paren")))
	if !reflect.DeepEqual(got, []string{"/tmp/x) (y z", "30"}) {
		t.Errorf("got %q", got)
	}
	if got := ParseCmdline(nil); got != nil {
		t.Errorf("zombie cmdline: %q", got)
	}
	if got := ParseCmdline([]byte("nginx: master process\x00\x00")); !reflect.DeepEqual(got, []string{"nginx: master process"}) {
		t.Errorf("rewritten cmdline: %q", got)
	}
}
