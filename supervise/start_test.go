package supervise

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// lookPath behaves as execvp: not found is 127, found but not executable
// is 126, and a name with a slash is taken as it is.
func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	exe, noexec := filepath.Join(dir, "tool"), filepath.Join(dir, "data")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(noexec, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", "/nonexistent:"+dir)
	if p, err := lookPath("tool"); err != nil || p != exe {
		t.Fatalf("lookPath(tool) = %q, %v", p, err)
	}
	if p, err := lookPath("./relative/x"); err != nil || p != "./relative/x" {
		t.Fatalf("lookPath with a slash = %q, %v", p, err)
	}
	for name, code := range map[string]int{"data": 126, "missing": 127, "sub": 127, "": 127} {
		_, err := lookPath(name)
		var ee *ExecError
		if !errors.As(err, &ee) || ee.Code != code {
			t.Errorf("lookPath(%q) = %v, want exit code %d", name, err, code)
		}
	}
	// An empty entry, or an empty PATH, is the current directory; the path
	// is glibc's DIR/NAME, not cleaned.
	t.Chdir(dir)
	for path, want := range map[string]string{"": "tool", "/nonexistent:": "tool", ":/bin": "tool", dir + "/": dir + "//tool"} {
		t.Setenv("PATH", path)
		if p, err := lookPath("tool"); err != nil || p != want {
			t.Errorf("PATH=%q: lookPath(tool) = %q, %v; want %q", path, p, err, want)
		}
	}
	t.Setenv("PATH", "/nonexistent")
	if p, err := lookPath("tool"); err == nil {
		t.Errorf("PATH=/nonexistent: lookPath(tool) = %q, found in the current directory", p)
	}
}

// A file that is executable but not a program the kernel can run (a
// script without "#!") runs with /bin/sh, which gets its path as $0, as
// execvp does it; with Config.Path set (exec, not execvp), it does not.
func TestStartChildRunsScriptsWithTheShell(t *testing.T) {
	dir := t.TempDir()
	script, out := filepath.Join(dir, "entrypoint"), filepath.Join(dir, "out")
	if err := os.WriteFile(script, []byte("echo \"$0 $*\" > "+out+"\nexit 4\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	pid, err := startChild(&Config{Args: []string{script, "a", "b"}}, false, false)
	if err != nil {
		t.Fatal(err)
	}
	var ws unix.WaitStatus
	if _, err := unix.Wait4(pid, &ws, 0, nil); err != nil {
		t.Fatal(err)
	}
	if ws.ExitStatus() != 4 {
		t.Errorf("exit code %d, want the script's 4", ws.ExitStatus())
	}
	if b, _ := os.ReadFile(out); string(b) != script+" a b\n" {
		t.Errorf("the script wrote %q, want %q", b, script+" a b\n")
	}
	_, err = startChild(&Config{Path: script, Args: []string{"entrypoint"}}, false, false)
	var ee *ExecError
	if !errors.As(err, &ee) || ee.Code != 126 {
		t.Errorf("with Config.Path: %v, want exec format error (126)", err)
	}
}
