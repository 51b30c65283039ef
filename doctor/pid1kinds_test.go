package doctor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/internal/testutil"
)

// These tests put the programs people run as PID 1 into a PID namespace,
// ask the doctor about them, and then send PID 1 the signal to see that
// the verdict was right: a SIGTERM the doctor calls handled must end PID 1,
// one it calls dropped must leave it running.

// need returns the path of program, or ends the test (failing under CI).
func need(t *testing.T, program, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(program)
	if err != nil {
		testutil.Unavailable(t, "%s not found (apt-get install -y %s): %v", program, pkg, err)
	}
	return p
}

// waitChild waits until PID 1 of ns has a child: then the init has set up
// its signal handling (tini, dumb-init, catatonit and sexton do so before
// they fork). A Go program forks from any of its threads, so every
// thread's list of children counts.
func waitChild(t *testing.T, ns *testutil.NS) {
	t.Helper()
	testutil.Eventually(t, 20*time.Second, "PID 1 has a child", func() bool {
		lists, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", ns.PID))
		for _, l := range lists {
			if strings.TrimSpace(testutil.ReadFile(l)) != "" {
				return true
			}
		}
		return exited(ns)
	})
}

// inNS runs argv inside ns's PID and mount namespaces, as docker exec does,
// and decodes its JSON report.
func inNS(t *testing.T, ns *testutil.NS, argv ...string) (int, *Report) {
	t.Helper()
	cmd := exec.Command("/usr/bin/nsenter", append([]string{"-t", strconv.Itoa(ns.PID), "-p", "-m", "--"}, argv...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%q: %v", argv, err)
	}
	var r Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%q: exit %d, %v; stdout:\n%s\nstderr:\n%s", argv, code, err, out.String(), errb.String())
	}
	return code, &r
}

// stillRunning reports whether PID 1 of ns is alive a second after a
// signal: the kernel drops an unhandled signal when it is sent, so a
// delivery that should not happen has that long to show itself.
func stillRunning(ns *testutil.NS) bool {
	select {
	case <-ns.Done():
		return false
	case <-time.After(time.Second):
		return true
	}
}

// tini and dumb-init block SIGTERM and take it with sigtimedwait, which
// unblocks it while they wait; catatonit blocks it and reads a signalfd.
// All three handle it: the doctor must say so, and must not warn that
// docker stop will time out.
func TestNamespaceInitsTakeSIGTERM(t *testing.T) {
	for _, c := range []struct {
		name, pkg string
		args      []string
		want      []string // dispositions of SIGTERM that are right
	}{
		// Between two waits (tini wakes every second) the set is blocked.
		{"tini", "tini", []string{"--", "sleep", "1000"}, []string{Waited, Blocked}},
		{"dumb-init", "dumb-init", []string{"sleep", "1000"}, []string{Waited, Caught}},
		{"catatonit", "catatonit", []string{"--", "sleep", "1000"}, []string{Blocked}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			init := need(t, c.name, c.pkg)
			ns := testutil.Start(t, testutil.Spec{Args: append([]string{init}, c.args...)})
			waitChild(t, ns)
			code, r := inNS(t, ns, testutil.Sexton(t), "doctor", "--json")
			p := r.PID1
			got := p.Signals["SIGTERM"]
			ok := false
			for _, w := range c.want {
				ok = ok || got == w
			}
			if !ok {
				t.Errorf("SIGTERM %q, want one of %q (signal wait %q)", got, c.want, p.SignalWait)
			}
			if _, warned := codes(r)["pid1-signals"]; warned || code != 0 || p.Init != c.name || p.Kind != "init" || p.IdentifiedBy != ByName {
				t.Errorf("exit %d, PID 1 %+v, findings %+v", code, p, r.Findings)
			}
			ns.Signal(unix.SIGTERM)
			if got := ns.Wait(20 * time.Second); got != 128+15 {
				t.Errorf("%s exited %d on SIGTERM, want 143 (the child's death by SIGTERM)", c.name, got)
			}
		})
	}
}

// Node installs a handler for SIGTERM and SIGINT that restores the terminal
// and re-raises the signal with the default action: for PID 1 the kernel
// drops it, and node runs on. A shell as PID 1 has no handler at all.
func TestNamespaceSIGTERMDroppedByPID1(t *testing.T) {
	for _, c := range []struct {
		name string
		args func(t *testing.T) []string
		want string
		text string
	}{
		{"node", func(t *testing.T) []string {
			return []string{need(t, "node", "nodejs"), "-e", `console.log("ready"); setInterval(() => {}, 1000)`}
		}, Reraised, "SIGTERM: HANDLER RE-RAISES IT (dropped for PID 1)"},
		{"sh", func(*testing.T) []string {
			return []string{"/bin/sh", "-c", "echo ready; sleep 1000; true"}
		}, Default, "SIGTERM: NO HANDLER (dropped for PID 1)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ns := testutil.Start(t, testutil.Spec{Args: c.args(t)})
			testutil.Eventually(t, 20*time.Second, "PID 1 ready", func() bool { return strings.Contains(ns.Stdout(), "ready") || exited(ns) })
			code, r := inNS(t, ns, testutil.Sexton(t), "doctor", "--json")
			if got := r.PID1.Signals["SIGTERM"]; got != c.want || codes(r)["pid1-signals"] != Warning || code != 0 {
				t.Errorf("exit %d, SIGTERM %q (want %q), findings %+v", code, got, c.want, r.Findings)
			}
			_, out, _ := runDoctor(t, ns, "")
			if !strings.Contains(out, c.text) || !strings.Contains(out, `"docker stop" waits for its timeout`) {
				t.Errorf("report lacks %q and the docker stop warning:\n%s", c.text, out)
			}
			ns.Signal(unix.SIGTERM)
			if !stillRunning(ns) {
				t.Fatalf("%s as PID 1 ended on SIGTERM (%d): the doctor's verdict is wrong", c.name, ns.Wait(time.Second))
			}
		})
	}
}

// 100 orphans under sleep as PID 1, all younger than --min-age: the doctor
// looks again, finds them all still there, and calls PID 1 non-reaping.
func TestNamespaceYoungZombiesUnderSleep(t *testing.T) {
	t.Parallel()
	orphans := shellQuote(testutil.Tool("orphans", "100"))
	ns := testutil.Start(t, testutil.Spec{Args: []string{"/bin/sh", "-c", orphans + " & exec sleep 1000"}})
	// 100 orphans and the orphan maker.
	testutil.Eventually(t, 20*time.Second, "101 zombies", func() bool { return len(ns.Zombies()) == 101 })
	code, r := doctorJSON(t, ns, "", "--min-age", "1h")
	p := r.PID1
	if code != 1 || p.Reaps != "no" || p.LingeringZombieChildren != 0 || p.PersistingZombieChildren != 101 || p.RecheckSeconds != 1 {
		t.Errorf("exit %d, PID 1 %+v", code, p)
	}
	if !strings.Contains(p.Verdict, "101 of its 101 zombie children (all younger than 1h0m0s) were still zombies when the doctor looked again 1s later") {
		t.Errorf("verdict %q", p.Verdict)
	}
}

// sexton is recognised by its binary under the names the engines give it;
// a tini installed under the same name is still Docker's tini.
func TestNamespaceSextonByBinary(t *testing.T) {
	sexton := testutil.Sexton(t)
	tini := need(t, "tini", "tini")
	for _, c := range []struct {
		name, binary string
		args         []string
		want         string // Init
		by           string
		about        string
	}{
		{"docker-init", sexton, []string{"--", "sleep", "1000"}, "sexton", ByBinary, "(tini's command line)"},
		{"podman-init", sexton, []string{"--", "sleep", "1000"}, "sexton", ByBinary, "stops leftovers gracefully"},
		{"dumb-init", sexton, []string{"sleep", "1000"}, "sexton", ByBinary, "(dumb-init's command line)"},
		// Control: the name alone decides for another program.
		{"docker-init", tini, []string{"--", "sleep", "1000"}, "docker-init", ByName, "Docker's tini"},
	} {
		t.Run(c.name+"-"+filepath.Base(c.binary), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			b, err := os.ReadFile(c.binary)
			if err != nil {
				t.Fatal(err)
			}
			init := filepath.Join(dir, c.name)
			if err := os.WriteFile(init, b, 0o755); err != nil {
				t.Fatal(err)
			}
			ns := testutil.Start(t, testutil.Spec{Args: append([]string{init}, c.args...)})
			waitChild(t, ns)
			// The doctor is another copy of sexton, as when an image holds
			// sexton and the engine mounts its own init.
			code, r := inNS(t, ns, sexton, "doctor", "--json")
			p := r.PID1
			if code != 0 || p.Init != c.want || p.IdentifiedBy != c.by || !strings.Contains(p.About, c.about) || !strings.Contains(p.Verdict, "acts as an init") {
				t.Errorf("exit %d, PID 1 %+v", code, p)
			}
		})
	}
}

// Pause mode is described as what it is: it reaps, and does nothing else.
func TestNamespacePauseVerdict(t *testing.T) {
	t.Parallel()
	bin := testutil.Sexton(t)
	ns := testutil.Start(t, testutil.Spec{Args: []string{bin, "--pause"}})
	// The doctor judges pause mode from the binary and the command line;
	// no signal is sent, so PID 1 having become sexton is enough. (Its
	// command line says --pause before that: the shim that execs sexton
	// carries the same arguments.)
	exe := fmt.Sprintf("/proc/%d/exe", ns.PID)
	testutil.Eventually(t, 20*time.Second, "PID 1 is sexton --pause", func() bool {
		got, _ := os.Readlink(exe)
		return got == bin || exited(ns)
	})
	code, r := doctorJSON(t, ns, "")
	p := r.PID1
	if code != 0 || p.Mode != "pause" || p.Init != "sexton" || p.Reaps != "yes" ||
		!strings.HasPrefix(p.Verdict, "sexton --pause, pause mode") || !strings.Contains(p.Verdict, "forwards no signal and stops no leftover") {
		t.Errorf("exit %d, PID 1 %+v", code, p)
	}
	if strings.Contains(p.Verdict, "forwards signals") {
		t.Errorf("verdict %q says pause mode forwards signals", p.Verdict)
	}
}
