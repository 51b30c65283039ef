package doctor

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sexton-init/sexton/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }

// doctorCmd returns a command that runs `sexton doctor` inside ns, the way
// "docker exec" would: in its PID and mount namespaces (and cgroup, if set).
func doctorCmd(t *testing.T, ns *testutil.NS, cgroup string, args ...string) *exec.Cmd {
	t.Helper()
	join := `[ -z "$1" ] || echo $$ > "$1/cgroup.procs" || exit 100; shift; exec "$@"`
	argv := append([]string{"-t", strconv.Itoa(ns.PID), "-p", "-m", "--", "/bin/sh", "-c", join, "sh", cgroup,
		testutil.Sexton(t), "doctor"}, args...)
	return exec.Command("/usr/bin/nsenter", argv...)
}

// runDoctor runs the doctor inside ns and returns its exit status and output.
func runDoctor(t *testing.T, ns *testutil.NS, cgroup string, args ...string) (int, string, string) {
	t.Helper()
	cmd := doctorCmd(t, ns, cgroup, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String(), errb.String()
	case err != nil:
		t.Fatalf("running the doctor: %v", err)
	}
	return 0, out.String(), errb.String()
}

// doctorJSON runs the doctor with --json inside ns and decodes the report.
func doctorJSON(t *testing.T, ns *testutil.NS, cgroup string, args ...string) (int, *Report) {
	t.Helper()
	code, out, errs := runDoctor(t, ns, cgroup, append([]string{"--json"}, args...)...)
	var r Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("exit %d, %v; stdout:\n%s\nstderr:\n%s", code, err, out, errs)
	}
	if code != r.ExitCode {
		t.Errorf("exit status %d, report says %d", code, r.ExitCode)
	}
	return code, &r
}

func shellQuote(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

// A PID 1 that never waits ("exec sleep" after starting an orphan maker)
// and a second process that never waits for its own children: the doctor
// must say PID 1 does not reap, and name both parents.
func TestNamespaceNonReapingPID1(t *testing.T) {
	t.Parallel()
	orphans := shellQuote(testutil.Tool("orphans", "20"))
	leaker := `sh -c 'sleep 0 & sleep 0 & sleep 0 & exec sleep 1000'`
	ns := testutil.Start(t, testutil.Spec{Args: []string{"/bin/sh", "-c", orphans + " & " + leaker + " & exec sleep 1000"}})

	// 20 orphans and the orphan maker itself are PID 1's zombies, three
	// are the leaker's. Poll until they are older than --min-age.
	var r *Report
	var code int
	testutil.Eventually(t, 30*time.Second, "24 lingering zombies", func() bool {
		code, r = doctorJSON(t, ns, "", "--min-age", "1s")
		return r.Zombies.Lingering == 24
	})
	if code != 1 || r.Status != "problems" {
		t.Errorf("exit %d, status %q", code, r.Status)
	}
	p := r.PID1
	if p.Comm != "sleep" || strings.Join(p.Cmdline, " ") != "sleep 1000" || p.Reaps != "no" || p.LingeringZombieChildren != 21 {
		t.Errorf("PID 1: %+v", p)
	}
	if p.Signals["SIGTERM"] != Default {
		t.Errorf("PID 1 signals: %v", p.Signals)
	}
	if len(r.Zombies.ByParent) != 2 {
		t.Fatalf("by parent: %+v", r.Zombies.ByParent)
	}
	top, leak := r.Zombies.ByParent[0], r.Zombies.ByParent[1]
	if top.PID != 1 || top.Count != 21 || r.Zombies.TopParent.PID != 1 {
		t.Errorf("top parent: %+v", top)
	}
	if leak.PID == 1 || leak.Comm != "sleep" || leak.Count != 3 || strings.Join(leak.Cmdline, " ") != "sleep 1000" {
		t.Errorf("leaking parent: %+v", leak)
	}
	byComm := map[string]int{}
	for _, c := range r.Zombies.ByCommand {
		byComm[c.Comm] = c.Count
	}
	if byComm["sleep"] != 3 || byComm[filepath.Base(os.Args[0])[:min(15, len(filepath.Base(os.Args[0])))]] != 21 {
		t.Errorf("by command: %+v", r.Zombies.ByCommand)
	}
	// The host sees the same zombies.
	if n := len(ns.Zombies()); n != r.Zombies.Total {
		t.Errorf("host sees %d zombies, the doctor %d", n, r.Zombies.Total)
	}
	if c := codes(r); c["pid1-not-reaping"] != Problem || c["zombies"] != Problem || c["zombie-parent"] != Warning {
		t.Errorf("findings: %+v", r.Findings)
	}

	code, out, _ := runDoctor(t, ns, "", "--min-age", "1s")
	for _, want := range []string{
		"sexton doctor: PROBLEMS FOUND",
		"PID 1         sleep 1000\n  verdict     does not reap: 21 zombies older than 1s are its children",
		"\n       21  pid 1 (sleep 1000)",
		fmt.Sprintf("\n        3  pid %d (sleep 1000)", leak.PID),
		"most held by pid 1 (sleep): 21",
		fmt.Sprintf("pid %d (sleep 1000) holds 3 zombies older than 1s", leak.PID),
		`ENTRYPOINT ["sexton", "--", "your-program"]`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if code != 1 {
		t.Errorf("text report: exit %d", code)
	}
	// A threshold above the count makes the zombies alone no problem, but
	// the non-reaping PID 1 still is.
	if _, r := doctorJSON(t, ns, "", "--min-age", "1s", "--max-zombies", "100"); codes(r)["zombies"] != "" || r.ExitCode != 1 {
		t.Errorf("--max-zombies 100: %+v", r.Findings)
	}

	// --watch: one line per interval until SIGINT, then the last status.
	cmd := doctorCmd(t, ns, "", "--watch", "50ms", "--min-age", "1s")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	for i := 0; i < 2; i++ {
		if !sc.Scan() {
			t.Fatalf("watch ended early: %v", sc.Err())
		}
		if !strings.Contains(sc.Text(), " zombies=24 lingering=24 tasks=") || !strings.HasSuffix(sc.Text(), " PROBLEMS") {
			t.Errorf("watch line %q", sc.Text())
		}
	}
	// Signal the doctor itself, nsenter's child.
	kids := strings.Fields(testutil.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", cmd.Process.Pid, cmd.Process.Pid)))
	if len(kids) != 1 {
		t.Fatalf("nsenter's children: %q", kids)
	}
	pid, _ := strconv.Atoi(kids[0])
	syscall.Kill(pid, syscall.SIGINT)
	go func() {
		for sc.Scan() {
		}
	}()
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Errorf("watch exit: %v", err)
	}
}

// sexton as PID 1 reaps every orphan: the doctor calls it healthy.
func TestNamespaceSextonPID1(t *testing.T) {
	t.Parallel()
	sexton := testutil.Sexton(t)
	done := filepath.Join(t.TempDir(), "done")
	script := shellQuote(testutil.Tool("orphans", "50")) + " && touch " + done + " && exec sleep 1000"
	ns := testutil.Start(t, testutil.Spec{Args: []string{sexton, "--", "/bin/sh", "-c", script}})
	testutil.Eventually(t, 20*time.Second, "the orphans made", func() bool { return exists(done) || exited(ns) })
	testutil.Eventually(t, 20*time.Second, "no zombies", func() bool { return len(ns.Zombies()) == 0 })

	code, r := doctorJSON(t, ns, "")
	p := r.PID1
	if code != 0 || r.Status != "healthy" || p.Init != "sexton" || p.Kind != "init" || p.Reaps != "yes" {
		t.Errorf("exit %d, PID 1 %+v, findings %+v", code, p, r.Findings)
	}
	if p.Signals["SIGTERM"] != Caught || p.Signals["SIGINT"] != Caught {
		t.Errorf("signals %v", p.Signals)
	}
	for _, f := range r.Findings {
		if f.Severity != Info {
			t.Errorf("finding %+v", f)
		}
	}
	if len(r.Recommendations) != 0 {
		t.Errorf("recommendations %q", r.Recommendations)
	}
	code, out, _ := runDoctor(t, ns, "")
	if code != 0 || !strings.Contains(out, "sexton doctor: healthy") || !strings.Contains(out, "verdict     acts as an init: reaps orphans") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

// A shell as PID 1 reaps while it waits for a command, but has no SIGTERM
// handler: warnings, not problems (a probe must not restart it for that).
func TestNamespaceShellPID1(t *testing.T) {
	t.Parallel()
	done := filepath.Join(t.TempDir(), "done")
	script := shellQuote(testutil.Tool("orphans", "20")) + "; touch " + done + "; sleep 1000; true"
	ns := testutil.Start(t, testutil.Spec{Args: []string{"/bin/sh", "-c", script}})
	testutil.Eventually(t, 20*time.Second, "the orphans made", func() bool { return exists(done) || exited(ns) })
	testutil.Eventually(t, 20*time.Second, "no zombies", func() bool { return len(ns.Zombies()) == 0 })

	code, r := doctorJSON(t, ns, "")
	p := r.PID1
	if code != 0 || p.Kind != "shell" || p.Init != "sh" || p.Reaps != "yes" || p.Signals["SIGTERM"] != Default {
		t.Errorf("exit %d, PID 1 %+v", code, p)
	}
	if c := codes(r); c["pid1-shell"] != Warning || c["pid1-signals"] != Warning {
		t.Errorf("findings %+v", r.Findings)
	}
	if len(r.Recommendations) != 1 || !strings.Contains(r.Recommendations[0], `"sexton", "--", "/entrypoint.sh"`) {
		t.Errorf("recommendations %q", r.Recommendations)
	}
	_, out, _ := runDoctor(t, ns, "")
	if !strings.Contains(out, "SIGTERM: NO HANDLER (dropped for PID 1)") || !strings.Contains(out, "does not forward SIGTERM") {
		t.Errorf("report:\n%s", out)
	}
}

// A pids cgroup near its limit: the doctor, run in the container's cgroup
// as "docker exec" runs it, finds the cgroup from /proc/self/cgroup.
func TestNamespacePidsCgroupNearLimit(t *testing.T) {
	t.Parallel()
	testutil.RequireRoot(t)
	const limit = 80
	cg, err := os.MkdirTemp("/sys/fs/cgroup/pids", "sexton-doctor-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // after the namespace is gone (cleanups run last first)
		deadline := time.Now().Add(10 * time.Second)
		for os.Remove(cg) != nil && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if _, err := os.Stat(cg); err == nil {
			t.Errorf("cgroup %s left behind: %s", cg, testutil.ReadFile(cg+"/cgroup.procs"))
		}
	})
	if err := os.WriteFile(cg+"/pids.max", []byte(strconv.Itoa(limit)), 0); err != nil {
		t.Fatal(err)
	}
	sexton := testutil.Sexton(t)
	done := filepath.Join(t.TempDir(), "done")
	script := `i=0; while [ $i -lt 55 ]; do sleep 1000 & i=$((i+1)); done; touch ` + done + `; wait`
	ns := testutil.Start(t, testutil.Spec{Args: []string{sexton, "--", "/bin/sh", "-c", script}, Cgroup: cg})
	testutil.Eventually(t, 20*time.Second, "55 sleeps", func() bool { return exists(done) || exited(ns) })

	code, r := doctorJSON(t, ns, cg, "--min-headroom", "25")
	c := r.PIDs.Cgroup
	if c == nil || c.Version != 1 || c.Max != limit || c.Dir != cg || c.Current < 57 || c.Current >= limit {
		t.Fatalf("cgroup %+v", c)
	}
	if r.PIDs.LimitedBy != "cgroup" || r.PIDs.HeadroomPct >= 25 || codes(r)["pid-headroom"] != Problem || code != 1 {
		t.Errorf("exit %d, budget %+v, findings %+v", code, r.PIDs, r.Findings)
	}
	if r.PID1.Init != "sexton" || r.PID1.Reaps != "yes" {
		t.Errorf("PID 1 %+v", r.PID1)
	}
	// The same cgroup with a lower threshold is healthy.
	if code, r := doctorJSON(t, ns, cg, "--min-headroom", "5"); code != 0 {
		t.Errorf("--min-headroom 5: exit %d, findings %+v", code, r.Findings)
	}
	_, out, _ := runDoctor(t, ns, cg, "--min-headroom", "25")
	if !strings.Contains(out, fmt.Sprintf("cgroup      v1 %s: pids.current ", cg)) || !strings.Contains(out, fmt.Sprintf(" of pids.max %d", limit)) {
		t.Errorf("report:\n%s", out)
	}
}

func exited(ns *testutil.NS) bool {
	select {
	case <-ns.Done():
		return true
	default:
		return false
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
