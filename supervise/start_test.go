package supervise

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
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
}
