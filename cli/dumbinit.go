package cli

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/signals"
	"github.com/sexton-init/sexton/supervise"
)

// DumbInitVersion is the dumb-init release whose interface the dumb-init
// personality reproduces (Debian's dumb-init package).
const DumbInitVersion = "1.2.5"

// dumbInitMaxSig is the highest signal dumb-init's --rewrite accepts.
const dumbInitMaxSig = 31

var dumbInitLong = []gnuLong{
	{name: "help", short: 'h'},
	{name: "single-child", short: 'c'},
	{name: "rewrite", hasArg: true, short: 'r'},
	{name: "verbose", short: 'v'},
	{name: "version", short: 'V'},
}

// dumbInitRelayed are signals sexton's own policy does not relay but
// dumb-init does (it forwards every signal it receives but SIGCHLD). They
// get identity rewrites, which make the supervisor pass them on.
var dumbInitRelayed = []unix.Signal{unix.SIGTTIN, unix.SIGTTOU}

// dumbInitFormat is the supervisor's Logger.Format for the dumb-init
// personality: dumb-init prefixes everything it says with "[dumb-init] ".
func dumbInitFormat(kind, msg string) string { return "[dumb-init] " + msg }

// ParseDumbInit parses a command line as dumb-init 1.2.5 does; args[0] is
// the program name as invoked. When the result is a Reply, the caller
// prints it and exits; otherwise it supervises the Invocation's Config.
//
// What dumb-init does, and so this: options are read with getopt_long and
// "+hvVcr:" (parsing stops at the program; long options may be abbreviated
// and take "=value"); -h and -V act, and a bad --rewrite fails, as soon as
// they are read; the child leads a new session and signals go to its process
// group unless -c or DUMB_INIT_SETSID=0; in that setsid mode SIGTSTP,
// SIGTTIN and SIGTTOU are forwarded as SIGSTOP unless rewritten otherwise;
// after forwarding any of these three, dumb-init stops itself, so that
// shell job control works when it is not PID 1; DUMB_INIT_DEBUG=1 is -v;
// once the child has started, dumb-init moves to "/". With -v it says what
// it does in its own lines (dumbInitEvents).
func ParseDumbInit(args []string, env Env, version string) (Invocation, *Reply) {
	inv := Invocation{}
	c := &inv.Config
	c.ZeroExit = map[int]bool{}
	user := signals.Rewrite{}
	setsid, debug := true, false

	opts, operands := gnuGetopt(args[1:], "hvVcr:", dumbInitLong, false)
	for _, o := range opts {
		if o.err != "" {
			return inv, &Reply{Stderr: args[0] + ": " + o.err + "\n", Code: 1}
		}
		switch o.opt {
		case 'h':
			return inv, &Reply{Stderr: dumbInitHelp(args[0], version)}
		case 'V':
			return inv, &Reply{Stderr: fmt.Sprintf("dumb-init v%s (sexton %s)\n", DumbInitVersion, version)}
		case 'v':
			debug = true
		case 'c':
			setsid = false
		case 'r':
			from, to, ok := parseDumbInitRewrite(o.arg)
			if !ok {
				return inv, &Reply{Stderr: fmt.Sprintf("Usage: -r option takes <signum>:<signum>, where <signum> is between 1 and %d.\n"+
					"This option can be specified multiple times.\n"+
					"Use --help for full usage.\n", dumbInitMaxSig), Code: 1}
			}
			user[from] = to
		}
	}
	if len(operands) == 0 {
		return inv, &Reply{Stderr: fmt.Sprintf("Usage: %[1]s [option] program [args]\nTry %[1]s --help for full usage.\n", args[0]), Code: 1}
	}
	envDebug, envNoSetsid := false, false
	if v, ok := env("DUMB_INIT_DEBUG"); ok && v == "1" {
		debug, envDebug = true, true
	}
	if v, ok := env("DUMB_INIT_SETSID"); ok && v == "0" {
		setsid, envNoSetsid = false, true
	}
	grace, err := personalityGrace(env)
	if err != nil {
		return inv, &Reply{Stderr: "[dumb-init] " + err.Error() + "\n", Code: 1}
	}

	c.Args = operands
	c.Subreaper = isSet(env, "SEXTON_SUBREAPER")
	c.Setsid = setsid
	c.Group = setsid
	c.JobControl = true
	c.Grace = grace
	c.Rewrite = signals.Rewrite{}
	for _, s := range dumbInitRelayed {
		c.Rewrite[s] = s
	}
	if setsid {
		for _, s := range []unix.Signal{unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU} {
			c.Rewrite[s] = unix.SIGSTOP
		}
	}
	remap := signals.Rewrite{}
	if setsid {
		for _, s := range []unix.Signal{unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU} {
			remap[s] = unix.SIGSTOP
		}
	}
	for from, to := range user {
		c.Rewrite[from] = to
		remap[from] = to
	}
	verbosity := int(supervise.Warn)
	if debug {
		verbosity = int(supervise.Debug)
	}
	c.Log = &supervise.Logger{Verbosity: verbosity, Format: dumbInitFormat}
	c.Events = dumbInitEvents{
		SextonEvents: supervise.SextonEvents{Voice: supervise.VoiceOf(c.Log)},
		remap:        remap, envDebug: envDebug && debug, envNoSetsid: envNoSetsid && debug,
	}
	c.NoOrphanWarning = true // dumb-init warns of no such thing
	c.ChdirRoot = true
	return inv, nil
}

// parseDumbInitRewrite reads FROM:TO as dumb-init's sscanf("%d:%d") does:
// leading spaces and a sign allowed before each number, anything after the
// second ignored; FROM from 1 to 31, TO from 0 (drop) to 31.
func parseDumbInitRewrite(s string) (from, to unix.Signal, ok bool) {
	f, rest, ok := scanInt(s)
	if !ok || !strings.HasPrefix(rest, ":") {
		return 0, 0, false
	}
	t, _, ok := scanInt(rest[1:])
	if !ok || f < 1 || f > dumbInitMaxSig || t < 0 || t > dumbInitMaxSig {
		return 0, 0, false
	}
	return unix.Signal(f), unix.Signal(t), true
}

// scanInt reads a number as scanf's %d does and returns what follows it.
func scanInt(s string) (int, string, bool) {
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	i := 0
	if i < len(t) && (t[i] == '+' || t[i] == '-') {
		i++
	}
	j := i
	for j < len(t) && t[j] >= '0' && t[j] <= '9' {
		j++
	}
	if j == i || j-i > 9 {
		return 0, s, false
	}
	n, err := strconv.Atoi(t[:j])
	if err != nil {
		return 0, s, false
	}
	return n, t[j:], true
}

// dumbInitHelp is dumb-init's --help text (which it prints on stderr),
// with sexton named in the version line and its variable added.
func dumbInitHelp(name, version string) string {
	return fmt.Sprintf(`dumb-init v%s (sexton %s)
Usage: %s [option] command [[arg] ...]

dumb-init is a simple process supervisor that forwards signals to children.
It is designed to run as PID1 in minimal container environments.

Optional arguments:
   -c, --single-child   Run in single-child mode.
                        In this mode, signals are only proxied to the
                        direct child and not any of its descendants.
   -r, --rewrite s:r    Rewrite received signal s to new signal r before proxying.
                        To ignore (not proxy) a signal, rewrite it to 0.
                        This option can be specified multiple times.
   -v, --verbose        Print debugging information to stderr.
   -h, --help           Print this help message and exit.
   -V, --version        Print the current version and exit.

Environment:
   DUMB_INIT_SETSID=0   Same as --single-child.
   DUMB_INIT_DEBUG=1    Same as --verbose.
   SEXTON_GRACE=D       Time between SIGTERM and SIGKILL for processes left when
                        the child exits (default %v; 0: exit at once, as dumb-init).

This is sexton running as dumb-init; "sexton --help" shows its own options.
Full help is available online at https://github.com/Yelp/dumb-init
`, DumbInitVersion, version, name, DefaultGrace)
}
