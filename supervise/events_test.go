package supervise

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/reap"
)

// A Voice filters by verbosity, formats as the Logger does, and puts the
// Info, Debug and Trace lines on stdout only when asked (tini's way).
func TestVoice(t *testing.T) {
	v := Voice{Verbosity: int(Info)}
	if got := v.Say(Debug, "x"); got != nil {
		t.Errorf("Debug at verbosity Info: %+v", got)
	}
	if got := v.Say(Info, "started %d", 7); len(got) != 1 || got[0] != (Line{Stderr, "sexton: info: started 7"}) {
		t.Errorf("Info: %+v", got)
	}
	v = Voice{Verbosity: int(Trace), Format: func(kind, msg string) string { return kind + "|" + msg }, InfoOnStdout: true}
	for lv, want := range map[Level]Line{Fatal: {Stderr, "error|m"}, Warn: {Stderr, "warning|m"}, Info: {Stdout, "info|m"},
		Debug: {Stdout, "debug|m"}, Trace: {Stdout, "trace|m"}} {
		if got := v.Say(lv, "m"); len(got) != 1 || got[0] != want {
			t.Errorf("level %d: %+v, want %+v", lv, got, want)
		}
	}
	if got := VoiceOf(nil).Say(Fatal, "m"); got != nil {
		t.Errorf("the voice of no logger says %+v", got)
	}
}

// Sexton's own lines for the events, and emit's streams.
func TestSextonEventsAndEmit(t *testing.T) {
	var out, errs strings.Builder
	s := &state{log: &Logger{Verbosity: int(Debug), W: &errs, InfoW: &out}}
	e := SextonEvents{Voice: VoiceOf(s.log), WarnOnReap: true}
	exit := reap.Exit{PID: 9, Status: unix.WaitStatus(2 << 8), Comm: "sh"}
	s.emit(e.Spawned(Child{Name: "app", PID: 9}))
	s.emit(e.Forwarding(unix.SIGUSR1, 0, 9))
	s.emit(e.Forwarded(unix.SIGTERM, unix.SIGQUIT, -9, nil))
	s.emit(e.Reaped(exit, false))
	s.emit(e.Reaped(exit, true))
	s.emit(e.Received(unix.SIGTERM))
	s.emit(e.Exiting(2))
	wantOut := "sexton: info: started \"app\" as pid 9\nsexton: debug: SIGUSR1 dropped by rewrite rule\n" +
		"sexton: debug: relayed SIGQUIT to -9\nsexton: info: main child 9 exited with status 2\nsexton: debug: exiting with status 2\n"
	if out.String() != wantOut {
		t.Errorf("stdout (InfoW):\n%s\nwant\n%s", out.String(), wantOut)
	}
	if want := "sexton: warning: reaped zombie process 9 (sh), which exited with status 2\n"; errs.String() != want {
		t.Errorf("stderr: %q, want %q", errs.String(), want)
	}
}
