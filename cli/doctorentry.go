package cli

import (
	"io"

	"github.com/sexton-init/sexton/doctor"
	"github.com/sexton-init/sexton/sigcatch"
)

// DoctorOption, as the first argument, runs `sexton doctor` under any name
// sexton is installed as. The engines install it as /sbin/docker-init
// (docker run --init) or /run/podman-init (podman run --init), where the
// tini personality would take the word "doctor" for a program to run. No
// working tini or dumb-init command line starts with it: tini has no long
// options at all and rejects "--doctor" ("invalid option -- '-'"), and
// dumb-init's long options (--single-child, --rewrite, --verbose,
// --version, --help) do not begin with "doctor", so it rejects it too.
const DoctorOption = "--doctor"

// doctorEntry runs the doctor when args (args[0] is the program name) start
// with DoctorOption, and reports whether it did.
func doctorEntry(args []string, stdout, stderr io.Writer) (int, bool) {
	if len(args) < 2 || args[1] != DoctorOption {
		return 0, false
	}
	return runDoctor(args[2:], stdout, stderr), true
}

// runDoctor runs the doctor as the ordinary program it is: the signals
// that the binary caught for a supervisor go back to the Go runtime, so
// Ctrl-C ends a `doctor --watch`.
func runDoctor(args []string, stdout, stderr io.Writer) int {
	sigcatch.Uninstall()
	return doctor.Main(args, stdout, stderr)
}
