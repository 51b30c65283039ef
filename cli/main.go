package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sexton-init/sexton"
	"github.com/sexton-init/sexton/supervise"
)

// Main runs sexton with the given command line (args[0] is the program
// name) and returns the exit status. version is the build's version.
//
// Invoked as tini, tini-static or docker-init it behaves as tini 0.19, as
// dumb-init as dumb-init 1.2.5 (see docs/compatibility.md); under any other
// name it is sexton.
func Main(version string, args []string, stdout, stderr io.Writer) int {
	if code, ok := doctorEntry(args, stdout, stderr); ok {
		return code
	}
	name := filepath.Base(args[0])
	if p := PersonalityOf(name); p != Sexton {
		return mainPersonality(p, version, args, os.LookupEnv, stdout, stderr)
	}
	if len(args) > 1 && args[1] == "doctor" { // a command named doctor: sexton -- doctor
		return runDoctor(args[2:], stdout, stderr)
	}

	inv, err := ParseSexton(args[1:], os.LookupEnv)
	if err != nil {
		var ue *UsageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "%s: %s (see '%s --help')\n", name, ue.Msg, name)
			return supervise.ExitUsage
		}
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return supervise.ExitUsage
	}
	switch inv.Action {
	case Help:
		fmt.Fprint(stdout, helpText(name))
		return 0
	case Version:
		fmt.Fprintf(stdout, "sexton %s\n", version)
		return 0
	case License:
		fmt.Fprint(stdout, sexton.License)
		return 0
	}
	inv.Config.Log.W = stderr
	return supervise.Run(inv.Config)
}
