package compat

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/internal/testutil"
	"github.com/sexton-init/sexton/signals"
)

// TestDumbInitBadInput: dumb-init prints its messages on stderr; they must
// be the same, after normalize, with the same exit code. --help must contain
// every line of dumb-init's, in order.
func TestDumbInitBadInput(t *testing.T) {
	plain := nonExecutable(t)
	pair := dumbInits(t)
	cases := []struct {
		args  []string
		exact bool // the whole stderr must match, not only its lines in order
	}{
		{[]string{"--bogus", "true"}, true},
		{[]string{"-x", "true"}, true},
		{[]string{}, true},
		{[]string{"-v"}, true},
		{[]string{"-r", "15", "true"}, true},
		{[]string{"-r", "15:99", "true"}, true},
		{[]string{"-r", "0:3", "true"}, true},
		{[]string{"-r", "TERM:QUIT", "true"}, true},
		{[]string{"-r"}, true},
		{[]string{"--rewrite"}, true},
		{[]string{"--ver", "true"}, true},
		{[]string{"--help=x"}, true},
		{[]string{"-V"}, true},
		{[]string{"--version"}, true},
		{[]string{"-V", "-x"}, true},
		{[]string{"-x", "-V"}, true},
		{[]string{"-h"}, false},
		{[]string{"--help"}, false},
		{[]string{"--he"}, false},
		{[]string{"/nonexistent"}, false},
		{[]string{plain}, false},
		{[]string{"no-such-command-in-path"}, false},
		{[]string{"-c", "sh", "-c", "exit 9"}, false},
		{[]string{"sh", "-c", "kill -KILL $$"}, false},
		{[]string{"-r", "15:0", "--", "true"}, false},
	}
	for _, c := range cases {
		want := run(t, pair[0], nil, c.args...)
		got := run(t, pair[1], nil, c.args...)
		name := fmt.Sprintf("%s %q", pair[1].label, c.args)
		if got.code != want.code {
			t.Errorf("%s: exit code %d, dumb-init gives %d", name, got.code, want.code)
		}
		if got.stdout != want.stdout {
			t.Errorf("%s: stdout %q, dumb-init prints %q", name, got.stdout, want.stdout)
		}
		g, w := normalize(got.stderr), normalize(want.stderr)
		// Sexton warns on stderr when it is neither PID 1 nor a subreaper;
		// dumb-init never does (see docs/compatibility.md).
		g = dropNotPID1Warning(g)
		switch {
		case c.exact && g != w:
			t.Errorf("%s: stderr\n%s\ndumb-init prints\n%s", name, g, w)
		case !c.exact && !subsequence(strings.TrimSuffix(w, "\n"), g):
			t.Errorf("%s: stderr lacks lines of dumb-init's:\n%s\n--- dumb-init:\n%s", name, g, w)
		}
	}
}

// dropNotPID1Warning removes sexton's not-PID-1 warning line.
func dropNotPID1Warning(s string) string {
	var out []string
	for _, l := range strings.SplitAfter(s, "\n") {
		if !strings.HasPrefix(l, "[dumb-init] not running as PID 1") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "")
}

// TestDumbInitExitCodes: as PID 1, the child's code, 128+N, and exit code 2
// with dumb-init's message for a command that cannot be executed.
func TestDumbInitExitCodes(t *testing.T) {
	plain := nonExecutable(t)
	pair := dumbInits(t)
	for _, args := range [][]string{
		{"sh", "-c", "exit 3"},
		{"sh", "-c", "kill -KILL $$"},
		{"-c", "sh", "-c", "kill -TERM $$"},
		{"/nonexistent"},
		{plain},
	} {
		var res [2]result
		for i, im := range pair {
			ns := startNS(t, im, []string{"SEXTON_GRACE=0"}, args...)
			res[i] = result{code: ns.Wait(hangGuard), stdout: ns.Stdout(), stderr: ns.Stderr()}
		}
		name := fmt.Sprintf("%s %q as PID 1", pair[1].label, args)
		if res[1].code != res[0].code {
			t.Errorf("%s: exit code %d, dumb-init gives %d", name, res[1].code, res[0].code)
		}
		if res[1].stderr != res[0].stderr {
			t.Errorf("%s: stderr %q, dumb-init prints %q", name, res[1].stderr, res[0].stderr)
		}
	}
}

// TestDumbInitSignals: as PID 1, which signals reach the child and its
// process-group companion: the whole group by default (setsid mode), only
// the child with --single-child or DUMB_INIT_SETSID=0, and --rewrite.
func TestDumbInitSignals(t *testing.T) {
	pair := dumbInits(t)
	for _, c := range []struct {
		env   []string
		flags []string
		sent  []unix.Signal
		group bool // the companion gets signals too
	}{
		{nil, nil, []unix.Signal{unix.SIGUSR1, unix.SIGHUP, unix.SIGINT, unix.SIGWINCH, unix.SIGTERM}, true},
		{nil, []string{"-c"}, []unix.Signal{unix.SIGUSR1, unix.SIGHUP, unix.SIGTERM}, false},
		{nil, []string{"--single-child"}, []unix.Signal{unix.SIGUSR1}, false},
		{[]string{"DUMB_INIT_SETSID=0"}, nil, []unix.Signal{unix.SIGUSR1, unix.SIGTERM}, false},
		{nil, []string{"-r", "15:3", "--rewrite=10:12"}, []unix.Signal{unix.SIGTERM, unix.SIGUSR1, unix.SIGUSR2}, true},
		{nil, []string{"-c", "-r", "1:2"}, []unix.Signal{unix.SIGHUP, unix.SIGUSR2}, false},
		// Signals sexton relays only as dumb-init (tini does not pass them on).
		{nil, []string{"-c"}, []unix.Signal{unix.SIGABRT, unix.SIGTTIN, unix.SIGTTOU}, false},
	} {
		var got [2][2][]string // [impl][child, group]
		for i, im := range pair {
			rec := newRecorder(t)
			ns := startNS(t, im, c.env, append(c.flags, rec.cmd()...)...)
			rec.waitReady(t, ns)
			for k, sig := range c.sent {
				ns.Signal(sig)
				rec.child(t, k+1)
				if c.group {
					// One at a time, so that the order is the order sent.
					waitLines(t, rec.group, k+1)
				}
			}
			if c.group {
				waitLines(t, rec.group, len(c.sent))
			}
			got[i] = [2][]string{rec.child(t, len(c.sent)), rec.groupGot()}
		}
		name := fmt.Sprintf("%s %v %q", pair[1].label, c.env, c.flags)
		if !reflect.DeepEqual(got[1], got[0]) {
			t.Errorf("%s: child got %q, its group companion %q; with dumb-init: %q, %q", name, got[1][0], got[1][1], got[0][0], got[0][1])
		}
	}
}

// TestDumbInitDrop: --rewrite s:0 drops s. A signal sent after it (and
// waited for) shows that it would have arrived by then.
func TestDumbInitDrop(t *testing.T) {
	pair := dumbInits(t)
	var got [2][]string
	for i, im := range pair {
		rec := newRecorder(t)
		ns := startNS(t, im, nil, append([]string{"-r", "10:0", "-r", "12:0"}, rec.cmd()...)...)
		rec.waitReady(t, ns)
		ns.Signal(unix.SIGUSR1)
		ns.Signal(unix.SIGUSR2)
		ns.Signal(unix.SIGHUP)
		rec.child(t, 1)
		ns.Signal(unix.SIGHUP)
		got[i] = rec.child(t, 2)
	}
	if !reflect.DeepEqual(got[1], got[0]) || !reflect.DeepEqual(got[0], []string{"SIGHUP", "SIGHUP"}) {
		t.Errorf("sexton as dumb-init: child got %q, with dumb-init %q", got[1], got[0])
	}
}

// TestDumbInitSession: by default the child leads a new session (and its
// own process group); with -c it stays in dumb-init's session.
func TestDumbInitSession(t *testing.T) {
	pair := dumbInits(t)
	for _, flags := range [][]string{nil, {"-c"}} {
		var leads [2]bool
		for i, im := range pair {
			rec := newRecorder(t)
			ns := startNS(t, im, nil, append(flags, rec.cmd()...)...)
			rec.waitReady(t, ns)
			kids := childOf(ns, ns.PID)
			if len(kids) != 1 {
				t.Fatalf("%s %q: PID 1 has children %+v, want one", im.label, flags, kids)
			}
			leads[i] = kids[0].Session == kids[0].PID
		}
		if leads[1] != leads[0] || leads[0] != (flags == nil) {
			t.Errorf("sexton as dumb-init %q: child leads a session: %v; with dumb-init: %v", flags, leads[1], leads[0])
		}
	}
}

// TestDumbInitJobControl: not as PID 1, SIGTSTP to dumb-init stops its
// child (sent as SIGSTOP to the group in setsid mode, as SIGTSTP to the
// child with -c) and then dumb-init itself; SIGCONT resumes dumb-init,
// which passes it on. This is what makes Ctrl-Z and fg work in a shell.
//
// Each init runs under a shell that is PID 1 of a namespace, so that
// everything is cleaned up with the namespace.
func TestDumbInitJobControl(t *testing.T) {
	pair := dumbInits(t)
	for _, flags := range [][]string{nil, {"-c"}} {
		type outcome struct {
			childStopped bool
			recorded     []string
		}
		var res [2]outcome
		for i, im := range pair {
			rec := newRecorder(t)
			cmd := append(append([]string{im.path}, flags...), testutil.Tool("sigrecord", rec.file)...)
			ns := testutil.Start(t, testutil.Spec{Args: append([]string{"/bin/sh", "-c", `"$@" & wait`, "sh"}, cmd...)})
			rec.waitReady(t, ns)
			inits := childOf(ns, ns.PID)
			if len(inits) != 1 {
				t.Fatalf("%s: shell has children %+v, want the init", im.label, inits)
			}
			init := inits[0].PID
			kids := childOf(ns, init)
			if len(kids) != 1 {
				t.Fatalf("%s: init has children %+v, want one", im.label, kids)
			}
			child := kids[0].PID

			signal(t, init, unix.SIGTSTP)
			testutil.Eventually(t, hangGuard, im.label+" to stop itself", func() bool { return stateOf(init) == 'T' })
			if flags != nil {
				rec.child(t, 1) // the child caught SIGTSTP
			} else {
				testutil.Eventually(t, hangGuard, im.label+"'s child to stop", func() bool { return stateOf(child) == 'T' })
			}
			res[i].childStopped = stateOf(child) == 'T'

			signal(t, init, unix.SIGCONT)
			testutil.Eventually(t, hangGuard, im.label+" and its child to run again", func() bool {
				return stateOf(init) != 'T' && stateOf(child) != 'T'
			})
			n := 1
			if flags != nil {
				n = 2
			}
			res[i].recorded = rec.child(t, n)
		}
		if !reflect.DeepEqual(res[1], res[0]) {
			t.Errorf("sexton as dumb-init %q: child stopped %v and recorded %q; with dumb-init: %v, %q",
				flags, res[1].childStopped, res[1].recorded, res[0].childStopped, res[0].recorded)
		}
	}
}

// TestDumbInitLeftovers shows the documented difference: when the main
// child exits, dumb-init sends SIGTERM to its process group and exits at
// once, so the kernel kills the rest before their handlers run; sexton
// waits a grace period after that SIGTERM (none with SEXTON_GRACE=0).
func TestDumbInitLeftovers(t *testing.T) {
	pair := dumbInits(t)
	for _, tc := range []struct {
		label string
		im    int
		env   []string
		term  bool
	}{
		{"sexton as dumb-init, SEXTON_GRACE=1s", 1, []string{"SEXTON_GRACE=1s"}, true},
		{"sexton as dumb-init, SEXTON_GRACE=0", 1, []string{"SEXTON_GRACE=0"}, false},
	} {
		rec := newRecorder(t)
		script := fmt.Sprintf(`"$@" & while [ ! -e %s.ready ]; do sleep 0.01; done; exit 6`, rec.file)
		args := append([]string{"sh", "-c", script, "sh"}, testutil.Tool("sigrecord", rec.file)...)
		ns := startNS(t, pair[tc.im], tc.env, args...)
		if code := ns.Wait(hangGuard); code != 6 {
			t.Errorf("%s: exit code %d, want 6 (the main child's); stderr:\n%s", tc.label, code, ns.Stderr())
		}
		got := testutil.Lines(testutil.ReadFile(rec.file))
		if tc.term && (len(got) == 0 || got[0] != "SIGTERM") {
			t.Errorf("%s: the leftover process recorded %q, want SIGTERM and time to handle it", tc.label, got)
		}
		if !tc.term && len(got) > 1 {
			t.Errorf("%s: the leftover process recorded %q, want at most the SIGTERM sent as it was killed", tc.label, got)
		}
	}
}

// TestDumbInitLeftoversNotPID1: not as PID 1, when the main child exits,
// dumb-init sends SIGTERM (rewritten by --rewrite, like any forwarded
// signal) to the child's process group; processes left there, no longer
// its descendants, get it and live on.
func TestDumbInitLeftoversNotPID1(t *testing.T) {
	pair := dumbInits(t)
	for _, tc := range []struct {
		flags []string
		want  string // what the leftover gets from either init
	}{{nil, "SIGTERM"}, {[]string{"-r", "15:10"}, "SIGUSR1"}} {
		flags := tc.flags
		var got [2][]string
		var codes [2]int
		for i, im := range pair {
			rec := newRecorder(t)
			script := fmt.Sprintf(`"$@" & while [ ! -e %s.ready ]; do sleep 0.01; done; exit 6`, rec.file)
			init := append(append([]string{im.path}, flags...), "sh", "-c", script, "sh")
			init = append(init, testutil.Tool("sigrecord", rec.file)...)
			// PID 1 is a shell that runs the init and writes its exit code.
			codeFile := rec.dir + "/code"
			ns := testutil.Start(t, testutil.Spec{
				Args: append([]string{"/bin/sh", "-c", `"$@"; echo $? > ` + codeFile + `; sleep 1000`, "sh"}, init...),
				Env:  []string{"SEXTON_GRACE=1s"},
			})
			testutil.Eventually(t, hangGuard, im.label+" to exit", func() bool { return testutil.ReadFile(codeFile) != "" })
			fmt.Sscan(testutil.ReadFile(codeFile), &codes[i])
			// The leftover is now PID 1's; a real-time signal sent to it and
			// recorded marks the end of what it got before. The record is
			// compared sorted: the recorder is a Go program, and a signal
			// still on its way to one of its threads when the marker comes
			// can be taken by another thread and recorded after the marker.
			// It is the recorder, this test binary (not the shell's own
			// children, which may still be "sh" between fork and exec).
			leftover := 0
			for _, p := range childOf(ns, ns.PID) {
				if p.Comm == recorderComm(t) {
					leftover = p.PID
				}
			}
			if leftover == 0 {
				t.Fatalf("%s: the leftover process is gone", im.label)
			}
			signal(t, leftover, testutil.MarkerSignal)
			marker := signals.Name(testutil.MarkerSignal)
			testutil.Eventually(t, hangGuard, im.label+": the leftover to record "+tc.want+" and "+marker, func() bool {
				got := testutil.Lines(testutil.ReadFile(rec.file))
				return slices.Contains(got, marker) && slices.Contains(got, tc.want)
			})
			got[i] = testutil.Lines(testutil.ReadFile(rec.file))
			slices.Sort(got[i])
		}
		if codes[1] != codes[0] {
			t.Errorf("sexton as dumb-init %q: exit code %d; with dumb-init: %d", flags, codes[1], codes[0])
		}
		if !reflect.DeepEqual(got[1], got[0]) {
			t.Errorf("sexton as dumb-init %q: leftover recorded %q; with dumb-init: %q", flags, got[1], got[0])
		}
	}
}

// recorderComm is the command name of the signal recorder: this test
// binary's, as the kernel truncates it (15 bytes).
func recorderComm(t *testing.T) string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Base(exe)
	if len(name) > 15 {
		name = name[:15]
	}
	return name
}
