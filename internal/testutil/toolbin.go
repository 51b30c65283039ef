package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	toolsOnce sync.Once
	toolsPath string
	toolsErr  error
)

// ToolMain runs the tool named in the environment and exits; it is the
// main function of the toolmain command.
func ToolMain() {
	os.Exit(runTool(os.Getenv(toolEnv), os.Args[1:]))
}

// FastTool is Tool, run from a binary built once per test process as sexton
// is (static, no race detector), for tools that fork a lot.
func FastTool(t testing.TB, name string, args ...string) []string {
	t.Helper()
	toolsOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sexton-tools-")
		if err != nil {
			toolsErr = err
			return
		}
		builtDirs = append(builtDirs, dir)
		toolsPath = filepath.Join(dir, "sexton-tools")
		cmd := exec.Command("go", "build", "-trimpath", "-o", toolsPath, "github.com/sexton-init/sexton/internal/testutil/toolmain")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			toolsErr = &buildError{err: err, out: string(out)}
		}
	})
	if toolsErr != nil {
		t.Fatalf("building the tools: %v", toolsErr)
	}
	return append([]string{"/usr/bin/env", toolEnv + "=" + name, toolsPath}, args...)
}
