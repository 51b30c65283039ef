package cli

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"syscall"
	"time"

	"github.com/sexton-init/sexton/supervise"
)

// Personality is the program sexton behaves as, chosen by the name it is
// invoked under (argv[0], e.g. through a symlink).
type Personality int

// The personalities.
const (
	Sexton   Personality = iota
	Tini                 // invoked as tini, tini-static or docker-init
	DumbInit             // invoked as dumb-init
)

// PersonalityOf picks the personality for a program name as invoked.
func PersonalityOf(argv0 string) Personality {
	switch filepath.Base(argv0) {
	case "tini", "tini-static", "docker-init":
		return Tini
	case "dumb-init":
		return DumbInit
	}
	return Sexton
}

// personalityGrace reads SEXTON_GRACE for the tini and dumb-init
// personalities, whose command lines have no --grace.
func personalityGrace(env Env) (time.Duration, error) {
	v, ok := env("SEXTON_GRACE")
	if !ok {
		return DefaultGrace, nil
	}
	d, err := supervise.ParseGrace(v)
	if err != nil {
		return 0, fmt.Errorf("SEXTON_GRACE: %v", err)
	}
	return d, nil
}

// mainPersonality runs sexton as tini or dumb-init.
func mainPersonality(p Personality, version string, args []string, env Env, stdout, stderr io.Writer) int {
	var inv Invocation
	var reply *Reply
	if p == Tini {
		inv, reply = ParseTini(args, env, version)
	} else {
		inv, reply = ParseDumbInit(args, env, version)
	}
	if reply != nil {
		io.WriteString(stdout, reply.Stdout)
		io.WriteString(stderr, reply.Stderr)
		return reply.Code
	}
	inv.Config.ExecFailed = execFailed(p, inv.Config.Log, inv.Config.ZeroExit)
	inv.Config.Log.W = stderr
	if p == Tini {
		// tini writes FATAL and WARN lines to stderr, the rest to stdout.
		inv.Config.Log.InfoW = stdout
	}
	return supervise.Run(inv.Config)
}

// execFailed reports a command that cannot be executed in the
// personality's words and with its exit code: tini says "exec NAME failed:
// REASON" and exits 127 or 126, or 0 when -e lists that code (its forked
// child exits with it, and -e remaps it like any exit of the child);
// dumb-init says "NAME: REASON" and exits 2.
func execFailed(p Personality, log *supervise.Logger, zeroExit map[int]bool) func(*supervise.ExecError) int {
	return func(ee *supervise.ExecError) int {
		reason := ee.Err.Error()
		var errno syscall.Errno
		if errors.As(ee.Err, &errno) {
			reason = strerror(errno)
		}
		if p == Tini {
			log.Errorf("exec %s failed: %s", ee.Name, reason)
			if zeroExit[ee.Code] {
				return 0
			}
			return ee.Code
		}
		log.Errorf("%s: %s", ee.Name, reason)
		return 2
	}
}

// strerror is the C library's wording of errno: Go's, capitalised.
func strerror(errno syscall.Errno) string {
	s := errno.Error()
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s
}
