package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
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
	d, err := parseGrace(v)
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
	// tini warns that it is neither PID 1 nor a subreaper before it tries
	// the command; the supervisor does so too, and then reports a command
	// that cannot run in its own words (with tini's exit codes), so the
	// tini check is only made where no warning comes first.
	check := p == DumbInit || os.Getpid() == 1 || inv.Config.Subreaper || inv.Config.Log.Verbosity < int(supervise.Warn)
	if reply := execCheck(p, inv.Config.Args[0]); check && reply != nil {
		io.WriteString(stderr, reply.Stderr)
		return reply.Code
	}
	if p == Tini {
		// tini writes FATAL and WARN lines to stderr, the rest to stdout.
		inv.Config.Log.W = &tiniRouter{stdout: stdout, stderr: stderr}
	} else {
		inv.Config.Log.W = stderr
	}
	return supervise.Run(inv.Config)
}

// execCheck reports, in the personality's words and with its exit code, a
// command that cannot be executed because it does not exist or is not
// executable: tini says "exec NAME failed: REASON" and exits 127 or 126,
// dumb-init says "NAME: REASON" and exits 2.
//
// It looks before the supervisor starts the child, which then reports any
// other failure in sexton's words (with 127 or 126). This stands in for a
// hook in supervise that would let a personality word the error and choose
// the exit code itself; a file that changes between the look and the start
// is reported by the supervisor.
func execCheck(p Personality, name string) *Reply {
	_, err := exec.LookPath(name)
	if err == nil || errors.Is(err, exec.ErrDot) {
		return nil
	}
	errno := syscall.ENOENT
	code := 127
	var en syscall.Errno
	switch {
	case errors.Is(err, exec.ErrNotFound), errors.Is(err, fs.ErrNotExist):
	case errors.Is(err, syscall.ENOTDIR):
		errno = syscall.ENOTDIR
	case errors.As(err, &en) && en != syscall.EISDIR:
		errno, code = en, 126
	default: // permission denied, a directory
		errno, code = syscall.EACCES, 126
	}
	if p == Tini {
		return &Reply{Stderr: tiniLine("FATAL", fmt.Sprintf("exec %s failed: %s", name, strerror(errno))) + "\n", Code: code}
	}
	return &Reply{Stderr: fmt.Sprintf("[dumb-init] %s: %s\n", name, strerror(errno)), Code: 2}
}

// strerror is the C library's wording of errno: Go's, capitalised.
func strerror(errno syscall.Errno) string {
	s := errno.Error()
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

// tiniRouter sends each line the supervisor logs to tini's stream for it:
// FATAL and WARN to stderr, INFO, DEBUG and TRACE to stdout. The Logger
// writes one whole line per Write.
type tiniRouter struct{ stdout, stderr io.Writer }

func (r *tiniRouter) Write(p []byte) (int, error) {
	for _, level := range []string{"[INFO ", "[DEBUG", "[TRACE"} {
		if bytes.HasPrefix(p, []byte(level)) {
			return r.stdout.Write(p)
		}
	}
	return r.stderr.Write(p)
}
