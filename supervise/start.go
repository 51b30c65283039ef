package supervise

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// ExecError is a command that could not be started. Err is the errno
// (ENOENT when a name without a slash was not found in PATH). Code is 127
// when it was not found and 126 when it was found but could not be
// executed, as a shell reports them.
type ExecError struct {
	Name string
	Err  error
	Code int
}

func (e *ExecError) Error() string {
	reason := e.Err.Error()
	if errors.Is(e.Err, unix.ENOENT) && !strings.Contains(e.Name, "/") {
		reason = "command not found in PATH"
	}
	return fmt.Sprintf("cannot run %q: %s", e.Name, reason)
}

// defaultPath is the search path execvp uses when PATH is unset.
const defaultPath = "/bin:/usr/bin"

// shell runs what execvp finds executable but not in a format the kernel
// knows (glibc's _PATH_BSHELL).
const shell = "/bin/sh"

// lookPath finds name the way execvp does: a name with a slash is used as it
// is; otherwise each PATH entry is tried, an empty entry (or an empty PATH)
// meaning the current directory, and a file found but not executable makes
// the result "permission denied" rather than "not found". The path is
// built as glibc builds it (DIR/NAME, or NAME for an empty entry), as the
// program sees it in $0 when it is a script run by /bin/sh.
func lookPath(name string) (string, error) {
	if name == "" {
		return "", &ExecError{Name: name, Err: unix.ENOENT, Code: 127}
	}
	if strings.Contains(name, "/") {
		return name, nil
	}
	path, ok := os.LookupEnv("PATH")
	if !ok {
		path = defaultPath
	}
	denied := false
	for _, dir := range strings.Split(path, ":") {
		p := name
		if dir != "" {
			p = dir + "/" + name
		}
		st, err := os.Stat(p)
		if err != nil || st.IsDir() {
			continue
		}
		if unix.Access(p, unix.X_OK) == nil {
			return p, nil
		}
		denied = true
	}
	if denied {
		return "", &ExecError{Name: name, Err: unix.EACCES, Code: 126}
	}
	return "", &ExecError{Name: name, Err: unix.ENOENT, Code: 127}
}

// execCode maps an execve error to the shell's exit code.
func execCode(err error) int {
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
		return 127
	}
	return 126
}

// startChild starts the command with the attributes the contract asks for:
// its own process group, in the terminal's foreground when stdin is
// sexton's controlling terminal (tty); or, with Setsid, its own session,
// which takes over the terminal when sexton has just released it (handOver).
func startChild(cfg *Config, tty, handOver bool) (pid int, err error) {
	path := cfg.Path
	if path == "" {
		if path, err = lookPath(cfg.Args[0]); err != nil {
			return 0, err
		}
	}
	attr := &syscall.SysProcAttr{}
	switch {
	case cfg.Setsid:
		attr.Setsid = true
		attr.Setctty, attr.Ctty = handOver, 0
	case tty:
		attr.Setpgid = true
		attr.Foreground = true
		attr.Ctty = 0
	default:
		attr.Setpgid = true
	}
	env := cfg.Env
	if env == nil {
		env = syscall.Environ()
	}
	// syscall.ForkExec, not os.StartProcess: the os package's first start
	// forks a throwaway child to find out whether the kernel has pidfds,
	// a second fork that every start of sexton would pay for.
	pa := &syscall.ProcAttr{Env: env, Files: []uintptr{0, 1, 2}, Sys: attr}
	pid, err = syscall.ForkExec(path, cfg.Args, pa)
	if errors.Is(err, unix.ENOEXEC) && cfg.Path == "" {
		// An executable file the kernel cannot run (a script without
		// "#!"): execvp runs it with the shell, and so does sexton.
		pid, err = syscall.ForkExec(shell, append([]string{shell, path}, cfg.Args[1:]...), pa)
	}
	if err != nil {
		return 0, &ExecError{Name: cfg.Args[0], Err: err, Code: execCode(err)}
	}
	return pid, nil
}

// releaseTerminal gives up stdin's terminal in session mode, as dumb-init
// does (TIOCNOTTY), so that the child's new session can take it: it
// returns the ioctl's error (ENOTTY when stdin is not sexton's controlling
// terminal) and whether sexton leads its session. Only then does the
// terminal become free, and the kernel sends SIGHUP and SIGCONT to sexton's
// process group, to be dropped once; otherwise sexton only detaches
// itself, and the terminal stays its session's.
func releaseTerminal() (leader bool, err error) {
	if err := unix.IoctlSetInt(0, unix.TIOCNOTTY, 0); err != nil {
		return false, err
	}
	sid, err := unix.Getsid(0)
	return err == nil && sid == os.Getpid(), nil
}

// session is what became of stdin's terminal before the main child
// started: handOver when sexton released it for the child's new session to
// take, and ctty, why the child does not get it (see childCtty).
type session struct {
	handOver bool
	ctty     error
}

// newSession releases stdin's terminal in session mode (Config.Setsid),
// says so, and arranges for the kernel's SIGHUP and SIGCONT to be dropped
// when that hands it over.
func (s *state) newSession() session {
	if !s.cfg.Setsid {
		return session{}
	}
	leader, err := releaseTerminal()
	s.emit(s.ev.TerminalReleased(err, leader))
	ses := session{handOver: err == nil && leader}
	if ses.handOver {
		s.swallow = map[unix.Signal]bool{unix.SIGHUP: true, unix.SIGCONT: true}
	}
	ses.ctty = childCtty(ses.handOver, err)
	return ses
}

// childCtty says why a child in a new session does not get stdin's
// terminal (nil: it does, handOver): a file that is not a terminal gets
// the errno of any terminal ioctl (ENOTTY, or EBADF when fd 0 is closed);
// a terminal that stays sexton's old session's (released, but sexton did
// not lead that session) cannot be taken without stealing it, EPERM; any
// other terminal is not sexton's to give (ErrTerminalNotOurs).
func childCtty(handOver bool, releaseErr error) error {
	if handOver {
		return nil
	}
	if _, err := unix.IoctlGetTermios(0, unix.TCGETS); err != nil {
		return err
	}
	if releaseErr == nil {
		return unix.EPERM
	}
	return ErrTerminalNotOurs
}

// leaveStartDir moves sexton to "/" and returns chdir's error.
func leaveStartDir() error {
	err := os.Chdir("/")
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// isControllingTerminal reports whether fd is our controlling terminal, the
// only kind whose foreground group can be set (a terminal that is not ours
// makes TIOCSPGRP fail with ENOTTY).
func isControllingTerminal(fd int) bool {
	_, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	return err == nil
}
