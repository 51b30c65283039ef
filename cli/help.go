package cli

import (
	"fmt"
	"strings"

	"github.com/sexton-init/sexton/signals"
)

// helpText is the --help page.
func helpText(name string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `Usage: %[1]s [OPTIONS] [--] COMMAND [ARGS...]
       %[1]s --pause [OPTIONS]

Run COMMAND as the child of a minimal init: reap every zombie, forward
signals, exit with the child's status, and stop what is left gracefully.
Options end at "--" or at the first argument that is not an option.

Options:
  -s, --subreaper          register as a child subreaper (when not PID 1)
  -p, --pdeathsig SIGNAL   signal to receive when sexton's parent dies
  -v, --verbose            more output; repeat up to three times (-vvv)
  -w, --warn-on-reap       warn for each reaped process other than the child
  -g, --process-group      send signals to the child's whole process group
  -e, --remap-exit CODE    exit 0 when the child exits with CODE (repeatable)
  -r, --rewrite FROM:TO    forward signal FROM as TO; TO of 0 drops it (repeatable)
      --grace DURATION     time between SIGTERM and SIGKILL for processes left
                           after the child exits (default %[2]v; 0: exit at once)
      --pause              run no command: reap forever, exit 0 on SIGINT/SIGTERM
  -h, --help               show this help and exit
      --version            show the version and exit
  -l, --license            show the licence and exit

Environment:
  SEXTON_SUBREAPER, TINI_SUBREAPER                   same as -s
  SEXTON_VERBOSITY, TINI_VERBOSITY=N                 verbosity level (default 1)
  SEXTON_KILL_PROCESS_GROUP, TINI_KILL_PROCESS_GROUP same as -g
  SEXTON_GRACE=DURATION                              same as --grace

Invoked as tini, tini-static or docker-init (a symlink will do), sexton
takes tini's command line; as dumb-init, dumb-init's.

Exit status: the child's exit status, 128+N if it was killed by signal N,
0 for codes given to -e; 126 if COMMAND cannot be executed, 127 if it is
not found; 1 for bad options.

Signals not forwarded to the child:
`, name, DefaultGrace)
	for _, line := range signals.NotRelayedReasons() {
		fmt.Fprintf(&b, "  %s\n", line)
	}
	return b.String()
}
