package compat

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sexton-init/sexton/internal/testutil"
)

// TestExecLikeExecvp: the program is found and run as execvp does it, in
// every personality: an executable file without "#!" (an old
// entrypoint.sh) is run with /bin/sh, and an empty PATH entry, or an
// empty PATH, means the current directory. The same script, command line
// and environment give the same output and exit code with tini, dumb-init
// and sexton under each name.
func TestExecLikeExecvp(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "entrypoint")
	if err := os.WriteFile(script, []byte("echo \"ran as $0 with $*\"\nexit 4\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path string // PATH
		prog string
	}{
		{"/usr/bin:/bin", script},
		{"/usr/bin:/bin", "./entrypoint"},
		{"/usr/bin:" + dir, "entrypoint"},
		{"", "entrypoint"},
		{"/nonexistent:", "entrypoint"},
		{"/nonexistent::/bin", "entrypoint"},
	}
	tini := tinis(t)[0]
	dumb := dumbInits(t)
	sexton := impl{label: "sexton", path: testutil.Sexton(t), argv0: "sexton"}
	for _, c := range cases {
		env := []string{"PATH=" + c.path, "SEXTON_GRACE=0"}
		want := runIn(t, tini[0], dir, env, "-s", "--", c.prog, "a", "b")
		if want.code != 4 || want.stdout == "" {
			t.Fatalf("tini PATH=%q %s: code %d, stdout %q: the scenario does not work", c.path, c.prog, want.code, want.stdout)
		}
		for _, r := range []struct {
			im   impl
			args []string
		}{
			{tini[1], []string{"-s", "--", c.prog, "a", "b"}},
			{dumb[0], []string{c.prog, "a", "b"}},
			{dumb[1], []string{c.prog, "a", "b"}},
			{sexton, []string{"-s", "--", c.prog, "a", "b"}},
		} {
			got := runIn(t, r.im, dir, env, r.args...)
			if got.code != want.code || got.stdout != want.stdout {
				t.Errorf("%s PATH=%q %s: code %d, stdout %q, stderr %q; tini: %d, %q",
					r.im.label, c.path, c.prog, got.code, got.stdout, got.stderr, want.code, want.stdout)
			}
		}
	}
}
