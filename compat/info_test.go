package compat

import (
	"fmt"
	"testing"

	"github.com/sexton-init/sexton/internal/testutil"
)

// junkEnv is a value no variable that sexton, tini or dumb-init reads can
// take.
var junkEnv = []string{"SEXTON_VERBOSITY=loud", "SEXTON_GRACE=soon", "SEXTON_SUBREAPER=perhaps",
	"TINI_VERBOSITY=-x", "TINI_SUBREAPER=?", "TINI_KILL_PROCESS_GROUP=?", "DUMB_INIT_DEBUG=yes", "DUMB_INIT_SETSID=maybe"}

// TestInformationFlagsIgnoreTheEnvironment: help, version and licence
// print the same text, on the same stream, with exit code 0, whatever junk
// the environment holds, as tini's and dumb-init's do; a broken variable
// must not hide the page that says what it takes.
func TestInformationFlagsIgnoreTheEnvironment(t *testing.T) {
	testutil.RequireRoot(t)
	sexton := impl{label: "sexton", path: testutil.Sexton(t), argv0: "sexton"}
	var runs []struct {
		im   impl
		args []string
	}
	add := func(im impl, flags ...string) {
		for _, f := range flags {
			runs = append(runs, struct {
				im   impl
				args []string
			}{im, []string{f}})
		}
	}
	add(sexton, "--help", "-h", "--version", "--license", "-l")
	for _, pair := range tinis(t)[:1] {
		add(pair[0], "-h", "--version", "-l")
		add(pair[1], "-h", "--version", "-l")
	}
	for _, im := range dumbInits(t) {
		add(im, "-h", "--help", "-V", "--version")
	}
	for _, r := range runs {
		clean := run(t, r.im, nil, r.args...)
		junk := run(t, r.im, junkEnv, r.args...)
		name := fmt.Sprintf("%s %q", r.im.label, r.args)
		if clean.code != 0 {
			t.Errorf("%s: exit code %d in a clean environment; stderr %q", name, clean.code, clean.stderr)
		}
		if junk != clean {
			t.Errorf("%s with junk in the environment: code %d, stdout %.80q, stderr %.200q; in a clean one: %d, %.80q, %.200q",
				name, junk.code, junk.stdout, junk.stderr, clean.code, clean.stdout, clean.stderr)
		}
	}
}
