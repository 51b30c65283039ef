// Package cli turns sexton's command line and environment into a
// supervisor configuration, for each personality sexton can take: its own,
// tini's (as tini or docker-init) and dumb-init's.
package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pborman/getopt/v2"

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

// ParseSexton parses sexton's own command line (args without the program
// name) and environment.
func ParseSexton(args []string, env Env) (Invocation, error) {
	inv := Invocation{}
	c := &inv.Config
	c.ZeroExit = map[int]bool{}
	c.Rewrite = signals.Rewrite{}
	c.Grace = DefaultGrace

	fs := getopt.New()
	var help, version, license bool
	fs.FlagLong(&help, "help", 'h', "")
	fs.FlagLong(&version, "version", 0, "")
	fs.FlagLong(&license, "license", 'l', "")
	fs.FlagLong(&c.Subreaper, "subreaper", 's', "")
	fs.FlagLong(signalValue{&c.ParentDeath}, "pdeathsig", 'p', "")
	verbose := fs.CounterLong("verbose", 'v', "")
	fs.FlagLong(&c.WarnOnReap, "warn-on-reap", 'w', "")
	fs.FlagLong(&c.Group, "process-group", 'g', "")
	fs.FlagLong(exitCodes(c.ZeroExit), "remap-exit", 'e', "")
	fs.FlagLong(rewriteValue{c.Rewrite}, "rewrite", 'r', "")
	fs.FlagLong(graceValue{&c.Grace}, "grace", 0, "")
	fs.FlagLong(&c.Pause, "pause", 0, "")

	// The environment sets defaults, so it is read first, but its errors
	// wait: --help, --version and --license answer whatever it holds.
	envErr := applySextonEnv(c, env)
	level, levelErr := envVerbosity(env)
	if err := fs.Getopt(append([]string{"sexton"}, args...), nil); err != nil {
		return inv, &UsageError{Msg: err.Error()}
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
	c.Log = &supervise.Logger{Verbosity: level + *verbose}
	c.Args = fs.Args()
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
