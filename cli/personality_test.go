package cli

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/signals"
	"github.com/sexton-init/sexton/supervise"
)

func envOf(kv ...string) Env {
	m := map[string]string{}
	for _, s := range kv {
		k, v, _ := strings.Cut(s, "=")
		m[k] = v
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestPersonalityOf(t *testing.T) {
	for name, want := range map[string]Personality{
		"tini": Tini, "/sbin/tini": Tini, "tini-static": Tini, "/usr/bin/docker-init": Tini,
		"dumb-init": DumbInit, "/usr/local/bin/dumb-init": DumbInit,
		"sexton": Sexton, "/sbin/init": Sexton, "tini2": Sexton,
	} {
		if got := PersonalityOf(name); got != want {
			t.Errorf("PersonalityOf(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestGnuGetopt(t *testing.T) {
	long := []gnuLong{{name: "verbose", short: 'v'}, {name: "version", short: 'V'}, {name: "rewrite", hasArg: true, short: 'r'}}
	for _, tc := range []struct {
		args     string
		permute  bool
		long     bool
		opts     string // opt[=arg] or !err, space separated
		operands string
	}{
		{"-vv -e3 -e 4 cmd a", true, false, "v v e=3 e=4", "cmd a"},
		{"cmd -v a", true, false, "v", "cmd a"},
		{"cmd -v a", false, false, "", "cmd -v a"},
		{"-v -- -x", true, false, "v", "-x"},
		{"- -v", true, false, "v", "-"},
		{"-x -v", true, false, "!invalid option -- 'x'", ""},
		{"-e", true, false, "!option requires an argument -- 'e'", ""},
		{"--bogus", true, false, "!invalid option -- '-'", ""}, // no long options: '-' is a letter
		{"--verb x", false, true, "v", "x"},
		{"--ver x", false, true, "!option '--ver' is ambiguous; possibilities: '--verbose' '--version'", ""},
		{"--version=1", false, true, "!option '--version' doesn't allow an argument", ""},
		{"--rew=1:2 --rewrite 3:4 x", false, true, "r=1:2 r=3:4", "x"},
		{"--rewrite", false, true, "!option '--rewrite' requires an argument", ""},
		{"--nope=1", false, true, "!unrecognized option '--nope=1'", ""},
	} {
		var l []gnuLong
		if tc.long {
			l = long
		}
		opts, operands := gnuGetopt(strings.Fields(tc.args), "e:vV", l, tc.permute)
		var got []string
		for _, o := range opts {
			switch {
			case o.err != "":
				got = append(got, "!"+o.err)
			case o.arg != "":
				got = append(got, string(o.opt)+"="+o.arg)
			default:
				got = append(got, string(o.opt))
			}
		}
		g := strings.Join(got, " ")
		if strings.HasPrefix(tc.opts, "!") {
			if i := strings.LastIndex(g, "!"); i < 0 || g[i:] != tc.opts {
				t.Errorf("%q: options %q, want error %q", tc.args, g, tc.opts)
			}
			continue
		}
		if g != tc.opts || strings.Join(operands, " ") != tc.operands {
			t.Errorf("%q (permute %v): got %q / %q, want %q / %q", tc.args, tc.permute, g, operands, tc.opts, tc.operands)
		}
	}
}

func TestParseTini(t *testing.T) {
	pid := os.Getpid()
	for _, tc := range []struct {
		args string
		env  []string
		want func(c *supervise.Config) // nil: expect the reply below
		rep  Reply
	}{
		{args: "tini -- cmd a", want: func(c *supervise.Config) {
			c.Args = []string{"cmd", "a"}
		}},
		{args: "tini -s -g -w -vv -e 3 -e 143 -p SIGKILL cmd", want: func(c *supervise.Config) {
			c.Args = []string{"cmd"}
			c.Subreaper, c.Group, c.WarnOnReap, c.ParentDeath = true, true, true, unix.SIGKILL
			c.ZeroExit = map[int]bool{3: true, 143: true}
			c.Log.Verbosity = 3
		}},
		{args: "tini cmd -s", want: func(c *supervise.Config) { // glibc permutes
			c.Args = []string{"cmd"}
			c.Subreaper = true
		}},
		{args: "tini cmd -s", env: []string{"POSIXLY_CORRECT="}, want: func(c *supervise.Config) {
			c.Args = []string{"cmd", "-s"}
		}},
		{args: "tini -vvv cmd", env: []string{"TINI_VERBOSITY=1", "TINI_SUBREAPER=", "TINI_KILL_PROCESS_GROUP=0"}, want: func(c *supervise.Config) {
			c.Args = []string{"cmd"}
			c.Subreaper, c.Group = true, true // set at all counts, as in tini
			c.Log.Verbosity = 1               // the environment wins over -v
		}},
		{args: "tini cmd", env: []string{"TINI_VERBOSITY=junk", "SEXTON_GRACE=0"}, want: func(c *supervise.Config) {
			c.Args = []string{"cmd"}
			c.Log.Verbosity = 0
			c.Grace = 0
		}},
		{args: "tini --version", rep: Reply{Stdout: "tini version 0.19.0 (sexton v1)\n"}},
		{args: "tini -h -x", rep: Reply{Stdout: tiniUsage("tini", "v1")}},
		{args: "/sbin/docker-init -x -h", rep: Reply{Stderr: "/sbin/docker-init: invalid option -- 'x'\n" + tiniUsage("docker-init", "v1"), Code: 1}},
		{args: "tini --version cmd", rep: Reply{Stderr: "tini: invalid option -- '-'\n" + tiniUsage("tini", "v1"), Code: 1}},
		{args: "tini -e", rep: Reply{Stderr: "tini: option requires an argument -- 'e'\n" + tiniUsage("tini", "v1"), Code: 1}},
		{args: "tini -v", rep: Reply{Stderr: tiniUsage("tini", "v1"), Code: 1}},
		{args: "tini -e 256 cmd", rep: Reply{Stderr: fmt.Sprintf("[FATAL tini (%d)] Not a valid option for -e: 256\n", pid), Code: 1}},
		{args: "tini -e 3x cmd", rep: Reply{Stderr: fmt.Sprintf("[FATAL tini (%d)] Not a valid option for -e: 3x\n", pid), Code: 1}},
		{args: "tini -p KILL cmd", rep: Reply{Stderr: fmt.Sprintf("[FATAL tini (%d)] Not a valid option for -p: KILL\n", pid), Code: 1}},
		{args: "tini -p 9 cmd", rep: Reply{Stderr: fmt.Sprintf("[FATAL tini (%d)] Not a valid option for -p: 9\n", pid), Code: 1}},
		{args: "tini cmd", env: []string{"SEXTON_GRACE=18446744074"}, rep: Reply{Stderr: fmt.Sprintf("[FATAL tini (%d)] SEXTON_GRACE: grace period \"18446744074\" is too long: at most 9223372036 seconds\n", pid), Code: 1}},
		{args: "tini cmd", env: []string{"SEXTON_GRACE=soon"}, rep: Reply{Stderr: fmt.Sprintf("[FATAL tini (%d)] SEXTON_GRACE: grace period \"soon\" is not a duration such as 5s or 1500ms\n", pid), Code: 1}},
	} {
		inv, rep := ParseTini(strings.Fields(tc.args), envOf(tc.env...), "v1")
		if tc.want == nil {
			if rep == nil || *rep != tc.rep {
				t.Errorf("%s %v: reply %+v, want %+v", tc.args, tc.env, rep, tc.rep)
			}
			continue
		}
		if rep != nil {
			t.Errorf("%s %v: unexpected reply %+v", tc.args, tc.env, rep)
			continue
		}
		want := supervise.Config{ZeroExit: map[int]bool{}, Rewrite: signals.Rewrite{}, Grace: DefaultGrace,
			Log: &supervise.Logger{Verbosity: 1}}
		tc.want(&want)
		got := inv.Config
		if got.Log == nil || got.Log.Format == nil {
			t.Errorf("%s: no tini log format", tc.args)
			continue
		}
		if got.Log.Verbosity != want.Log.Verbosity {
			t.Errorf("%s %v: verbosity %d, want %d", tc.args, tc.env, got.Log.Verbosity, want.Log.Verbosity)
		}
		if ev, ok := got.Events.(tiniEvents); !ok || ev.Voice.Verbosity != want.Log.Verbosity || ev.WarnOnReap != want.WarnOnReap {
			t.Errorf("%s %v: events %+v, want tini's at verbosity %d", tc.args, tc.env, got.Events, want.Log.Verbosity)
		}
		got.Log, want.Log, got.Events = nil, nil, nil
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s %v:\n got %+v\nwant %+v", tc.args, tc.env, got, want)
		}
	}
}

func TestTiniFormat(t *testing.T) {
	pid := os.Getpid()
	for kind, want := range map[string]string{"error": "[FATAL tini (%d)] m", "warning": "[WARN  tini (%d)] m",
		"info": "[INFO  tini (%d)] m", "debug": "[DEBUG tini (%d)] m", "trace": "[TRACE tini (%d)] m"} {
		if got := tiniFormat(kind, "m"); got != fmt.Sprintf(want, pid) {
			t.Errorf("tiniFormat(%q) = %q", kind, got)
		}
	}
	var out, errs strings.Builder
	l := &supervise.Logger{Verbosity: 4, Format: tiniFormat, W: &errs, InfoW: &out}
	l.Errorf("e")
	l.Warnf("w")
	l.Printf(supervise.Info, "i")
	l.Printf(supervise.Debug, "d")
	l.Printf(supervise.Trace, "t")
	if n := len(strings.Split(strings.TrimSpace(errs.String()), "\n")); n != 2 || !strings.Contains(errs.String(), "FATAL") || !strings.Contains(errs.String(), "WARN ") {
		t.Errorf("stderr got %q, want the FATAL and WARN lines (%d)", errs.String(), n)
	}
	if n := len(strings.Split(strings.TrimSpace(out.String()), "\n")); n != 3 {
		t.Errorf("stdout got %q, want the INFO, DEBUG and TRACE lines", out.String())
	}
}

func TestParseDumbInit(t *testing.T) {
	rewriteHelp := "Usage: -r option takes <signum>:<signum>, where <signum> is between 1 and 31.\n" +
		"This option can be specified multiple times.\nUse --help for full usage.\n"
	base := func() signals.Rewrite {
		r := signals.Rewrite{}
		for _, s := range dumbInitRelayed {
			r[s] = s
		}
		return r
	}
	stops := func(r signals.Rewrite) signals.Rewrite {
		r[unix.SIGTSTP], r[unix.SIGTTIN], r[unix.SIGTTOU] = unix.SIGSTOP, unix.SIGSTOP, unix.SIGSTOP
		return r
	}
	for _, tc := range []struct {
		args string
		env  []string
		want func(c *supervise.Config)
		rep  Reply
	}{
		{args: "dumb-init cmd -c", want: func(c *supervise.Config) {
			c.Args = []string{"cmd", "-c"} // dumb-init stops at the program
		}},
		{args: "dumb-init -c -v cmd", want: func(c *supervise.Config) {
			c.Args = []string{"cmd"}
			c.Setsid, c.Group, c.Rewrite = false, false, base()
			c.Log.Verbosity = 3
		}},
		{args: "dumb-init --single-child cmd", env: []string{"DUMB_INIT_DEBUG=yes"}, want: func(c *supervise.Config) {
			c.Args = []string{"cmd"}
			c.Setsid, c.Group, c.Rewrite = false, false, base()
		}},
		{args: "dumb-init cmd", env: []string{"DUMB_INIT_SETSID=0", "DUMB_INIT_DEBUG=1"}, want: func(c *supervise.Config) {
			c.Args = []string{"cmd"}
			c.Setsid, c.Group, c.Rewrite = false, false, base()
			c.Log.Verbosity = 3
		}},
		{args: "dumb-init cmd", env: []string{"DUMB_INIT_SETSID=false"}, want: func(c *supervise.Config) {
			c.Args = []string{"cmd"}
		}},
		{args: "dumb-init -r 15:3 --rewrite=20:0 -r 21:21 --rew 10:12 -- cmd", env: []string{"SEXTON_GRACE=1500ms"}, want: func(c *supervise.Config) {
			c.Args = []string{"cmd"}
			c.Rewrite[unix.SIGTERM] = unix.SIGQUIT
			c.Rewrite[unix.SIGTSTP] = 0
			c.Rewrite[unix.SIGTTIN] = unix.SIGTTIN
			c.Rewrite[unix.SIGUSR1] = unix.SIGUSR2
			c.Grace = 1500 * time.Millisecond
		}},
		{args: "dumb-init -h -x", rep: Reply{Stderr: dumbInitHelp("dumb-init", "v1")}},
		{args: "dumb-init --version", rep: Reply{Stderr: "dumb-init v1.2.5 (sexton v1)\n"}},
		{args: "dumb-init -V", rep: Reply{Stderr: "dumb-init v1.2.5 (sexton v1)\n"}},
		{args: "/bin/dumb-init --bogus cmd", rep: Reply{Stderr: "/bin/dumb-init: unrecognized option '--bogus'\n", Code: 1}},
		{args: "dumb-init -x -h", rep: Reply{Stderr: "dumb-init: invalid option -- 'x'\n", Code: 1}},
		{args: "dumb-init -r 15 cmd", rep: Reply{Stderr: rewriteHelp, Code: 1}},
		{args: "dumb-init -r 0:3 cmd", rep: Reply{Stderr: rewriteHelp, Code: 1}},
		{args: "dumb-init -r 15:32 cmd", rep: Reply{Stderr: rewriteHelp, Code: 1}},
		{args: "dumb-init -r TERM:QUIT cmd", rep: Reply{Stderr: rewriteHelp, Code: 1}},
		{args: "dumb-init -v", rep: Reply{Stderr: "Usage: dumb-init [option] program [args]\nTry dumb-init --help for full usage.\n", Code: 1}},
	} {
		inv, rep := ParseDumbInit(strings.Fields(tc.args), envOf(tc.env...), "v1")
		if tc.want == nil {
			if rep == nil || *rep != tc.rep {
				t.Errorf("%s %v: reply %+v, want %+v", tc.args, tc.env, rep, tc.rep)
			}
			continue
		}
		if rep != nil {
			t.Errorf("%s %v: unexpected reply %+v", tc.args, tc.env, rep)
			continue
		}
		want := supervise.Config{ZeroExit: map[int]bool{}, Rewrite: stops(base()), Grace: DefaultGrace,
			Setsid: true, Group: true, JobControl: true, NoOrphanWarning: true, ChdirRoot: true, Log: &supervise.Logger{Verbosity: 1}}
		tc.want(&want)
		got := inv.Config
		if got.Log == nil || got.Log.Format == nil || got.Log.Format("debug", "m") != "[dumb-init] m" {
			t.Errorf("%s: not dumb-init's log format", tc.args)
			continue
		}
		if got.Log.Verbosity != want.Log.Verbosity {
			t.Errorf("%s %v: verbosity %d, want %d", tc.args, tc.env, got.Log.Verbosity, want.Log.Verbosity)
		}
		if ev, ok := got.Events.(dumbInitEvents); !ok || ev.Voice.Verbosity != want.Log.Verbosity {
			t.Errorf("%s %v: events %+v, want dumb-init's at verbosity %d", tc.args, tc.env, got.Events, want.Log.Verbosity)
		}
		got.Log, want.Log, got.Events = nil, nil, nil
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s %v:\n got %+v\nwant %+v", tc.args, tc.env, got, want)
		}
	}
}

func TestParseDumbInitRewrite(t *testing.T) {
	for s, ok := range map[string]bool{"15:3": true, " 15: 3": true, "+15:3junk": true, "15:0": true, "31:31": true,
		"15 :3": false, "15": false, ":3": false, "0:3": false, "15:-1": false, "32:1": false, "a:b": false} {
		if _, _, got := parseDumbInitRewrite(s); got != ok {
			t.Errorf("parseDumbInitRewrite(%q) ok = %v, want %v", s, got, ok)
		}
	}
}

func TestExecFailed(t *testing.T) {
	pid := os.Getpid()
	for _, tc := range []struct {
		p      Personality
		ee     supervise.ExecError
		stderr string
		code   int
		zero   map[int]bool // -e
	}{
		{Tini, supervise.ExecError{Name: "/nonexistent", Err: unix.ENOENT, Code: 127},
			fmt.Sprintf("[FATAL tini (%d)] exec /nonexistent failed: No such file or directory\n", pid), 0, map[int]bool{127: true}},
		{Tini, supervise.ExecError{Name: "/tmp", Err: unix.EACCES, Code: 126},
			fmt.Sprintf("[FATAL tini (%d)] exec /tmp failed: Permission denied\n", pid), 126, map[int]bool{127: true}},
		{DumbInit, supervise.ExecError{Name: "/nonexistent", Err: unix.ENOENT, Code: 127},
			"[dumb-init] /nonexistent: No such file or directory\n", 2, map[int]bool{127: true}},
		{Tini, supervise.ExecError{Name: "/nonexistent", Err: unix.ENOENT, Code: 127},
			fmt.Sprintf("[FATAL tini (%d)] exec /nonexistent failed: No such file or directory\n", pid), 127, nil},
		{Tini, supervise.ExecError{Name: "no-such-command", Err: unix.ENOENT, Code: 127},
			fmt.Sprintf("[FATAL tini (%d)] exec no-such-command failed: No such file or directory\n", pid), 127, nil},
		{Tini, supervise.ExecError{Name: "/tmp", Err: unix.EACCES, Code: 126},
			fmt.Sprintf("[FATAL tini (%d)] exec /tmp failed: Permission denied\n", pid), 126, nil},
		{DumbInit, supervise.ExecError{Name: "/nonexistent", Err: unix.ENOENT, Code: 127},
			"[dumb-init] /nonexistent: No such file or directory\n", 2, nil},
		{DumbInit, supervise.ExecError{Name: "plain", Err: unix.EACCES, Code: 126},
			"[dumb-init] plain: Permission denied\n", 2, nil},
	} {
		var errs strings.Builder
		format := tiniFormat
		if tc.p == DumbInit {
			format = dumbInitFormat
		}
		// Errors show even at verbosity 0, as tini's FATAL lines do.
		log := &supervise.Logger{Verbosity: 0, Format: format, W: &errs}
		if code := execFailed(tc.p, log, tc.zero)(&tc.ee); code != tc.code || errs.String() != tc.stderr {
			t.Errorf("execFailed(%v, %s) = %d, %q; want %d, %q", tc.p, tc.ee.Name, code, errs.String(), tc.code, tc.stderr)
		}
	}
}
