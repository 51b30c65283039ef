package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sexton-init/sexton/internal/testutil"
	"github.com/sexton-init/sexton/procfs"
)

// Tests of the processes left after the main child exits, mostly with
// sexton as a child subreaper (-s), where it must find its own descendants
// in /proc and prove them so before it signals them.

// writeScript writes text to dir/name and returns its path.
func writeScript(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// startUnderShell runs, as PID 1 of a new namespace with its own /proc (in
// cgroup cg if set), a shell that runs prelude, then sexton -s with opts
// and "sh main" as its command, writes sexton's exit code to dir/code and
// stays, so that what sexton leaves behind is the shell's. wrap, if given,
// runs sexton.
func startUnderShell(t *testing.T, dir, cg, prelude string, wrap, opts []string, main string) *testutil.NS {
	t.Helper()
	inv := cmdline(wrap, sexton(t, append([]string{"-s"}, opts...)...), []string{"--", "sh", writeScript(t, dir, "main.sh", main)})
	script := prelude + "\n" + strings.Join(inv, " ") + "\necho $? > " + dir + "/code\nexec sleep 1000\n"
	return testutil.Start(t, testutil.Spec{Cgroup: cg, Args: []string{"sh", writeScript(t, dir, "pid1.sh", script)}})
}

// waitCode waits for the exit code startUnderShell's shell writes.
func waitCode(t *testing.T, ns *testutil.NS, dir string) int {
	t.Helper()
	file := filepath.Join(dir, "code")
	testutil.Eventually(t, limit, "sexton to exit", func() bool { return strings.HasSuffix(testutil.ReadFile(file), "\n") })
	code, err := strconv.Atoi(strings.TrimSpace(testutil.ReadFile(file)))
	if err != nil {
		t.Fatalf("exit code file: %v; stderr:\n%s", err, ns.Stderr())
	}
	return code
}

// othersThan lists the processes of the namespace besides PID 1.
func othersThan(ns *testutil.NS) []procfs.Stat {
	var out []procfs.Stat
	for _, p := range ns.Processes() {
		if p.PID != ns.PID {
			out = append(out, p)
		}
	}
	return out
}

// recorderScript is a leftover that appends TERM to file on SIGTERM and
// keeps running; file.ready appears once its trap is set.
func recorderScript(file string) string {
	return `(trap 'echo TERM >> ` + file + `' TERM; touch ` + file + `.ready; while :; do sleep 0.05; done)`
}

const noStrangerWarning = "cannot find the processes left by the main child, so none were stopped: "

// A /proc that is not the PID namespace's own (here the parent
// namespace's, as when a container sees the host's /proc) lists PIDs of
// another namespace. Read as sexton's own, its descendants there are other
// processes here: the bystander, a process of sexton's namespace whose PID
// is that of a "descendant" in the foreign /proc, must get no signal.
//
// Namespace A (own /proc) holds P, with PID 100 in A and children 500-509.
// Namespace B, made inside A without remounting /proc, runs sexton -s as
// PID 100 of B and the bystander with a PID in 500-509 of B: in A's /proc,
// sexton's PID is P's and the bystander's is one of P's children's.
func TestSubreaperSignalsNoStrangerThroughAForeignProc(t *testing.T) {
	dir := t.TempDir()
	lastPID := "/proc/sys/kernel/ns_last_pid" // the next PID in the writer's own namespace
	p := writeScript(t, dir, "p.sh", `echo 499 > `+lastPID+`
for i in 0 1 2 3 4 5 6 7 8 9; do sleep 1000 & done
touch `+dir+`/p.ready
wait`)
	by := filepath.Join(dir, "bystander")
	bystander := writeScript(t, dir, "bystander.sh", `trap 'echo TERM >> `+by+`' TERM; touch `+by+`.ready; while :; do sleep 0.05; done`)
	main := writeScript(t, dir, "main.sh", `echo $$ > `+dir+`/main.pid
while [ ! -e `+dir+`/setup ]; do sleep 0.01; done
exit 3`)
	b := writeScript(t, dir, "b.sh", `echo 99 > `+lastPID+`
`+strings.Join(sexton(t, "-s", "--grace", "5s", "--", "sh", main), " ")+` &
s=$!
while [ ! -e `+dir+`/main.pid ]; do sleep 0.01; done
echo 499 > `+lastPID+`
sh `+bystander+` &
b=$!
while [ ! -e `+by+`.ready ]; do sleep 0.01; done
# Who these PIDs are in the foreign /proc (A's); then the main child exits.
echo "$s $b $(cut -d' ' -f4 /proc/$b/stat)" > `+dir+`/setup.tmp
mv `+dir+`/setup.tmp `+dir+`/setup
wait $s
echo $? > `+dir+`/code`)
	// A's PID 1 waits for P without forking, so that P's children get
	// PIDs 500-509 in A.
	a := writeScript(t, dir, "a.sh", `echo 99 > `+lastPID+`
setsid sh `+p+` &
while [ ! -e `+dir+`/p.ready ]; do :; done
unshare -p -f sh `+b+`
exec sleep 1000`)
	ns := testutil.Start(t, testutil.Spec{Args: []string{"sh", a}})
	code := waitCode(t, ns, dir)
	var sextonPID, byPID, byPPIDInA int
	if _, err := fmt.Sscan(testutil.ReadFile(dir+"/setup"), &sextonPID, &byPID, &byPPIDInA); err != nil ||
		sextonPID != 100 || byPID < 500 || byPID > 509 || byPPIDInA != 100 {
		t.Fatalf("set-up failed: sexton, bystander, and the bystander's PID's parent in /proc: %q (%v); stderr:\n%s",
			testutil.ReadFile(dir+"/setup"), err, ns.Stderr())
	}
	if got := testutil.ReadFile(by); got != "" {
		t.Fatalf("the bystander (PID %d) was signalled: %q; stderr:\n%s", byPID, got, ns.Stderr())
	}
	if code != 3 {
		t.Fatalf("exit code %d, want the main child's 3; stderr:\n%s", code, ns.Stderr())
	}
	want := noStrangerWarning + "/proc belongs to another PID namespace"
	if n := strings.Count(ns.Stderr(), want); n != 1 {
		t.Fatalf("%d warnings %q, want 1; stderr:\n%s", n, want, ns.Stderr())
	}
}

// Without pidfds (Linux before 5.3, or a seccomp profile that denies
// them), a PID read from /proc may belong to a stranger by the time kill
// uses it: sexton -s says so once and signals nothing.
func TestSubreaperWithoutPidfdsSignalsNothing(t *testing.T) {
	if !testutil.NoPidfdSupported() {
		testutil.Unavailable(t, "no seccomp filter for this architecture")
	}
	dir := t.TempDir()
	rec := filepath.Join(dir, "leftover")
	ns := startUnderShell(t, dir, "", "", testutil.Tool("nopidfd"), []string{"--grace", "5s"},
		recorderScript(rec)+" &\nwhile [ ! -e "+rec+".ready ]; do sleep 0.01; done\nexit 4\n")
	if code := waitCode(t, ns, dir); code != 4 {
		t.Fatalf("exit code %d, want the main child's 4; stderr:\n%s", code, ns.Stderr())
	}
	if got := testutil.ReadFile(rec); got != "" {
		t.Fatalf("the leftover was signalled without pidfds: %q; stderr:\n%s", got, ns.Stderr())
	}
	want := noStrangerWarning + "pidfd_open: function not implemented"
	if n := strings.Count(ns.Stderr(), want); n != 1 {
		t.Fatalf("%d warnings %q, want 1; stderr:\n%s", n, want, ns.Stderr())
	}
}

// stoppedScript leaves a process that writes "flushed" to file on SIGTERM,
// stops it with SIGSTOP, and exits 6 once it is stopped.
func stoppedScript(file string) string {
	return `(trap 'echo flushed > ` + file + `; exit 0' TERM; touch ` + file + `.ready; while :; do sleep 0.05; done) &
l=$!
while [ ! -e ` + file + `.ready ]; do sleep 0.01; done
kill -STOP $l
while [ "$(cut -d' ' -f3 /proc/$l/stat)" != T ]; do sleep 0.01; done
exit 6
`
}

// A leftover that is stopped when the main child exits gets SIGCONT after
// the SIGTERM, so it runs its handler and flushes, instead of staying
// stopped until the SIGKILL at the end of the grace period.
func TestShutdownContinuesStoppedLeftovers(t *testing.T) {
	t.Run("pid1", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "data")
		ns := testutil.Start(t, testutil.Spec{Args: cmdline(sexton(t, "--grace", "30s", "--"), []string{"sh", "-c", stoppedScript(file)})})
		if code := ns.Wait(limit); code != 6 {
			t.Fatalf("exit code %d, want the main child's 6; stderr:\n%s", code, ns.Stderr())
		}
		if got := testutil.ReadFile(file); got != "flushed\n" {
			t.Fatalf("the stopped leftover's file holds %q: it never ran its SIGTERM handler; stderr:\n%s", got, ns.Stderr())
		}
	})
	t.Run("subreaper", func(t *testing.T) {
		dir := t.TempDir()
		file := filepath.Join(dir, "data")
		ns := startUnderShell(t, dir, "", "", nil, []string{"--grace", "30s"}, stoppedScript(file))
		if code := waitCode(t, ns, dir); code != 6 {
			t.Fatalf("exit code %d, want the main child's 6; stderr:\n%s", code, ns.Stderr())
		}
		if got := testutil.ReadFile(file); got != "flushed\n" {
			t.Fatalf("the stopped leftover's file holds %q: it never ran its SIGTERM handler; stderr:\n%s", got, ns.Stderr())
		}
	})
}

// Leftovers that ignore SIGTERM and keep forking (a pool whose members
// each fork a successor and exit every 2 ms, beside 300 idle workers): a
// kill of the PIDs listed once misses the successors. sexton -s sweeps
// until none is left, so nothing of the pool survives it. The namespace's
// cgroup tells what is left: a scan of /proc, like the one-shot kill,
// misses processes that change PIDs.
func TestSubreaperKillsLeftoversThatKeepForking(t *testing.T) {
	cg := testutil.PidsCgroup(t, 4000)
	dir := t.TempDir()
	pool := strings.Join(testutil.Tool("hoppers", "4", "300"), " ")
	ns := startUnderShell(t, dir, cg, "", nil, []string{"--grace", "300ms"}, pool+" || exit 100\nexit 7\n")
	if code := waitCode(t, ns, dir); code != 7 {
		t.Fatalf("exit code %d, want the main child's 7; stderr:\n%s", code, ns.Stderr())
	}
	// Killed processes may still be exiting when sexton is gone, but
	// none may live on: in the end only PID 1 is in the cgroup.
	pid1 := strconv.Itoa(ns.PID)
	testutil.Eventually(t, limit, "no process of the pool left", func() bool {
		return strings.TrimSpace(testutil.ReadFile(cg+"/cgroup.procs")) == pid1
	})
	if strings.Contains(ns.Stderr(), "could not send SIGKILL") {
		t.Fatalf("sexton reported processes it could not kill; stderr:\n%s", ns.Stderr())
	}
}

// Without /proc, sexton -s cannot find what the main child left: it says
// so at the default verbosity, once, and exits with the child's status.
func TestSubreaperWarnsWithoutProc(t *testing.T) {
	dir := t.TempDir()
	// Both the namespace's /proc and the one it covers go.
	prelude := `while umount -l /proc 2>/dev/null; do :; done
[ -e /proc/self ] && echo "/proc still mounted" >&2`
	ns := startUnderShell(t, dir, "", prelude, nil, nil, "(trap '' TERM; exec sleep 1000) &\nexit 3\n")
	if code := waitCode(t, ns, dir); code != 3 {
		t.Fatalf("exit code %d, want the main child's 3; stderr:\n%s", code, ns.Stderr())
	}
	want := noStrangerWarning + "/proc is not mounted"
	if n := strings.Count(ns.Stderr(), want); n != 1 {
		t.Fatalf("%d warnings %q, want 1; stderr:\n%s", n, want, ns.Stderr())
	}
	if len(othersThan(ns)) == 0 {
		t.Fatalf("the leftover is gone although the warning says it was not stopped; stderr:\n%s", ns.Stderr())
	}
}
