package compat

import (
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/internal/testutil"
)

// TestTiniBadInput: what tini prints, where, and the exit code, for bad
// command lines, help, version and licence. Output is compared after
// normalize (PIDs, the added sexton version); the usage text must contain
// every line of tini's, in order.
func TestTiniBadInput(t *testing.T) {
	plain := nonExecutable(t)
	cases := [][]string{
		{"-x", "true"},
		{},
		{"-v"},
		{"--bogus", "true"},
		{"--version", "true"},
		{"-e"},
		{"-e", "300", "true"},
		{"-e", "abc", "true"},
		{"-p", "FOO", "true"},
		{"-p", "KILL", "true"},
		{"-p", "15", "true"},
		{"-h"},
		{"-h", "-x"},
		{"-x", "-h"},
		{"--version"},
		{"-s", "/nonexistent"},
		{"-s", "--", "/nonexistent/command"},
		{"-s", "--", plain},
		{"-s", "no-such-command-in-path"},
		{"-s", "sh", "-c", "exit 0"}, // glibc getopt permutes: -c is tini's, and invalid
	}
	for _, pair := range tinis(t) {
		for _, args := range cases {
			want := run(t, pair[0], nil, args...)
			got := run(t, pair[1], nil, args...)
			name := fmt.Sprintf("%s %q", pair[1].label, args)
			if got.code != want.code {
				t.Errorf("%s: exit code %d, %s gives %d", name, got.code, pair[0].label, want.code)
			}
			for _, s := range []struct{ stream, got, want string }{
				{"stdout", normalize(got.stdout), normalize(want.stdout)},
				{"stderr", normalize(got.stderr), normalize(want.stderr)},
			} {
				if (s.got == "") != (s.want == "") {
					t.Errorf("%s: %s is %q, %s gives %q", name, s.stream, s.got, pair[0].label, s.want)
					continue
				}
				if firstLine(s.got) != firstLine(s.want) {
					t.Errorf("%s: %s starts %q, %s gives %q", name, s.stream, firstLine(s.got), pair[0].label, firstLine(s.want))
				}
				if !subsequence(s.want, s.got) {
					t.Errorf("%s: %s lacks lines of %s's:\n%s\n--- %s:\n%s", name, s.stream, pair[0].label, s.got, pair[0].label, s.want)
				}
			}
		}
	}
}

// TestTiniLicense: -l prints a licence on stdout and exits 0 (sexton's
// licence, not tini's: the text differs).
func TestTiniLicense(t *testing.T) {
	for _, pair := range tinis(t) {
		for _, im := range pair {
			r := run(t, im, nil, "-l")
			if r.code != 0 || !strings.Contains(r.stdout, "License") && !strings.Contains(r.stdout, "LICENSE") || r.stderr != "" {
				t.Errorf("%s -l: code %d, stdout %.60q, stderr %q", im.label, r.code, r.stdout, r.stderr)
			}
		}
	}
}

// TestTiniNotPID1: the warning when neither PID 1 nor a subreaper, its
// absence with -s or TINI_SUBREAPER (set to anything, even empty), where
// the -v output goes, TINI_VERBOSITY replacing -v, and exit codes.
func TestTiniNotPID1(t *testing.T) {
	type check struct {
		env  []string
		args []string
	}
	cases := []check{
		{nil, []string{"--", "true"}},
		{nil, []string{"-s", "--", "true"}},
		{[]string{"TINI_SUBREAPER="}, []string{"--", "true"}},
		{[]string{"TINI_SUBREAPER=0"}, []string{"--", "true"}},
		{nil, []string{"-s", "-v", "--", "true"}},
		{nil, []string{"-s", "-vvv", "--", "true"}},
		{[]string{"TINI_VERBOSITY=2"}, []string{"-s", "--", "true"}},
		{[]string{"TINI_VERBOSITY=1"}, []string{"-s", "-vv", "--", "true"}},
		{[]string{"TINI_VERBOSITY=0"}, []string{"--", "true"}},
		{[]string{"TINI_VERBOSITY=0"}, []string{"/nonexistent"}},
		{nil, []string{"/nonexistent"}},
		{nil, []string{"/etc"}},
		{nil, []string{"-s", "-e", "127", "/nonexistent"}},
		{nil, []string{"-s", "-e", "126", "/etc"}},
		{nil, []string{"-s", "--", "sh", "-c", "exit 7"}},
		{nil, []string{"-s", "-e", "7", "--", "sh", "-c", "exit 7"}},
		{nil, []string{"-s", "-e", "7", "-e", "137", "--", "sh", "-c", "kill -KILL $$"}},
		{nil, []string{"-s", "--", "sh", "-c", "kill -KILL $$"}},
	}
	// The shape of the output: per stream, the level prefixes seen, in
	// order of first appearance. Sexton has no TRACE messages (tini's are
	// about its sigtimedwait loop): TRACE counts as DEBUG.
	shape := func(text string) []string {
		seen := map[string]bool{}
		var out []string
		for _, l := range strings.Split(text, "\n") {
			m := pidInBrackets.FindString(l)
			if m == "" {
				continue
			}
			level := strings.Replace(m[:6], "TRACE", "DEBUG", 1)
			if !seen[level] {
				seen[level] = true
				out = append(out, level)
			}
		}
		sort.Strings(out)
		return out
	}
	for _, pair := range tinis(t)[:1] {
		for _, c := range cases {
			want := run(t, pair[0], c.env, c.args...)
			got := run(t, pair[1], c.env, c.args...)
			name := fmt.Sprintf("%s %v %q", pair[1].label, c.env, c.args)
			if got.code != want.code {
				t.Errorf("%s: exit code %d, tini gives %d", name, got.code, want.code)
			}
			if g, w := shape(got.stdout), shape(want.stdout); !reflect.DeepEqual(g, w) {
				t.Errorf("%s: stdout has %q lines, tini's has %q\n%s", name, g, w, got.stdout)
			}
			if g, w := shape(got.stderr), shape(want.stderr); !reflect.DeepEqual(g, w) {
				t.Errorf("%s: stderr has %q lines, tini's has %q\n%s", name, g, w, got.stderr)
			}
		}
	}
}

// TestTiniExitCodes: as PID 1, the child's exit code, 128+N for a signal,
// -e remapping, and exec failures (with the first line of stderr).
func TestTiniExitCodes(t *testing.T) {
	plain := nonExecutable(t)
	cases := [][]string{
		{"--", "sh", "-c", "exit 3"},
		{"--", "sh", "-c", "kill -KILL $$"},
		{"-e", "137", "--", "sh", "-c", "kill -KILL $$"},
		{"-e", "3", "-e", "4", "--", "sh", "-c", "exit 4"},
		{"--", "/nonexistent"},
		{"--", plain},
		// -e applies to the exit code of a failed exec too (tini's
		// forked child exits with it).
		{"-e", "127", "--", "/nonexistent"},
		{"-e", "127", "--", "no-such-command-in-path"},
		{"-e", "126", "--", plain},
		{"-e", "127", "--", plain},
	}
	for _, pair := range tinis(t) {
		for _, args := range cases {
			var res [2]result
			for i, im := range pair {
				ns := startNS(t, im, []string{"SEXTON_GRACE=0"}, args...)
				res[i] = result{code: ns.Wait(hangGuard), stdout: ns.Stdout(), stderr: ns.Stderr()}
			}
			name := fmt.Sprintf("%s %q as PID 1", pair[1].label, args)
			if res[1].code != res[0].code {
				t.Errorf("%s: exit code %d, %s gives %d", name, res[1].code, pair[0].label, res[0].code)
			}
			if g, w := firstLine(normalize(res[1].stderr)), firstLine(normalize(res[0].stderr)); g != w {
				t.Errorf("%s: stderr starts %q, %s gives %q", name, g, pair[0].label, w)
			}
		}
	}
}

// TestTiniSignals: as PID 1, which signals reach the child and its process
// group companion, without and with -g / TINI_KILL_PROCESS_GROUP.
func TestTiniSignals(t *testing.T) {
	sent := []unix.Signal{unix.SIGUSR1, unix.SIGHUP, unix.SIGINT, unix.SIGWINCH, unix.SIGTERM}
	cases := []struct {
		env   []string
		flags []string
	}{
		{nil, nil},
		{nil, []string{"-g"}},
		{[]string{"TINI_KILL_PROCESS_GROUP=1"}, nil},
	}
	for _, pair := range tinis(t)[:1] {
		for _, c := range cases {
			var got [2][2][]string // [impl][child, group]
			for i, im := range pair {
				rec := newRecorder(t)
				ns := startNS(t, im, c.env, append(append(c.flags, "--"), rec.cmd()...)...)
				rec.waitReady(t, ns)
				for k, sig := range sent {
					ns.Signal(sig)
					rec.child(t, k+1)
					if len(c.flags) > 0 || c.env != nil {
						// One at a time, so that the order is the order sent.
						waitLines(t, rec.group, k+1)
					}
				}
				if len(c.flags) > 0 || c.env != nil {
					waitLines(t, rec.group, len(sent))
				}
				got[i] = [2][]string{rec.child(t, len(sent)), rec.groupGot()}
			}
			name := fmt.Sprintf("%s %v %q", pair[1].label, c.env, c.flags)
			if !reflect.DeepEqual(got[1], got[0]) {
				t.Errorf("%s: child got %q, its group companion %q; with tini: %q, %q", name, got[1][0], got[1][1], got[0][0], got[0][1])
			}
		}
	}
}

// TestTiniLeftovers shows the documented difference: processes left when
// the main child exits. tini exits at once (the kernel then SIGKILLs them);
// sexton sends SIGTERM first and waits a grace period, unless SEXTON_GRACE=0.
// Either way the exit code is the main child's.
func TestTiniLeftovers(t *testing.T) {
	for _, tc := range []struct {
		label string
		im    int // 0: tini, 1: sexton as tini
		env   []string
		term  bool // the leftover gets SIGTERM
	}{
		{"tini", 0, nil, false},
		{"sexton as tini, SEXTON_GRACE=0", 1, []string{"SEXTON_GRACE=0"}, false},
		{"sexton as tini, SEXTON_GRACE=1s", 1, []string{"SEXTON_GRACE=1s"}, true},
	} {
		pair := tinis(t)[0]
		rec := newRecorder(t)
		// The main child starts a recorder in the background, waits until
		// it listens, and exits 5, leaving it behind.
		script := fmt.Sprintf(`"$@" & while [ ! -e %s.ready ]; do sleep 0.01; done; exit 5`, rec.file)
		args := append([]string{"--", "sh", "-c", script, "sh"}, testutil.Tool("sigrecord", rec.file)...)
		ns := startNS(t, pair[tc.im], tc.env, args...)
		if code := ns.Wait(hangGuard); code != 5 {
			t.Errorf("%s: exit code %d, want 5 (the main child's); stderr:\n%s", tc.label, code, ns.Stderr())
		}
		got := testutil.Lines(testutil.ReadFile(rec.file))
		if tc.term && !reflect.DeepEqual(got, []string{"SIGTERM"}) {
			t.Errorf("%s: the leftover process recorded %q, want SIGTERM before being killed", tc.label, got)
		}
		if !tc.term && len(got) != 0 {
			t.Errorf("%s: the leftover process recorded %q, want nothing (killed at once)", tc.label, got)
		}
	}
}

// TestTiniWarnOnReap: with -w, as PID 1, a warning on stderr for each
// reaped process other than the child: the same level prefix; the wording
// differs (tini: "Reaped zombie process with pid=N"; sexton also names the
// command and how it ended).
func TestTiniWarnOnReap(t *testing.T) {
	// An orphan is made, reparented to PID 1 and reaped; the child waits
	// until the orphan, which writes its PID, is gone (reaped) to exit.
	for _, pair := range tinis(t)[:1] {
		var warned [2]bool
		for i, im := range pair {
			pidFile := filepath.Join(t.TempDir(), "orphan")
			script := fmt.Sprintf(`(sh -c 'echo $$ > %[1]s.tmp && mv %[1]s.tmp %[1]s' &)
				while [ ! -e %[1]s ]; do sleep 0.01; done
				while [ -e /proc/$(cat %[1]s) ]; do sleep 0.01; done`, pidFile)
			ns := startNS(t, im, []string{"SEXTON_GRACE=0"}, "-w", "--", "sh", "-c", script)
			if code := ns.Wait(hangGuard); code != 0 {
				t.Errorf("%s -w: exit code %d, want 0; stderr:\n%s", im.label, code, ns.Stderr())
			}
			for _, l := range testutil.Lines(ns.Stderr()) {
				if strings.HasPrefix(l, "[WARN  tini (1)] ") && strings.Contains(strings.ToLower(l), "reaped zombie process") {
					warned[i] = true
				}
			}
			if ns.Stdout() != "" {
				t.Errorf("%s -w: stdout %q, want nothing", im.label, ns.Stdout())
			}
		}
		if warned != [2]bool{true, true} {
			t.Errorf("warning for the reaped orphan: %s %v, %s %v", pair[0].label, warned[0], pair[1].label, warned[1])
		}
	}
}
