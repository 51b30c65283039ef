package e2e

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/sexton-init/sexton/internal/testutil"
)

// Issue 14, point 3: environments hostile at exec time. sexton either runs
// the child or exits 1 with one line naming the limit; a Go runtime abort
// is allowed only where the minimal Go program (testutil.MinimalGo) also
// aborts, as measured in the same environment (or, for RLIMIT_NPROC, below
// the measured floor).

// goFloorNproc is the RLIMIT_NPROC (for a uid with no other process) below
// which the minimal Go program cannot start: measured with Go 1.26.8 on 2
// CPUs, 200 starts each: 1 to 3 killed all, 4 killed 12, 5 none. RLIMIT_NPROC
// counts threads, as pids.max does; see goFloorPids for aborts above it.
const goFloorNproc = 5

// underLimits runs argv (sexton or the minimal Go program, with its
// arguments) as PID 1 behind prefix, and returns exit code, stdout, stderr.
func underLimits(t *testing.T, prefix, argv []string) (int, string, string) {
	t.Helper()
	ns := testutil.Start(t, testutil.Spec{Args: cmdline(prefix, argv)})
	code := ns.Wait(limit)
	return code, ns.Stdout(), ns.Stderr()
}

// minimalAborts reports whether the minimal Go program aborts behind prefix.
func minimalAborts(t *testing.T, prefix []string) bool {
	t.Helper()
	code, _, stderr := underLimits(t, prefix, []string{testutil.MinimalGo(t)})
	return code != 0 && runtimeAbort(stderr)
}

func TestHostileExecEnvironments(t *testing.T) {
	t.Run("stdin", closedStdin)
	t.Run("nproc", nprocLimit)
	t.Run("nofile", nofileLimit)
}

// closedStdin: fd 0 closed, with /dev/null and without (the runtime opens
// /dev/null for a closed standard descriptor, and aborts if it cannot).
func closedStdin(t *testing.T) {
	for _, c := range []struct {
		name, script string
	}{
		{"fd 0 closed", `exec "$@" <&-`},
		{"fd 0 closed and /dev empty", `mount -t tmpfs tmpfs /dev && exec "$@" <&-`},
	} {
		t.Run(c.name, func(t *testing.T) {
			prefix := []string{"sh", "-c", c.script, "sh"}
			aborts := minimalAborts(t, prefix)
			t.Logf("the minimal Go program aborts here: %v", aborts)
			code, stdout, stderr := underLimits(t, prefix, cmdline(sexton(t, "--"), limitedChild))
			checkLimitedStart(t, code, stdout, stderr, regexp.MustCompile(`/dev/null|stdin|fd 0`), aborts)
		})
	}
}

// nprocLimit: RLIMIT_NPROC 1 to 8 for a uid that is not root (root is not
// held to it) and has no other process.
func nprocLimit(t *testing.T) {
	user := asOtherUser(t)
	for n := 1; n <= 8; n++ {
		t.Run(fmt.Sprint("RLIMIT_NPROC=", n), func(t *testing.T) {
			prefix := cmdline(testutil.PinCPUs(t), []string{"prlimit", fmt.Sprintf("--nproc=%d", n), "--"}, user)
			code, stdout, stderr := underLimits(t, prefix, cmdline(sexton(t, "--"), limitedChild))
			checkLimitedStart(t, code, stdout, stderr, regexp.MustCompile(`RLIMIT_NPROC`), n < goFloorNproc)
		})
	}
}

// nofileLimit: RLIMIT_NOFILE 3 to 7, soft and hard.
func nofileLimit(t *testing.T) {
	for n := 3; n <= 7; n++ {
		t.Run(fmt.Sprint("RLIMIT_NOFILE=", n), func(t *testing.T) {
			prefix := []string{"prlimit", fmt.Sprintf("--nofile=%d", n), "--"}
			aborts := minimalAborts(t, prefix)
			code, stdout, stderr := underLimits(t, prefix, cmdline(sexton(t, "--"), limitedChild))
			checkLimitedStart(t, code, stdout, stderr, regexp.MustCompile(`RLIMIT_NOFILE`), aborts)
		})
	}
}
