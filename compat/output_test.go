package compat

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/internal/testutil"
)

// tiniVocabulary are the lines tini 0.19 prints (after the level prefix):
// sexton as tini must print the same ones, in the same order, on the same
// stream; lines of its own may come in between.
var tiniVocabulary = regexp.MustCompile(`^\[(FATAL|WARN |INFO |DEBUG|TRACE) tini \(PID\)\] (` +
	`Spawned child process '.*' with pid '.*'|Received SIGCHLD|Passing signal: '.*'|Reaped child with pid: '.*'|` +
	`Main child exited .*|No child to wait|Exiting: child has exited|Reaped zombie process with pid=.*|` +
	`Registered as child subreaper|Tini is not running as PID 1.*|Child was dead when forwarding signal|` +
	`exec .* failed: .*)$|^Zombie processes will not be re-parented to Tini.*|^To fix the problem, .*`)

// dumbInitVocabulary are the lines dumb-init 1.2.5 prints with -v.
var dumbInitVocabulary = regexp.MustCompile(`^\[dumb-init\] (Running in debug mode\.|Not running in setsid mode\.|` +
	`Unable to detach from controlling tty .*|Detached from controlling tty.*|Child spawned with PID .*|` +
	`Unable to attach to controlling tty .*|setsid complete\.|Received signal \d+\.|Ignoring tty hand-off signal \d+\.|` +
	`Translating signal \d+ to \d+\.|Forwarded signal \d+ to children\.|Not forwarding signal 0 to children \(ignored\)\.|` +
	`Suspending self due to TTY signal\.|A child with PID .*|Child exited with status \d+\. Goodbye\.|Unable to chdir.*)$`)

// pidInText finds the PIDs that tini's and dumb-init's lines quote.
var pidInText = regexp.MustCompile(`(pid '|pid: '|pid=|PID )(\d+)`)

// peerLines returns, per stream, the lines of out that the peer's
// vocabulary knows, normalized: tini's prefix PIDs as "PID", each quoted
// PID as P1, P2, ... in order of first appearance (stdout first, then
// stderr), and without tini's "No child to reap", which tini also prints
// once a second while idle (the timeout of its sigtimedwait). dumb-init's
// child prints two lines of its own between fork and exec, racing with
// the parent's "Child spawned" line; they are put right after it.
func peerLines(vocabulary *regexp.Regexp, stdout, stderr string) [2][]string {
	pids := map[string]string{}
	var out [2][]string
	for i, text := range []string{stdout, stderr} {
		var child []string
		for _, l := range strings.Split(normalize(text), "\n") {
			if !vocabulary.MatchString(l) || strings.HasSuffix(l, "No child to reap") {
				continue
			}
			l = pidInText.ReplaceAllStringFunc(l, func(m string) string {
				sub := pidInText.FindStringSubmatch(m)
				if _, ok := pids[sub[2]]; !ok {
					pids[sub[2]] = "P" + strconv.Itoa(len(pids)+1)
				}
				return sub[1] + pids[sub[2]]
			})
			if strings.HasPrefix(l, "[dumb-init] Unable to attach") || l == "[dumb-init] setsid complete." {
				child = append(child, l)
				continue
			}
			out[i] = append(out[i], l)
		}
		for j, l := range out[i] {
			if strings.HasPrefix(l, "[dumb-init] Child spawned") {
				out[i] = append(out[i][:j+1], append(child, out[i][j+1:]...)...)
				break
			}
		}
	}
	return out
}

// step is one signal a scenario sends to PID 1 and how it knows the init
// has dealt with it: the child's trap recorded a line (its count of lines
// reaches n), or the init said so on stderr (said appears once more).
type step struct {
	sig  unix.Signal
	n    int
	said string
}

// outputScenario runs im as PID 1 with args before a child that first
// makes an orphan and waits until the init has reaped it, then traps
// SIGUSR1, SIGUSR2 and SIGHUP (a line in a file for each) while the steps
// are sent, and exits 3. It returns the init's stdout and stderr.
func outputScenario(t *testing.T, im impl, env, args []string, steps []step) (string, string) {
	t.Helper()
	dir := t.TempDir()
	orphan, traps, ready, quit := filepath.Join(dir, "orphan"), filepath.Join(dir, "traps"), filepath.Join(dir, "ready"), filepath.Join(dir, "quit")
	script := fmt.Sprintf(`(sh -c 'echo $$ > %[1]s.tmp && mv %[1]s.tmp %[1]s' &)
		while [ ! -e %[1]s ]; do sleep 0.01; done
		while [ -e /proc/$(cat %[1]s) ]; do sleep 0.01; done
		for s in USR1 USR2 HUP; do trap "echo $s >> %[2]s" $s; done
		echo > %[3]s
		while [ ! -e %[4]s ]; do sleep 0.01; done
		exit 3`, orphan, traps, ready, quit)
	ns := startNS(t, im, append([]string{"SEXTON_GRACE=0"}, env...), append(args, "sh", "-c", script)...)
	testutil.Eventually(t, hangGuard, im.label+"'s child to be ready", func() bool {
		if exited(ns) {
			t.Fatalf("%s exited early; stderr:\n%s", im.label, ns.Stderr())
		}
		return testutil.ReadFile(ready) != ""
	})
	for _, s := range steps {
		before := strings.Count(ns.Stderr(), s.said)
		ns.Signal(s.sig)
		testutil.Eventually(t, hangGuard, fmt.Sprintf("%s to deal with %v", im.label, s.sig), func() bool {
			if s.said != "" {
				return strings.Count(ns.Stderr(), s.said) > before
			}
			return len(testutil.Lines(testutil.ReadFile(traps))) >= s.n
		})
	}
	if err := os.WriteFile(quit, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if code := ns.Wait(hangGuard); code != 3 {
		t.Errorf("%s %q: exit code %d, want the child's 3; stderr:\n%s", im.label, args, code, ns.Stderr())
	}
	return ns.Stdout(), ns.Stderr()
}

// TestTiniOutput: as PID 1, at -w and at each verbosity (-v, -vv, -vvv,
// TINI_VERBOSITY), sexton as tini prints tini's lines, word for word, in
// tini's order, each on tini's stream (WARN on stderr; INFO, DEBUG, TRACE
// on stdout).
func TestTiniOutput(t *testing.T) {
	cases := []struct {
		env, args []string
	}{
		{nil, []string{"-w", "--"}},
		{nil, []string{"-v", "--"}},
		{nil, []string{"-vv", "--"}},
		{nil, []string{"-vvv", "-w", "--"}},
		{[]string{"TINI_VERBOSITY=3"}, []string{"--"}},
		{[]string{"TINI_VERBOSITY=4"}, []string{"-w", "-g", "--"}},
	}
	steps := []step{{sig: unix.SIGUSR1, n: 1}, {sig: unix.SIGHUP, n: 2}}
	pair := tinis(t)[0]
	for _, c := range cases {
		var got [2][2][]string
		for i, im := range pair {
			stdout, stderr := outputScenario(t, im, c.env, c.args, steps)
			got[i] = peerLines(tiniVocabulary, stdout, stderr)
		}
		if len(got[0][0])+len(got[0][1]) == 0 {
			t.Fatalf("tini %v %q printed none of its lines: the scenario is broken", c.env, c.args)
		}
		for s, stream := range []string{"stdout", "stderr"} {
			if !reflect.DeepEqual(got[1][s], got[0][s]) {
				t.Errorf("sexton as tini %v %q, %s:\n%s\n--- tini:\n%s", c.env, c.args, stream,
					strings.Join(got[1][s], "\n"), strings.Join(got[0][s], "\n"))
			}
		}
	}
}

// TestTiniOutputNotPID1: not as PID 1, the warning that zombie reaping
// won't work, in tini's words, and the subreaper's TRACE line with -s.
func TestTiniOutputNotPID1(t *testing.T) {
	pair := tinis(t)[0]
	for _, args := range [][]string{{"--", "true"}, {"-vvv", "--", "true"}, {"-s", "-vvv", "--", "true"}} {
		var got [2][2][]string
		for i, im := range pair {
			r := run(t, im, []string{"SEXTON_GRACE=0"}, args...)
			got[i] = peerLines(tiniVocabulary, r.stdout, r.stderr)
		}
		if !reflect.DeepEqual(got[1], got[0]) {
			t.Errorf("sexton as tini %q: stdout, stderr\n%q\n%q\n--- tini:\n%q\n%q", args, got[1][0], got[1][1], got[0][0], got[0][1])
		}
	}
}

// TestDumbInitOutput: as PID 1, with -v, --verbose or DUMB_INIT_DEBUG=1,
// sexton as dumb-init prints dumb-init's lines, word for word and in its
// order, on stderr: in session mode and with -c or DUMB_INIT_SETSID=0,
// with rewrites (to another signal, to 0) and without; and nothing
// without -v.
func TestDumbInitOutput(t *testing.T) {
	fwd := func(n int) step { return step{sig: unix.SIGUSR1, n: n} }
	cases := []struct {
		env, args []string
		steps     []step
	}{
		{nil, nil, []step{fwd(1)}},
		{nil, []string{"-v"}, []step{fwd(1), {sig: unix.SIGUSR2, n: 2}}},
		{[]string{"DUMB_INIT_DEBUG=1"}, nil, []step{fwd(1)}},
		{nil, []string{"--verbose", "-c"}, []step{fwd(1), {sig: unix.SIGHUP, n: 2}}},
		{[]string{"DUMB_INIT_DEBUG=1", "DUMB_INIT_SETSID=0"}, []string{"-r", "15:10"}, []step{fwd(1)}},
		{nil, []string{"-v", "-r", "10:12", "-r", "12:0"}, []step{fwd(1), {sig: unix.SIGUSR2, said: "Not forwarding signal 0"}, {sig: unix.SIGHUP, n: 2}}},
	}
	pair := dumbInits(t)
	for _, c := range cases {
		var got [2][2][]string
		var stderr [2]string
		for i, im := range pair {
			var stdout string
			stdout, stderr[i] = outputScenario(t, im, c.env, c.args, c.steps)
			got[i] = peerLines(dumbInitVocabulary, stdout, stderr[i])
		}
		if !reflect.DeepEqual(got[1], got[0]) {
			t.Errorf("sexton as dumb-init %v %q: stdout, stderr\n%s\n%s\n--- dumb-init:\n%s\n%s", c.env, c.args,
				strings.Join(got[1][0], "\n"), strings.Join(got[1][1], "\n"), strings.Join(got[0][0], "\n"), strings.Join(got[0][1], "\n"))
		}
		if stderr[0] == "" && stderr[1] != "" {
			t.Errorf("sexton as dumb-init %v %q says %q where dumb-init says nothing", c.env, c.args, stderr[1])
		}
	}
}
