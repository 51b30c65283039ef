package pid1_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/internal/testutil"
	"github.com/sexton-init/sexton/pid1"
	"github.com/sexton-init/sexton/procfs"
	"github.com/sexton-init/sexton/supervise"
)

// workloadEnv turns the re-executed test binary into a program that calls
// pid1.Ensure and then runs the workload it names. The tests pass it through
// /usr/bin/env in the namespace's command, so that testutil's shim (which
// runs first, as PID 1, and then executes the command) does not see it.
const workloadEnv = "PID1_TEST_WORKLOAD"

func TestMain(m *testing.M) {
	if name, ok := os.LookupEnv(workloadEnv); ok {
		os.Exit(workload(name, os.Args[1:]))
	}
	testutil.Main(m)
}

// The sizes of the exec storm.
const (
	stormCommands = 200 // concurrent sh -c 'exit N'
	stormSleepers = 50  // concurrent sh -c 'sleep 0.01 & exit 0': one orphan each
	stormOrphans  = 5   // concurrent runs of testutil's orphans tool
	orphansPerRun = 20  // orphans per run of the tool
)

// workload runs in the namespace: as PID 1 it becomes the supervisor inside
// pid1.Ensure and never comes back; as the re-executed child it runs the
// named workload and returns its exit code.
func workload(name string, args []string) int {
	switch name {
	case "ensure":
		pid1.Ensure()
		fmt.Println("returned, supervised:", pid1.Supervised())
		return 0
	case "configure-env":
		pid1.Ensure(pid1.Configure(func(c *supervise.Config) { c.Env = append(os.Environ(), "EXTRA=from-configure") }))
		_, marker := os.LookupEnv(pid1.ChildEnv)
		fmt.Printf("EXTRA=%s marker=%v supervised=%v\n", os.Getenv("EXTRA"), marker, pid1.Supervised())
		return 0
	case "proctree":
		pid1.Ensure(pid1.Grace(10 * time.Second))
		return withProctree()
	}
	opts := []pid1.Option{pid1.Grace(10 * time.Second)}
	if name == "storm" || name == "forced" {
		opts = append(opts, pid1.WarnOnReap())
	}
	pid1.Ensure(opts...)
	os.Unsetenv(workloadEnv) // not for the tools the workload starts
	if !pid1.Supervised() {
		fmt.Println("FAIL: Ensure returned, but not in a supervised child")
		return 1
	}
	if name != "forced" && (os.Getpid() == 1 || os.Getppid() != 1) {
		fmt.Printf("FAIL: child has pid %d and parent %d; want a child of PID 1\n", os.Getpid(), os.Getppid())
		return 1
	}
	switch name {
	case "storm":
		return storm(stormCommands, stormSleepers, stormOrphans)
	case "forced":
		return storm(stormCommands/4, stormSleepers/5, 1)
	case "exit7":
		return 7
	case "env":
		out, err := exec.Command("sh", "-c", "echo ${"+pid1.ChildEnv+"-unset}").Output()
		if err != nil {
			fmt.Println("FAIL:", err)
			return 1
		}
		_, marker := os.LookupEnv(pid1.ChildEnv)
		fmt.Printf("argv=%q\nmarker=%v\ngrandchild=%s", os.Args, marker, out)
		return 0
	case "sigterm":
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, unix.SIGTERM)
		fmt.Println("ready")
		fmt.Println("got", <-ch)
		return 0
	case "sleep":
		fmt.Println("ready")
		time.Sleep(time.Hour) // select{} would be a deadlock to the runtime
		return 1
	case "leftover":
		// A process left behind that needs SIGTERM to save its work.
		dir := args[0]
		script := `trap 'echo saved > ` + dir + `/saved; exit 0' TERM; echo > ` + dir + `/ready; while :; do sleep 0.05; done`
		if err := exec.Command("sh", "-c", "sh -c \"$0\" >/dev/null 2>&1 &", script).Run(); err != nil {
			fmt.Println("FAIL:", err)
			return 1
		}
		for testutil.ReadFile(dir+"/ready") == "" {
			time.Sleep(5 * time.Millisecond)
		}
		fmt.Println("leaving")
		return 0
	}
	fmt.Println("FAIL: unknown workload", name)
	return 1
}

// storm runs commands concurrent `sh -c 'exit N'` with varied N, while
// other goroutines make orphans (which the supervisor must reap), checks
// every result, prints a summary and "done", then waits for SIGUSR1 (the
// test checks for zombies in between) and exits 0 if all was well.
func storm(commands, sleepers, orphanRuns int) int {
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, unix.SIGUSR1)

	var (
		mu       sync.Mutex
		failures []string
		wg       sync.WaitGroup
		start    = make(chan struct{})
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		failures = append(failures, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	wrong := 0
	for i := range commands {
		want := (i * 37) % 256
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := exec.Command("sh", "-c", "exit "+strconv.Itoa(want)).Run()
			var ee *exec.ExitError
			switch {
			case want == 0 && err == nil:
			case want != 0 && errors.As(err, &ee) && ee.ExitCode() == want:
			default:
				mu.Lock()
				wrong++
				mu.Unlock()
				fail("sh -c 'exit %d': %v", want, err)
			}
		}()
	}
	for range sleepers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if err := exec.Command("sh", "-c", "sleep 0.01 & exit 0").Run(); err != nil {
				fail("orphan-making sh: %v", err)
			}
		}()
	}
	for range orphanRuns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			tool := testutil.Tool("orphans", strconv.Itoa(orphansPerRun))
			if out, err := exec.Command(tool[0], tool[1:]...).CombinedOutput(); err != nil {
				fail("orphans tool: %v: %s", err, out)
			}
		}()
	}
	close(start)
	wg.Wait()

	for _, f := range failures {
		fmt.Println("FAIL:", f)
	}
	fmt.Printf("commands=%d wrong=%d orphans=%d failures=%d\n",
		commands, wrong, sleepers+orphanRuns*orphansPerRun, len(failures))
	fmt.Println("done")
	<-usr1
	if len(failures) > 0 {
		return 1
	}
	return 0
}

// startWorkload starts the test binary as PID 1 of a new namespace, running
// the named workload.
func startWorkload(t *testing.T, name string, args ...string) *testutil.NS {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := append([]string{"/usr/bin/env", workloadEnv + "=" + name, raceQuick(), exe}, args...)
	return testutil.Start(t, testutil.Spec{Args: cmd})
}

// raceQuick is a GORACE setting that spares a -race binary its default
// one-second sleep at a zero exit, here paid by supervisor and child both.
func raceQuick() string {
	return "GORACE=" + strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0")
}

// The limits below catch hangs; they measure nothing.
const hang = 45 * time.Second

func waitFor(t *testing.T, ns *testutil.NS, text string) {
	t.Helper()
	testutil.Eventually(t, hang, fmt.Sprintf("%q on stdout", text), func() bool {
		select {
		case <-ns.Done():
			t.Fatalf("PID 1 exited before writing %q; stdout:\n%s\nstderr:\n%s", text, ns.Stdout(), ns.Stderr())
		default:
		}
		return strings.Contains(ns.Stdout(), text)
	})
}

// TestExecStormWithOrphans is the point of the package: as PID 1 of a new
// namespace, a program that called Ensure runs hundreds of concurrent
// exec.Command(...).Run() calls while orphans are made all around; every
// call sees its own exit code, and every orphan is reaped.
func TestExecStormWithOrphans(t *testing.T) {
	ns := startWorkload(t, "storm")
	waitFor(t, ns, "done\n")
	t.Logf("workload: %s", strings.TrimSpace(ns.Stdout()))

	// Every orphan has been reaped once the namespace holds only the
	// supervisor and the child, neither a zombie.
	testutil.Eventually(t, hang, "only the supervisor and the child left, no zombies", func() bool {
		procs := ns.Processes()
		return len(procs) == 2 && len(ns.Zombies()) == 0
	})
	var pids []string
	for _, p := range ns.Processes() {
		pids = append(pids, fmt.Sprintf("%d(%s,%c)", p.PID, p.Comm, p.State))
	}
	t.Logf("namespace before exit: %s", strings.Join(pids, " "))

	ns.Signal(unix.SIGUSR1) // relayed by the supervisor to the child
	if code := ns.Wait(hang); code != 0 {
		t.Errorf("exit code %d, want 0; stdout:\n%s\nstderr:\n%s", code, ns.Stdout(), ns.Stderr())
	}
	want := fmt.Sprintf("commands=%d wrong=0 orphans=%d failures=0\n",
		stormCommands, stormSleepers+stormOrphans*orphansPerRun)
	if !strings.Contains(ns.Stdout(), want) {
		t.Errorf("stdout lacks %q:\n%s", want, ns.Stdout())
	}
	reaped := strings.Count(ns.Stderr(), "reaped zombie process")
	t.Logf("supervisor warned of %d reaped orphans", reaped)
	if reaped < stormSleepers+stormOrphans*orphansPerRun {
		t.Errorf("supervisor reaped %d orphans, want at least %d; stderr:\n%s",
			reaped, stormSleepers+stormOrphans*orphansPerRun, ns.Stderr())
	}
}

// TestExitStatus: the supervisor exits with the child's exit code.
func TestExitStatus(t *testing.T) {
	ns := startWorkload(t, "exit7")
	if code := ns.Wait(hang); code != 7 {
		t.Errorf("exit code %d, want 7; stdout:\n%s\nstderr:\n%s", code, ns.Stdout(), ns.Stderr())
	}
}

// TestSIGTERMReachesChild: SIGTERM sent to PID 1 reaches the child, which
// handles it and exits 0, and so does PID 1.
func TestSIGTERMReachesChild(t *testing.T) {
	ns := startWorkload(t, "sigterm")
	waitFor(t, ns, "ready\n")
	ns.Signal(unix.SIGTERM)
	if code := ns.Wait(hang); code != 0 {
		t.Errorf("exit code %d, want 0; stdout:\n%s\nstderr:\n%s", code, ns.Stdout(), ns.Stderr())
	}
	if !strings.Contains(ns.Stdout(), "got terminated\n") {
		t.Errorf("the child did not report SIGTERM; stdout:\n%s", ns.Stdout())
	}
}

// TestSignalDeathStatus: a child killed by SIGTERM (which it does not
// handle) makes PID 1 exit 128+15.
func TestSignalDeathStatus(t *testing.T) {
	ns := startWorkload(t, "sleep")
	waitFor(t, ns, "ready\n")
	ns.Signal(unix.SIGTERM)
	if code := ns.Wait(hang); code != 128+int(unix.SIGTERM) {
		t.Errorf("exit code %d, want %d; stderr:\n%s", code, 128+int(unix.SIGTERM), ns.Stderr())
	}
}

// TestChildEnvironment: the child gets the same arguments, argv[0]
// included, and neither it nor its own children see the child marker.
func TestChildEnvironment(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ns := startWorkload(t, "env", "two words", "-x", "")
	if code := ns.Wait(hang); code != 0 {
		t.Fatalf("exit code %d; stdout:\n%s\nstderr:\n%s", code, ns.Stdout(), ns.Stderr())
	}
	want := fmt.Sprintf("argv=%q\nmarker=false\ngrandchild=unset\n", []string{exe, "two words", "-x", ""})
	if got := ns.Stdout(); got != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", got, want)
	}
}

// TestGracefulShutdownOfLeftovers: a process the child left behind gets
// SIGTERM from the supervisor when the child exits, and time to act on it.
func TestGracefulShutdownOfLeftovers(t *testing.T) {
	dir := t.TempDir()
	ns := startWorkload(t, "leftover", dir)
	if code := ns.Wait(hang); code != 0 {
		t.Errorf("exit code %d, want 0; stdout:\n%s\nstderr:\n%s", code, ns.Stdout(), ns.Stderr())
	}
	if got := testutil.ReadFile(filepath.Join(dir, "saved")); got != "saved\n" {
		t.Errorf("leftover process did not save on SIGTERM (file: %q); stderr:\n%s", got, ns.Stderr())
	}
}

// TestForcedSubreaper runs a smaller storm outside any namespace, with the
// supervisor forced by SEXTON_PID1=always and made a subreaper by
// SEXTON_SUBREAPER=1: it needs no root.
func TestForcedSubreaper(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), workloadEnv+"=forced", "SEXTON_PID1=always", "SEXTON_SUBREAPER=1", raceQuick())
	var stdout, stderr testutil.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		// SIGTERM first: the supervisor relays it to the child, which dies
		// of it; SIGKILL would leave the child running.
		_ = cmd.Process.Signal(unix.SIGTERM)
		select {
		case <-done:
		case <-time.After(hang):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	out := cmd.Stdout.(*testutil.Buffer)
	testutil.Eventually(t, hang, "done on stdout", func() bool { return strings.Contains(out.String(), "done\n") })

	sup := cmd.Process.Pid
	testutil.Eventually(t, hang, "only the child left under the supervisor", func() bool {
		table, err := procfs.Scan("/proc")
		if err != nil {
			t.Fatal(err)
		}
		return len(procfs.Descendants(table, sup)) == 1
	})
	if err := cmd.Process.Signal(unix.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("supervisor: %v; stdout:\n%s\nstderr:\n%s", err, out.String(), cmd.Stderr.(*testutil.Buffer).String())
	}
	done <- nil // for the cleanup
	if !strings.Contains(out.String(), " wrong=0 ") || !strings.Contains(out.String(), " failures=0") {
		t.Errorf("stdout:\n%s", out.String())
	}
	errs := cmd.Stderr.(*testutil.Buffer).String()
	if reaped := strings.Count(errs, "reaped zombie process"); reaped == 0 {
		t.Errorf("the subreaper reaped no orphans; stderr:\n%s", errs)
	}
}

// TestNotPID1 checks that Ensure does nothing in an ordinary process.
func TestNotPID1(t *testing.T) {
	if os.Getpid() == 1 {
		t.Skip("the test binary itself is PID 1")
	}
	if v, ok := os.LookupEnv("SEXTON_PID1"); ok && v != "auto" && v != "" {
		t.Skipf("SEXTON_PID1=%s in the test's environment", v)
	}
	if err := pid1.TryEnsure(); err != nil {
		t.Fatal(err)
	}
	if pid1.Supervised() {
		t.Error("Supervised() is true in the test process")
	}
}

// TestExampleAsPID1 runs the package's Example as PID 1 of a new
// namespace: Ensure makes the test binary the supervisor of a re-executed
// copy, which runs the example again and exits 1 if its output is wrong.
// (The example's output goes to the supervisor's capture, which it never
// prints; the exit status is what counts.)
func TestExampleAsPID1(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ns := testutil.Start(t, testutil.Spec{
		Args: []string{exe, "-test.run=^Example$", "-test.v"},
		Env:  []string{raceQuick()},
	})
	if code := ns.Wait(hang); code != 0 {
		t.Errorf("exit code %d, want 0; stdout:\n%s\nstderr:\n%s", code, ns.Stdout(), ns.Stderr())
	}
	t.Logf("stdout: %q", ns.Stdout())
}
