package cli

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/sexton-init/sexton/internal/testutil"
)

// --doctor as the first argument runs the doctor under every name.
func TestDoctorOptionUnderEveryName(t *testing.T) {
	for _, name := range []string{"sexton", "/run/podman-init", "/sbin/docker-init", "tini", "tini-static", "dumb-init"} {
		var out, errb bytes.Buffer
		if code := Main("test", []string{name, "--doctor", "--help"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "Usage: sexton doctor") {
			t.Errorf("%s --doctor --help: exit %d, stdout %q, stderr %q", name, code, out.String(), errb.String())
		}
		out.Reset()
		errb.Reset()
		code := Main("test", []string{name, "--doctor", "--frobnicate"}, &out, &errb)
		if code != 2 || !strings.HasPrefix(errb.String(), "sexton doctor: flag provided but not defined: --frobnicate") {
			t.Errorf("%s --doctor --frobnicate: exit %d, stderr %q", name, code, errb.String())
		}
	}
}

// Only the first argument counts: after "--", or after the program, it is
// the program's.
func TestDoctorOptionOnlyFirst(t *testing.T) {
	for _, args := range [][]string{
		{"docker-init", "--", "--doctor"},
		{"dumb-init", "app", "--doctor"},
		{"sexton", "-v", "--doctor"},
		{"tini"},
	} {
		if _, ok := doctorEntry(args, &bytes.Buffer{}, &bytes.Buffer{}); ok {
			t.Errorf("%q ran the doctor", args)
		}
	}
}

// The real tini and dumb-init reject --doctor as their first argument:
// the option takes nothing away from their command lines.
func TestDoctorOptionMeansNothingToTiniAndDumbInit(t *testing.T) {
	for prog, complaint := range map[string]string{
		"tini":      "invalid option -- '-'",
		"dumb-init": "unrecognized option '--doctor'",
	} {
		path, err := exec.LookPath(prog)
		if err != nil {
			testutil.Unavailable(t, "%s not found (apt-get install -y %s): %v", prog, prog, err)
		}
		out, err := exec.Command(path, DoctorOption, "--json").CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), complaint) {
			t.Errorf("%s --doctor: %v, want exit 1 saying %q:\n%s", prog, err, complaint, out)
		}
	}
}
