package doctor

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sexton-init/sexton/procfs"
)

// testdata/nonreaping was captured from a real PID namespace (unshare --pid
// --fork --mount-proc) whose PID 1 became "sleep 1000" by exec, after:
//   - pid 2, a subshell, exited: zombie of PID 1 (comm sh);
//   - pids 6-8, "sleep 0" orphaned by that subshell: zombies of PID 1;
//   - pid 3, "sh -c 'true & true & exec sleep 1000'": holds zombies 5, 9;
//   - pid 4, a copy of sleep named "x) (y z", running.
//
// Pid 10 (the shell that did the capture) is an empty directory, as a
// process that vanishes between the listing and the read; pid 11 has a
// truncated stat. The cgroup root is made up: limit 50, 10 in use.
const nonreaping = "testdata/nonreaping"

func testInspector(root string) *Inspector {
	return &Inspector{
		ProcRoot:    filepath.Join(root, "proc"),
		CgroupRoot:  filepath.Join(root, "cgroup"),
		MinAge:      DefaultMinAge,
		MaxZombies:  DefaultMaxZombies,
		MinHeadroom: DefaultMinHeadroom,
	}
}

func codes(r *Report) map[string]string {
	m := map[string]string{}
	for _, f := range r.Findings {
		m[f.Code] = f.Severity
	}
	return m
}

func TestInspectNonReaping(t *testing.T) {
	r, err := testInspector(nonreaping).Inspect()
	if err != nil {
		t.Fatal(err)
	}
	p := r.PID1
	if p.Comm != "sleep" || !reflect.DeepEqual(p.Cmdline, []string{"sleep", "1000"}) || p.Kind != "other" || p.Reaps != "no" {
		t.Errorf("pid1: %+v", p)
	}
	if p.ZombieChildren != 4 || p.LingeringZombieChildren != 4 || !strings.Contains(p.Verdict, "does not reap") {
		t.Errorf("pid1 zombies: %+v", p)
	}
	if !reflect.DeepEqual(p.Signals, map[string]string{"SIGTERM": Default, "SIGINT": Ignored}) {
		t.Errorf("signals: %v", p.Signals)
	}
	z := r.Zombies
	if z.Total != 6 || z.Lingering != 6 || z.OldestSeconds < 9 || z.OldestSeconds > 10 {
		t.Errorf("zombies: %+v", z)
	}
	wantParents := []ParentGroup{
		{PID: 1, Comm: "sleep", Cmdline: []string{"sleep", "1000"}, Count: 4, Lingering: 4},
		{PID: 3, Comm: "sleep", Cmdline: []string{"sleep", "1000"}, Count: 2, Lingering: 2},
	}
	for i := range z.ByParent {
		z.ByParent[i].OldestSeconds = 0
	}
	if !reflect.DeepEqual(z.ByParent, wantParents) {
		t.Errorf("by parent: %+v", z.ByParent)
	}
	if z.TopParent == nil || z.TopParent.PID != 1 {
		t.Errorf("top parent: %+v", z.TopParent)
	}
	if len(z.ByCommand) != 2 || z.ByCommand[0].Comm != "sh" || z.ByCommand[0].Count != 3 || z.ByCommand[1].Comm != "sleep" {
		t.Errorf("by command: %+v", z.ByCommand)
	}
	b := r.PIDs
	// Pids 1-9; 10 vanished and 11 is unparsable.
	if b.Processes != 9 || b.Tasks != 9 || b.PidMax != 4194304 || b.ThreadsMax != 192731 {
		t.Errorf("budget: %+v", b)
	}
	if b.Cgroup == nil || b.Cgroup.Version != 1 || b.Cgroup.Max != 50 || b.Cgroup.Current != 10 || b.LimitedBy != "cgroup" || b.HeadroomPct != 80 {
		t.Errorf("cgroup: %+v %+v", b.Cgroup, b)
	}
	want := map[string]string{"pid1-not-reaping": Problem, "zombies": Problem, "pid1-signals": Warning, "zombie-parent": Warning}
	if got := codes(r); !reflect.DeepEqual(got, want) {
		t.Errorf("findings: %v", r.Findings)
	}
	if r.ExitCode != 1 || r.Status != "problems" {
		t.Errorf("status %q %d", r.Status, r.ExitCode)
	}
	if len(r.Recommendations) != 4 || !strings.Contains(r.Recommendations[0], `"sexton", "--"`) ||
		!strings.Contains(r.Recommendations[1], "sexton -s --") || !strings.Contains(r.Recommendations[2], "sexton --pause") ||
		!strings.Contains(r.Recommendations[3], "pid 3 (sleep)") {
		t.Errorf("recommendations: %q", r.Recommendations)
	}
}

// Zombies of PID 1 younger than the minimum age are no evidence by their
// age: the doctor looks again after Recheck. Those still there (same PID,
// same start time) prove that PID 1 does not reap; when they are gone, an
// unknown PID 1 is only a warning and the exit status is 0.
func TestInspectYoungZombiesLookAgain(t *testing.T) {
	t.Run("still-there", func(t *testing.T) {
		in := testInspector(nonreaping)
		in.MinAge = time.Minute
		in.Recheck = 2 * time.Second
		var slept time.Duration
		in.sleep = func(d time.Duration) { slept += d }
		r, err := in.Inspect()
		if err != nil {
			t.Fatal(err)
		}
		p := r.PID1
		if slept != 2*time.Second || p.RecheckSeconds != 2 || p.PersistingZombieChildren != 4 || p.Reaps != "no" || r.ExitCode != 1 {
			t.Errorf("slept %v, PID 1 %+v, exit %d", slept, p, r.ExitCode)
		}
		if want := "does not reap: 4 of its 4 zombie children (all younger than 1m0s) were still zombies when the doctor looked again 2s later"; p.Verdict != want {
			t.Errorf("verdict %q, want %q", p.Verdict, want)
		}
		if codes(r)["pid1-not-reaping"] != Problem || r.Thresholds.RecheckSeconds != 2 {
			t.Errorf("findings %v, thresholds %+v", r.Findings, r.Thresholds)
		}
	})
	t.Run("reaped-meanwhile", func(t *testing.T) {
		root := copyTree(t, nonreaping)
		in := testInspector(root)
		in.MinAge = time.Minute
		in.Recheck = time.Second
		// PID 1 reaps 2 and 6-8 during the pause; 7 is reused at once
		// by a new process (another start time): not the same zombie.
		in.sleep = func(time.Duration) {
			for _, pid := range []string{"2", "6", "8"} {
				os.RemoveAll(filepath.Join(root, "proc", pid))
			}
			f := filepath.Join(root, "proc/7/stat")
			b, _ := os.ReadFile(f)
			fields := strings.Fields(string(b))
			fields[21] = "999999"
			os.WriteFile(f, []byte(strings.Join(fields, " ")), 0o644)
		}
		r, err := in.Inspect()
		if err != nil {
			t.Fatal(err)
		}
		p := r.PID1
		if p.PersistingZombieChildren != 0 || p.Reaps != "unknown" || r.ExitCode != 0 || !strings.Contains(p.Verdict, "reaped within 1s") {
			t.Errorf("PID 1 %+v, exit %d", p, r.ExitCode)
		}
		want := map[string]string{"pid1-not-init": Warning, "pid1-signals": Warning}
		if got := codes(r); !reflect.DeepEqual(got, want) {
			t.Errorf("findings: %v", r.Findings)
		}
	})
	t.Run("no-second-look", func(t *testing.T) {
		in := testInspector(nonreaping)
		in.MinAge = time.Minute
		in.sleep = func(time.Duration) { t.Error("slept with Recheck 0") }
		r, _ := in.Inspect()
		if r.PID1.RecheckSeconds != 0 || r.PID1.Reaps != "unknown" {
			t.Errorf("PID 1 %+v", r.PID1)
		}
	})
	t.Run("lingering-needs-none", func(t *testing.T) {
		in := testInspector(nonreaping)
		in.Recheck = time.Second
		in.sleep = func(time.Duration) { t.Error("slept although the zombies already prove it") }
		if r, _ := in.Inspect(); r.PID1.Reaps != "no" {
			t.Errorf("PID 1 %+v", r.PID1)
		}
	})
}

func TestMaxZombies(t *testing.T) {
	in := testInspector(nonreaping)
	in.MaxZombies = 6
	r, _ := in.Inspect()
	if _, ok := codes(r)["zombies"]; ok {
		t.Errorf("6 zombies of 6 allowed reported: %v", r.Findings)
	}
	in.MaxZombies = 5
	r, _ = in.Inspect()
	if codes(r)["zombies"] != Problem {
		t.Errorf("6 zombies of 5 allowed not reported: %v", r.Findings)
	}
}

// copyTree copies a testdata tree so that a test may change it.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if fi.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestHeadroom(t *testing.T) {
	root := copyTree(t, nonreaping)
	cg := filepath.Join(root, "cgroup/pids/docker/0123abcd")
	os.WriteFile(cg+"/pids.current", []byte("48\n"), 0o644)
	in := testInspector(root)
	r, _ := in.Inspect()
	if r.PIDs.HeadroomPct != 4 || codes(r)["pid-headroom"] != Problem {
		t.Errorf("headroom %v, findings %v", r.PIDs.HeadroomPct, r.Findings)
	}
	in.MinHeadroom = 3
	if r, _ = in.Inspect(); codes(r)["pid-headroom"] != "" {
		t.Errorf("headroom 4%% reported against 3%%: %v", r.Findings)
	}
	// An ancestor's tighter limit counts.
	os.WriteFile(cg+"/pids.current", []byte("10\n"), 0o644)
	os.WriteFile(cg+"/pids.max", []byte("max\n"), 0o644)
	os.WriteFile(filepath.Join(root, "cgroup/pids/docker/pids.max"), []byte("20\n"), 0o644)
	os.WriteFile(filepath.Join(root, "cgroup/pids/docker/pids.current"), []byte("19\n"), 0o644)
	r, _ = testInspector(root).Inspect()
	if c := r.PIDs.Cgroup; c.Max != 20 || c.Current != 19 || c.LimitDir != filepath.Join(root, "cgroup/pids/docker") || r.PIDs.HeadroomPct != 5 {
		t.Errorf("ancestor limit: %+v %+v", c, r.PIDs)
	}
	// No pids cgroup at all: the kernel limits decide, and a note says so.
	os.RemoveAll(filepath.Join(root, "cgroup"))
	r, err := testInspector(root).Inspect()
	if err != nil || r.PIDs.Cgroup != nil || r.PIDs.LimitedBy != "threads-max" || codes(r)["no-pids-cgroup"] != Info {
		t.Errorf("no cgroup: %+v %v %v", r.PIDs, r.Findings, err)
	}
}

func TestInspectErrors(t *testing.T) {
	if _, err := testInspector(t.TempDir()).Inspect(); err == nil {
		t.Error("no error without a proc file system")
	}
	root := copyTree(t, nonreaping)
	os.RemoveAll(filepath.Join(root, "proc/1"))
	_, err := testInspector(root).Inspect()
	if _, ok := err.(*InspectError); !ok || !strings.Contains(err.Error(), "no PID 1") {
		t.Errorf("without PID 1: %v", err)
	}
}

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		comm       string
		argv       []string
		name, kind string
	}{
		{"sexton", []string{"/usr/bin/sexton", "--", "app"}, "sexton", "init"},
		{"tini", []string{"/tini", "--", "app"}, "tini", "init"},
		{"docker-init", []string{"/sbin/docker-init", "--", "app"}, "docker-init", "init"},
		{"catatonit", []string{"/run/podman-init", "--", "app"}, "catatonit", "init"},
		{"podman-init", []string{"/run/podman-init", "--", "app"}, "podman-init", "init"},
		{"dumb-init", nil, "dumb-init", "init"},
		{"catatonit", []string{"/catatonit", "-P"}, "catatonit", "init"},
		{"pause", []string{"/pause"}, "pause", "init"},
		{"s6-svscan", []string{"s6-svscan", "-t0", "/var/run/s6/services"}, "s6-svscan", "init"},
		{"systemd", []string{"/sbin/init"}, "systemd", "init"},
		{"bash", []string{"/bin/bash", "/entrypoint.sh"}, "bash", "shell"},
		{"sh", []string{"/bin/sh", "-c", "x"}, "sh", "shell"},
		{"busybox", []string{"/bin/busybox", "sh"}, "sh", "shell"},
		{"-bash", nil, "bash", "shell"},
		{"node", []string{"node", "server.js"}, "", "other"},
		{"x) (y z", []string{"/tmp/x) (y z"}, "", "other"},
	} {
		name, kind, _ := classify(c.comm, c.argv)
		if name != c.name || kind != c.kind {
			t.Errorf("classify(%q, %q) = %q, %q; want %q, %q", c.comm, c.argv, name, kind, c.name, c.kind)
		}
	}
}

func TestDisposition(t *testing.T) {
	const term = 1 << 14
	waiting := sigWait{call: callSigtimedwait, set: term, known: true}
	unread := sigWait{call: callSigtimedwait}
	for _, c := range []struct {
		st   procfs.Status
		wait sigWait
		want string
	}{
		{procfs.Status{SigCgt: term}, sigWait{}, Caught},
		{procfs.Status{SigBlk: term}, sigWait{}, Blocked}, // catatonit (signalfd); tini between two waits
		{procfs.Status{SigIgn: term, SigBlk: term}, sigWait{}, Ignored},
		{procfs.Status{SigCgt: 1 << 1}, sigWait{}, Default},
		// tini in sigtimedwait: the kernel unblocks the set meanwhile.
		{procfs.Status{}, waiting, Waited},
		{procfs.Status{SigCgt: term}, waiting, Waited}, // dumb-init: dummy handlers and sigtimedwait
		{procfs.Status{}, sigWait{call: callSigtimedwait, set: 1 << 1, known: true}, Default},
		{procfs.Status{}, unread, Unknown},
		{procfs.Status{SigBlk: term}, unread, Blocked},
		{procfs.Status{SigIgn: term}, waiting, Ignored},
	} {
		if got := disposition(c.st, c.wait, 15); got != c.want {
			t.Errorf("disposition(%+v, %+v) = %q, want %q", c.st, c.wait, got, c.want)
		}
	}
}

func runMain(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestMainText(t *testing.T) {
	code, out, errs := runMain("--proc", nonreaping+"/proc", "--cgroup-root", nonreaping+"/cgroup")
	if code != 1 || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	for _, want := range []string{
		"sexton doctor: PROBLEMS FOUND",
		"PID 1         sleep 1000",
		"verdict     does not reap: 4 zombies older than 5s are its children",
		"SIGTERM: NO HANDLER (dropped for PID 1), SIGINT: IGNORED",
		"Zombies       6 (6 older than 5s",
		"        4  pid 1 (sleep 1000)",
		"        2  pid 3 (sleep 1000)",
		"most held by pid 1 (sleep): 4",
		"pids.current 10 of pids.max 50",
		"headroom    80.0% (cgroup",
		"Recommendations",
		"Zombie ages are process ages",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func TestMainJSON(t *testing.T) {
	code, out, _ := runMain("--json", "--max-zombies=6", "--proc", nonreaping+"/proc", "--cgroup-root", nonreaping+"/cgroup")
	var r Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if code != 1 || r.ExitCode != 1 || r.Thresholds.MaxZombies != 6 || r.PID1.Reaps != "no" || r.Zombies.TopParent.PID != 1 {
		t.Errorf("exit %d, report %+v", code, r)
	}
	// The field names are the interface for machines.
	var raw map[string]any
	json.Unmarshal([]byte(out), &raw)
	for _, k := range []string{"status", "exit_code", "pid1", "zombies", "pids", "findings", "recommendations", "thresholds"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
}

func TestMainUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--max-zombies", "x"}, `invalid value "x" for flag --max-zombies: want a number of zombies`},
		{[]string{"--max-zombies=-1"}, "--max-zombies"},
		{[]string{"--min-headroom", "120"}, "want a percentage from 0 to 100"},
		{[]string{"--min-age", "soon"}, "--min-age"},
		{[]string{"--watch", "0s"}, "want a positive duration"},
		{[]string{"--watch"}, "flag needs an argument: --watch"},
		{[]string{"--frobnicate"}, "flag provided but not defined: --frobnicate"},
		{[]string{"now"}, `unexpected argument "now"`},
	} {
		code, out, errs := runMain(c.args...)
		if code != 2 || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, c.want) || !strings.HasPrefix(errs, "sexton doctor: ") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", c.args, code, out, errs)
		}
	}
	for _, h := range []string{"-h", "--help"} {
		if code, out, _ := runMain(h); code != 0 || !strings.Contains(out, "Usage: sexton doctor") {
			t.Errorf("%s: exit %d", h, code)
		}
	}
	if code, _, errs := runMain("--proc", t.TempDir()); code != 2 || !strings.Contains(errs, "cannot inspect") {
		t.Errorf("empty proc: exit %d, %q", code, errs)
	}
}

func TestWatch(t *testing.T) {
	in := testInspector(nonreaping)
	stop := make(chan os.Signal, 1)
	stop <- os.Interrupt // stop after the first sample
	var out, errb bytes.Buffer
	if code := watch(in, time.Hour, false, &out, &errb, stop); code != 1 {
		t.Errorf("exit %d", code)
	}
	if !strings.HasSuffix(out.String(), " zombies=6 lingering=6 tasks=9 headroom=80.0% PROBLEMS\n") || strings.Count(out.String(), "\n") != 1 {
		t.Errorf("line %q", out.String())
	}
	out.Reset()
	stop <- os.Interrupt
	watch(in, time.Hour, true, &out, &errb, stop)
	var s WatchSample
	if err := json.Unmarshal(out.Bytes(), &s); err != nil || s.Zombies != 6 || s.Tasks != 9 || s.ExitCode != 1 {
		t.Errorf("json %q: %v", out.String(), err)
	}
	// An unreadable namespace is a line too, and the status 2.
	out.Reset()
	stop <- os.Interrupt
	if code := watch(testInspector(t.TempDir()), time.Hour, false, &out, &errb, stop); code != 2 || !strings.Contains(out.String(), "error: cannot inspect") {
		t.Errorf("exit %d, %q", code, out.String())
	}
}

// Notes for a PID 1 in another cgroup, zombies whose parent is outside the
// namespace or gone, and the doctor itself as PID 1.
func TestInspectEdges(t *testing.T) {
	root := copyTree(t, nonreaping)
	os.WriteFile(filepath.Join(root, "proc/1/cgroup"), []byte("12:pids:/kubepods/pod1/sandbox\n"), 0o644)
	// Zombie 6 is a thread group leader that exited while 3 threads run:
	// alive, no zombie.
	f6 := filepath.Join(root, "proc/6/stat")
	b6, _ := os.ReadFile(f6)
	os.WriteFile(f6, []byte(strings.Replace(string(b6), " 20 0 1 0 ", " 20 0 3 0 ", 1)), 0o644)
	// Zombie 7's parent is outside the namespace, zombie 8's has vanished.
	for pid, ppid := range map[string]string{"7": "0", "8": "77"} {
		f := filepath.Join(root, "proc", pid, "stat")
		b, _ := os.ReadFile(f)
		os.WriteFile(f, []byte(strings.Replace(string(b), ") Z 1 ", ") Z "+ppid+" ", 1)), 0o644)
	}
	in := testInspector(root)
	r, err := in.Inspect()
	if err != nil {
		t.Fatal(err)
	}
	if c := r.PIDs.Cgroup; c.PID1Path != "/kubepods/pod1/sandbox" || codes(r)["cgroup-differs"] != Info {
		t.Errorf("cgroup %+v, findings %v", c, r.Findings)
	}
	comms := map[int]string{}
	for _, pg := range r.Zombies.ByParent {
		comms[pg.PID] = pg.Comm
	}
	if comms[0] != outside || comms[77] != "?" || r.PID1.ZombieChildren != 1 || r.Zombies.Total != 5 || r.PIDs.Tasks != 11 {
		t.Errorf("parents %v, pid 1 %+v", comms, r.PID1)
	}
	var buf bytes.Buffer
	WriteText(&buf, r)
	if !strings.Contains(buf.String(), "1 zombie older than 5s with a parent outside this PID namespace") ||
		!strings.Contains(buf.String(), "pid 77 (?) holds 1 zombie") {
		t.Errorf("report:\n%s", buf.String())
	}

	in.Self = 1
	r, _ = in.Inspect()
	if !r.PID1.Self || r.PID1.Reaps != "unknown" || codes(r)["pid1-not-reaping"] != "" || codes(r)["pid1-signals"] != "" {
		t.Errorf("doctor as PID 1: %+v %v", r.PID1, r.Findings)
	}
}
