package compat

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/internal/testutil"
	"github.com/sexton-init/sexton/procfs"
)

func TestMain(m *testing.M) { testutil.Main(m) }

// hangGuard bounds every wait. It is not a timing assertion: it only turns
// a hang into a failure with a useful message.
const hangGuard = 20 * time.Second

// Paths of the real programs, from Debian's tini and dumb-init packages.
const (
	realTini     = "/usr/bin/tini"
	realDumbInit = "/usr/bin/dumb-init"
)

// impl is one implementation of a personality under test.
type impl struct {
	label string // for messages: "tini", "sexton as docker-init"
	path  string // the file to execute
	argv0 string // the name it is invoked as, for runs outside a namespace
	real  bool   // the real program, not sexton
}

// requirePeer fails (under CI=true) or skips the test when a real program
// is missing.
func requirePeer(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err == nil {
		return
	}
	testutil.Unavailable(t, "%s is missing (apt-get install tini dumb-init)", path)
}

// sextonAs returns the path of a symlink to the built sexton named name.
func sextonAs(t *testing.T, name string) string {
	t.Helper()
	link := filepath.Join(t.TempDir(), name)
	if err := os.Symlink(testutil.Sexton(t), link); err != nil {
		t.Fatal(err)
	}
	return link
}

// tinis returns real tini and sexton as tini and as docker-init; the real
// one invoked as the same name for each, so that messages naming the
// program can be compared.
func tinis(t *testing.T) [][2]impl {
	t.Helper()
	testutil.RequireRoot(t)
	requirePeer(t, realTini)
	var out [][2]impl
	for _, name := range []string{"tini", "docker-init"} {
		out = append(out, [2]impl{
			{label: "tini as " + name, path: realTini, argv0: name, real: true},
			{label: "sexton as " + name, path: sextonAs(t, name), argv0: name},
		})
	}
	return out
}

// dumbInits returns real dumb-init and sexton as dumb-init.
func dumbInits(t *testing.T) [2]impl {
	t.Helper()
	testutil.RequireRoot(t)
	requirePeer(t, realDumbInit)
	return [2]impl{
		{label: "dumb-init", path: realDumbInit, argv0: "dumb-init", real: true},
		{label: "sexton as dumb-init", path: sextonAs(t, "dumb-init"), argv0: "dumb-init"},
	}
}

// result is what an init run shows the outside world.
type result struct {
	code           int
	stdout, stderr string
}

// run runs im as an ordinary process (not PID 1) with extra environment
// variables and returns its exit code and output.
func run(t *testing.T, im impl, env []string, args ...string) result {
	t.Helper()
	return runIn(t, im, "", env, args...)
}

// runIn is run in the working directory dir ("" for the test's).
func runIn(t *testing.T, im impl, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := &exec.Cmd{Path: im.path, Args: append([]string{im.argv0}, args...), Dir: dir}
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", im.label, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(hangGuard):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("%s %q still running after %v; stderr:\n%s", im.label, args, hangGuard, stderr.String())
	}
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		ws := ee.Sys().(syscall.WaitStatus)
		r.code = ws.ExitStatus()
		if ws.Signaled() {
			r.code = 128 + int(ws.Signal())
		}
	case err != nil:
		t.Fatalf("%s: %v", im.label, err)
	}
	return r
}

// startNS starts im as PID 1 of a new PID namespace.
func startNS(t *testing.T, im impl, env []string, args ...string) *testutil.NS {
	t.Helper()
	return testutil.Start(t, testutil.Spec{Args: append([]string{im.path}, args...), Env: env})
}

var (
	pidInBrackets = regexp.MustCompile(`^\[(FATAL|WARN |INFO |DEBUG|TRACE) tini \(\d+\)\]`)
	sextonVersion = regexp.MustCompile(`(, sexton [^)]*\)| \(sexton [^)]*\))`)
)

// normalize makes two programs' output comparable: tini's PIDs become
// "PID", and the sexton version that the personalities add to the
// peers' version lines is taken out.
func normalize(text string) string {
	lines := strings.SplitAfter(text, "\n")
	for i, l := range lines {
		l = pidInBrackets.ReplaceAllString(l, "[$1 tini (PID)]")
		l = sextonVersion.ReplaceAllStringFunc(l, func(m string) string {
			if strings.HasPrefix(m, ",") {
				return ")"
			}
			return ""
		})
		lines[i] = l
	}
	return strings.Join(lines, "")
}

// firstLine returns the first line of text, without its newline.
func firstLine(text string) string {
	l, _, _ := strings.Cut(text, "\n")
	return l
}

// subsequence reports whether every line of want appears in got, in order
// (got may have more lines in between).
func subsequence(want, got string) bool {
	g := strings.Split(got, "\n")
	for _, w := range strings.Split(want, "\n") {
		for len(g) > 0 && g[0] != w {
			g = g[1:]
		}
		if len(g) == 0 {
			return false
		}
		g = g[1:]
	}
	return true
}

// recorder is a sigrecord child: the signals it gets are appended to file,
// those its process-group companion gets (when started with one) to group.
type recorder struct {
	dir         string
	file, group string
}

func newRecorder(t *testing.T) recorder {
	dir := t.TempDir()
	return recorder{dir: dir, file: filepath.Join(dir, "child"), group: filepath.Join(dir, "group")}
}

// cmd is the child command: a recorder with a companion in its group.
func (r recorder) cmd() []string { return testutil.Tool("sigrecord", r.file, r.group) }

// waitReady waits until the recorder (and its companion) listen.
func (r recorder) waitReady(t *testing.T, ns *testutil.NS) {
	t.Helper()
	testutil.Eventually(t, hangGuard, "the signal recorder to be ready", func() bool {
		select {
		case <-ns.Done():
			t.Fatalf("PID 1 exited before the child was ready; stderr:\n%s", ns.Stderr())
		default:
		}
		return testutil.ReadFile(r.file+".ready") != ""
	})
}

// child returns the signals the child recorded, after waiting for n.
func (r recorder) child(t *testing.T, n int) []string {
	t.Helper()
	return waitLines(t, r.file, n)
}

// waitLines waits until file has at least n lines and returns them.
func waitLines(t *testing.T, file string, n int) []string {
	t.Helper()
	testutil.Eventually(t, hangGuard, "signals in "+filepath.Base(file), func() bool {
		return len(testutil.Lines(testutil.ReadFile(file))) >= n
	})
	return testutil.Lines(testutil.ReadFile(file))
}

// groupGot returns what the companion recorded so far.
func (r recorder) groupGot() []string { return testutil.Lines(testutil.ReadFile(r.group)) }

// childOf returns the processes in the namespace whose parent is ppid
// (host PIDs).
func childOf(ns *testutil.NS, ppid int) []procfs.Stat {
	var out []procfs.Stat
	for _, p := range ns.Processes() {
		if p.PPID == ppid {
			out = append(out, p)
		}
	}
	return out
}

// stateOf returns the state letter of a host PID, or 0.
func stateOf(pid int) byte {
	st, err := procfs.ReadStat("/proc", pid)
	if err != nil {
		return 0
	}
	return st.State
}

// signal sends sig to a host PID.
func signal(t *testing.T, pid int, sig unix.Signal) {
	t.Helper()
	if err := unix.Kill(pid, sig); err != nil {
		t.Fatalf("kill %d %v: %v", pid, sig, err)
	}
}

// nonExecutable returns a regular file without execute permission.
func nonExecutable(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "plain-file")
	if err := os.WriteFile(p, []byte("not a program\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
