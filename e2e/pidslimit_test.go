package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/sexton-init/sexton/internal/testutil"
)

// Issue 13, case 4: a container restarted into an almost exhausted pod, or a
// mistyped --pids-limit. sexton makes every OS thread it will ever need at
// start-up; under a pids limit that does not allow them it exits 1 with one
// line that names the pids limit, never a Go stack dump (the runtime aborts
// the whole process when it cannot make a thread).

// goFloorPids is the pids.max below which the Go runtime itself cannot
// reach main: even `package main; func main() {}`, built static
// (testutil.MinimalGo), dies with "failed to create new OS thread".
// Measured with Go 1.26.8 on 2 CPUs (testutil.FloorCPUs; the tests pin to
// them), 300 starts each: pids.max 3 killed all, 4 killed 16 to 32, 5 none
// (on 1 CPU: 3 killed 50, 4 none). Below it a runtime abort cannot be
// avoided and is allowed.
//
// At and above it the runtime may still, on a loaded machine, want a
// thread more before any package init runs (the minimal program died at
// pids.max 5 in 1 of 100 starts with the load average at 36, at 6 and 7 in
// none): such an abort, whose stack dump shows none of sexton's code, is
// allowed too (runtimeStartAbort). One from sexton's own code is not.
const goFloorPids = 5

// limitedChild is the command run under a limit: it shows that it ran.
var limitedChild = []string{"sh", "-c", "echo ran; exit 3"}

// runtimeAbort reports whether stderr shows the Go runtime giving up.
func runtimeAbort(stderr string) bool {
	return strings.Contains(stderr, "fatal error:") || strings.Contains(stderr, "runtime: failed to create new OS thread")
}

// runtimeStartAbort reports a runtime abort from before sexton's own code
// ran: no goroutine in the dump (a fatal error prints them all) is in it.
func runtimeStartAbort(stderr string) bool {
	return runtimeAbort(stderr) && !strings.Contains(stderr, "github.com/sexton-init/sexton/") &&
		!strings.Contains(stderr, "main.main(")
}

// checkLimitedStart fails unless a start under a limit ended as the
// contract allows: limitedChild ran (exit 3, "ran", no runtime failure),
// or sexton exited 1, started nothing, and wrote one line matching names
// (which limit stopped it). mayAbort allows any Go runtime abort (exit 2),
// where even a minimal Go program cannot start; an abort before sexton's
// own code ran is allowed anyway.
func checkLimitedStart(t *testing.T, code int, stdout, stderr string, names *regexp.Regexp, mayAbort bool) {
	t.Helper()
	lines := testutil.Lines(stderr)
	switch {
	case runtimeAbort(stderr) && strings.Contains(stderr, "internal/testutil"):
		t.Errorf("the test's shim aborted before sexton ran (the limit reached it):\n%s", firstLines(stderr, 30))
	case code == 3 && stdout == "ran\n" && !runtimeAbort(stderr):
		t.Logf("the child ran")
	case code == 1 && stdout == "" && len(lines) == 1 && names.MatchString(lines[0]):
		t.Logf("refused: %s", lines[0])
	case mayAbort && code == 2 && runtimeAbort(stderr):
		t.Logf("the Go runtime aborted, as the minimal Go program does here")
	case code == 2 && runtimeStartAbort(stderr):
		t.Logf("the Go runtime aborted in its own start, before sexton's code")
	default:
		t.Errorf("exit code %d, stdout %q, stderr:\n%s\nwant the child to run (exit 3, \"ran\"), or exit 1 and one line matching %v",
			code, stdout, firstLines(stderr, 12), names)
	}
}

func TestPidsLimitAtStart(t *testing.T) {
	pids := regexp.MustCompile(`pids`)
	for max := 1; max <= 8; max++ {
		t.Run(fmt.Sprint("pids.max=", max), func(t *testing.T) {
			cg := testutil.PidsCgroup(t, max)
			ns := testutil.Start(t, testutil.Spec{Cgroup: cg,
				Args: cmdline(testutil.PinCPUs(t), sexton(t, "--"), limitedChild)})
			code := ns.Wait(limit)
			checkLimitedStart(t, code, ns.Stdout(), ns.Stderr(), pids, max < goFloorPids)
		})
	}
}
