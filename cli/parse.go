// Package cli turns sexton's command line and environment into a
// supervisor configuration, for each personality sexton can take: its own,
// tini's (as tini or docker-init) and dumb-init's.
package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sexton-init/sexton/signals"
	"github.com/sexton-init/sexton/supervise"
)

// Action is what an invocation asks for.
type Action int

// The actions.
const (
	Run Action = iota
	Help
	Version
	License
)

// DefaultGrace is the grace period for processes left when the main child
// exits, when neither --grace nor SEXTON_GRACE says otherwise.
const DefaultGrace = 5 * time.Second

// Invocation is a parsed command line.
type Invocation struct {
	Action Action
	Config supervise.Config
}

// Env looks up an environment variable.
type Env func(string) (string, bool)

// UsageError is bad input on the command line or in the environment.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// sextonShort and sextonLong are sexton's own options, parsed by glibc's
// rules (long options may be abbreviated and take =VALUE) but without
// permuting: the options stop at the program.
const sextonShort = "hlsp:vwge:r:"

// Letters for the options that have only a long name: bytes that no short
// option can be written with.
const (
	optVersion = 1 + iota
	optGrace
	optPause
)

var sextonLong = []gnuLong{
	{"help", false, 'h'}, {"version", false, optVersion}, {"license", false, 'l'},
	{"subreaper", false, 's'}, {"pdeathsig", true, 'p'}, {"verbose", false, 'v'},
	{"warn-on-reap", false, 'w'}, {"process-group", false, 'g'}, {"remap-exit", true, 'e'},
	{"rewrite", true, 'r'}, {"grace", true, optGrace}, {"pause", false, optPause},
}

// ParseSexton parses sexton's own command line (args without the program
// name) and environment.
func ParseSexton(args []string, env Env) (Invocation, error) {
	inv := Invocation{}
	c := &inv.Config
	c.ZeroExit = map[int]bool{}
	c.Rewrite = signals.Rewrite{}
	c.Grace = DefaultGrace

	// The environment sets defaults, so it is read first, but its errors
	// wait: --help, --version and --license answer whatever it holds.
	envErr := applySextonEnv(c, env)
	level, levelErr := envVerbosity(env)
	opts, operands := gnuGetopt(args, sextonShort, sextonLong, false)
	var help, version, license bool
	verbose := 0
	for _, o := range opts {
		if o.err != "" {
			return inv, &UsageError{Msg: o.err}
		}
		var err error
		switch o.opt {
		case 'h':
			help = true
		case optVersion:
			version = true
		case 'l':
			license = true
		case 's':
			c.Subreaper = true
		case 'p':
			err = setSignal(&c.ParentDeath, o.arg, o.name)
		case 'v':
			verbose++
		case 'w':
			c.WarnOnReap = true
		case 'g':
			c.Group = true
		case 'e':
			err = addExitCode(c.ZeroExit, o.arg, o.name)
		case 'r':
			err = addRewrite(c.Rewrite, o.arg, o.name)
		case optGrace:
			err = setGrace(&c.Grace, o.arg, o.name)
		case optPause:
			c.Pause = true
		}
		if err != nil {
			return inv, &UsageError{Msg: err.Error()}
		}
	}
	switch {
	case help:
		inv.Action = Help
		return inv, nil
	case version:
		inv.Action = Version
		return inv, nil
	case license:
		inv.Action = License
		return inv, nil
	case envErr != nil:
		return inv, envErr
	case levelErr != nil:
		return inv, levelErr
	}
	c.Log = &supervise.Logger{Verbosity: level + verbose}
	c.Args = operands
	c.ChdirRoot = true // see docs/compatibility.md, "Working directory"
	switch {
	case c.Pause && len(c.Args) > 0:
		return inv, usagef("--pause runs no command, but %q was given", c.Args[0])
	case !c.Pause && len(c.Args) == 0:
		return inv, usagef("no command given: usage is sexton [options] -- COMMAND [ARGS...]")
	}
	return inv, nil
}

// applySextonEnv reads the environment variables that set defaults; flags
// given on the command line still win.
func applySextonEnv(c *supervise.Config, env Env) error {
	if isSet(env, "SEXTON_SUBREAPER") || isSet(env, "TINI_SUBREAPER") {
		c.Subreaper = true
	}
	if isSet(env, "SEXTON_KILL_PROCESS_GROUP") || isSet(env, "TINI_KILL_PROCESS_GROUP") {
		c.Group = true
	}
	if v, ok := env("SEXTON_GRACE"); ok {
		d, err := supervise.ParseGrace(v)
		if err != nil {
			return usagef("SEXTON_GRACE: %v", err)
		}
		c.Grace = d
	}
	return nil
}

// isSet reports whether a boolean variable is switched on: present, as
// tini reads it, unless it says 0/false/no.
func isSet(env Env, name string) bool {
	v, ok := env(name)
	if !ok {
		return false
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "0", "false", "no", "off":
		return false
	}
	return true
}

// envVerbosity reads SEXTON_VERBOSITY or TINI_VERBOSITY (default 1).
func envVerbosity(env Env) (int, error) {
	for _, name := range []string{"SEXTON_VERBOSITY", "TINI_VERBOSITY"} {
		v, ok := env(name)
		if !ok {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			return 0, usagef("%s=%q is not a verbosity level (0, 1, 2, ...)", name, v)
		}
		return n, nil
	}
	return 1, nil
}
