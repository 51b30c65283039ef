// Package testutil runs programs as PID 1 of new PID namespaces for tests,
// and carries small workload tools (orphan makers, signal recorders) that
// the test binary itself runs when re-executed.
//
// A package that uses it calls Main from its TestMain:
//
//	func TestMain(m *testing.M) { testutil.Main(m) }
package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// Environment variables that turn the re-executed test binary into a shim
// or a tool instead of running tests.
const (
	shimEnv = "SEXTON_TESTUTIL_SHIM"
	toolEnv = "SEXTON_TESTUTIL_TOOL"
)

var (
	// builtDirs are further build directories, removed with buildDir.
	builtDirs []string

	buildOnce sync.Once
	buildDir  string
	buildPath string
	buildErr  error
)

// Main runs the tests, or, when the binary was re-executed by this package,
// the shim or tool it was asked to be (those never return).
func Main(m *testing.M) {
	if os.Getenv(shimEnv) != "" {
		runShim()
	}
	if name := os.Getenv(toolEnv); name != "" {
		os.Exit(runTool(name, os.Args[1:]))
	}
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	for _, remove := range builtDirs {
		os.RemoveAll(remove)
	}
	os.Exit(code)
}

// RequireRoot skips the test when it cannot create namespaces, except under
// CI=true, where a missing capability must fail the run, not hide it.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		Unavailable(t, "this test needs root (PID namespaces, cgroups)")
	}
}

// Unavailable ends a test that cannot run on this machine: it skips, or,
// under CI=true, where a missing capability must fail the run rather than
// hide it, fails.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and the test cannot run: "+format, args...)
	}
	t.Skipf(format, args...)
}

// Sexton builds the static sexton binary once per test process and returns
// its path.
func Sexton(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "sexton-test-")
		if buildErr != nil {
			return
		}
		buildPath = filepath.Join(buildDir, "sexton")
		cmd := exec.Command("go", "build", "-trimpath", "-o", buildPath, "github.com/sexton-init/sexton/cmd/sexton")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = &buildError{err: err, out: string(out)}
		}
	})
	if buildErr != nil {
		t.Fatalf("building sexton: %v", buildErr)
	}
	return buildPath
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

// Tool returns a command that runs the named workload tool (see tools.go)
// through the test binary.
func Tool(name string, args ...string) []string {
	exe, err := os.Executable()
	if err != nil {
		panic(err)
	}
	return append([]string{"/usr/bin/env", toolEnv + "=" + name, exe}, args...)
}
