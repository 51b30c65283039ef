package cli

import (
	"fmt"
	"os"
	"reflect"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/reap"
	"github.com/sexton-init/sexton/signals"
	"github.com/sexton-init/sexton/supervise"
)

func texts(lines []supervise.Line) []string {
	var out []string
	for _, l := range lines {
		out = append(out, fmt.Sprintf("%d %s", l.Stream, l.Text))
	}
	return out
}

// tini's lines, levels and streams (0 stderr, 1 stdout), as tini 0.19
// prints them (compat/ compares with the real one).
func TestTiniEvents(t *testing.T) {
	p := fmt.Sprintf("tini (%d)]", os.Getpid())
	e := newTiniEvents(4, true)
	exited := reap.Exit{PID: 7, Status: unix.WaitStatus(3 << 8)}
	killed := reap.Exit{PID: 7, Status: unix.WaitStatus(unix.SIGUSR1)}
	for _, c := range []struct {
		got  []supervise.Line
		want []string
	}{
		{e.NotReaper(), []string{"0 [WARN  " + p + " Tini is not running as PID 1 and isn't registered as a child subreaper.",
			"0 Zombie processes will not be re-parented to Tini, so zombie reaping won't work.",
			"0 To fix the problem, use the -s option or set the environment variable TINI_SUBREAPER to register Tini as a child subreaper, or run Tini as PID 1."}},
		{e.Subreaper(), []string{"1 [TRACE " + p + " Registered as child subreaper"}},
		{e.Spawned(supervise.Child{Name: "sh", PID: 7}), []string{"1 [INFO  " + p + " Spawned child process 'sh' with pid '7'"}},
		{e.Received(unix.SIGCHLD), []string{"1 [DEBUG " + p + " Received SIGCHLD"}},
		{e.Received(unix.SIGTERM), nil},
		{e.Forwarding(unix.SIGTERM, unix.SIGTERM, 7), []string{"1 [DEBUG " + p + " Passing signal: 'Terminated'"}},
		{e.Forwarded(unix.SIGTERM, unix.SIGTERM, 7, nil), nil},
		{e.Forwarded(unix.SIGTERM, unix.SIGTERM, 7, unix.ESRCH), []string{"0 [WARN  " + p + " Child was dead when forwarding signal"}},
		{e.Reaped(exited, true), []string{"1 [DEBUG " + p + " Reaped child with pid: '7'", "1 [INFO  " + p + " Main child exited normally (with status '3')"}},
		{e.Reaped(killed, true), []string{"1 [DEBUG " + p + " Reaped child with pid: '7'", "1 [INFO  " + p + " Main child exited with signal (with signal 'User defined signal 1')"}},
		{e.Reaped(exited, false), []string{"1 [DEBUG " + p + " Reaped child with pid: '7'", "0 [WARN  " + p + " Reaped zombie process with pid=7"}},
		{e.ReapDone(true), []string{"1 [TRACE " + p + " No child to reap"}},
		{e.ReapDone(false), []string{"1 [TRACE " + p + " No child to wait"}},
		{e.Exiting(3), []string{"1 [TRACE " + p + " Exiting: child has exited"}},
		{newTiniEvents(2, false).Reaped(exited, false), nil},
		{newTiniEvents(0, true).NotReaper(), nil},
	} {
		if got := texts(c.got); !reflect.DeepEqual(got, c.want) {
			t.Errorf("got %q\nwant %q", got, c.want)
		}
	}
}

// dumb-init's lines, all on stderr and only with -v; its translations
// come from its own rewrite table, not sexton's identity rules.
func TestDumbInitEvents(t *testing.T) {
	voice := supervise.Voice{Verbosity: int(supervise.Debug), Format: dumbInitFormat}
	e := dumbInitEvents{SextonEvents: supervise.SextonEvents{Voice: voice},
		remap: signals.Rewrite{unix.SIGUSR1: unix.SIGUSR2, unix.SIGUSR2: 0, unix.SIGTERM: unix.SIGUSR1}, envDebug: true}
	for _, c := range []struct {
		got  []supervise.Line
		want []string
	}{
		{e.Starting(), []string{"0 [dumb-init] Running in debug mode."}},
		{e.NotReaper(), nil},
		{e.TerminalReleased(unix.ENOTTY, false), []string{"0 [dumb-init] Unable to detach from controlling tty (errno=25 Inappropriate ioctl for device)."}},
		{e.TerminalReleased(nil, true), []string{"0 [dumb-init] Detached from controlling tty, ignoring the first SIGHUP and SIGCONT we receive."}},
		{e.TerminalReleased(nil, false), []string{"0 [dumb-init] Detached from controlling tty, but was not session leader."}},
		{e.Spawned(supervise.Child{PID: 7, Setsid: true, CttyErr: unix.EPERM}), []string{"0 [dumb-init] Child spawned with PID 7.",
			"0 [dumb-init] Unable to attach to controlling tty (errno=1 Operation not permitted).", "0 [dumb-init] setsid complete."}},
		{e.Spawned(supervise.Child{PID: 7, Setsid: true}), []string{"0 [dumb-init] Child spawned with PID 7.", "0 [dumb-init] setsid complete."}},
		{e.Spawned(supervise.Child{PID: 7}), []string{"0 [dumb-init] Child spawned with PID 7."}},
		{e.LeftStartDir(nil), nil},
		{e.Received(unix.SIGCHLD), []string{"0 [dumb-init] Received signal 17."}},
		{e.HandOff(unix.SIGHUP), []string{"0 [dumb-init] Ignoring tty hand-off signal 1."}},
		{e.Forwarding(unix.SIGUSR1, unix.SIGUSR2, -7), []string{"0 [dumb-init] Translating signal 10 to 12."}},
		{e.Forwarding(unix.SIGUSR2, 0, -7), []string{"0 [dumb-init] Translating signal 12 to 0.", "0 [dumb-init] Not forwarding signal 0 to children (ignored)."}},
		{e.Forwarding(unix.SIGTTIN, unix.SIGTTIN, -7), nil},
		{e.Forwarded(unix.SIGUSR1, unix.SIGUSR2, -7, unix.ESRCH), []string{"0 [dumb-init] Forwarded signal 12 to children."}},
		{e.Suspending(), []string{"0 [dumb-init] Suspending self due to TTY signal."}},
		{e.Reaped(reap.Exit{PID: 7, Status: unix.WaitStatus(3 << 8)}, true), []string{"0 [dumb-init] A child with PID 7 exited with exit status 3."}},
		{e.Reaped(reap.Exit{PID: 8, Status: unix.WaitStatus(unix.SIGKILL)}, false), []string{"0 [dumb-init] A child with PID 8 was terminated by signal 9."}},
		{e.Finished(3, true), []string{"0 [dumb-init] Child exited with status 3. Goodbye."}},
		{e.Finished(3, false), []string{"0 [dumb-init] Translating signal 15 to 10.", "0 [dumb-init] Forwarded signal 10 to children.",
			"0 [dumb-init] Child exited with status 3. Goodbye."}},
		{dumbInitEvents{SextonEvents: supervise.SextonEvents{Voice: supervise.Voice{Verbosity: 1}}}.Received(unix.SIGTERM), nil},
	} {
		if got := texts(c.got); !reflect.DeepEqual(got, c.want) {
			t.Errorf("got %q\nwant %q", got, c.want)
		}
	}
}
