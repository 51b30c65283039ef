package e2e

import (
	"strings"
	"testing"

	"github.com/sexton-init/sexton/internal/testutil"
)

func TestExitStatus(t *testing.T) {
	cases := []struct {
		name   string
		argv   []string
		code   int
		stderr string // a substring of the one line expected, or "" for none
	}{
		{"plain", []string{"--", "sh", "-c", "exit 3"}, 3, ""},
		{"signal death", []string{"--", "sh", "-c", "kill -KILL $$"}, 137, ""},
		{"remapped", []string{"-e", "3", "-e", "4", "--", "sh", "-c", "exit 4"}, 0, ""},
		{"remapped signal death", []string{"-e", "143", "--", "sh", "-c", "kill -TERM $$"}, 0, ""},
		{"not found", []string{"--", "no-such-command-xyz"}, 127, `cannot run "no-such-command-xyz": command not found in PATH`},
		{"not executable", []string{"--", "/etc/passwd"}, 126, `cannot run "/etc/passwd": permission denied`},
		{"missing path", []string{"--", "/no/such/file"}, 127, `cannot run "/no/such/file": no such file or directory`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ns := testutil.Start(t, testutil.Spec{Args: cmdline(sexton(t), c.argv)})
			if code := ns.Wait(limit); code != c.code {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", code, c.code, ns.Stderr())
			}
			lines := testutil.Lines(ns.Stderr())
			switch {
			case c.stderr == "" && len(lines) != 0:
				t.Fatalf("unexpected stderr:\n%s", ns.Stderr())
			case c.stderr != "" && (len(lines) != 1 || !strings.Contains(lines[0], c.stderr)):
				t.Fatalf("stderr %q, want one line containing %q", ns.Stderr(), c.stderr)
			}
		})
	}
}

// Bad input: one line naming the problem, exit 1, nothing started.
func TestBadInput(t *testing.T) {
	marker := t.TempDir() + "/started"
	cmd := []string{"touch", marker}
	cases := []struct {
		argv []string
		want string
	}{
		{cmdline([]string{"--bogus"}, cmd), "unrecognized option '--bogus'"},
		{cmdline([]string{"-x"}, cmd), "invalid option -- 'x'"},
		{nil, "no command given"},
		{[]string{"--"}, "no command given"},
		{[]string{"-p"}, "option requires an argument -- 'p'"},
		{cmdline([]string{"-p", "SIGNOPE"}, cmd), `-p: unknown signal "SIGNOPE"`},
		{cmdline([]string{"-p", "65"}, cmd), "signal number 65 out of range"},
		{cmdline([]string{"-e", "256"}, cmd), `exit code "256" is not a number from 0 to 255`},
		{cmdline([]string{"-e", "x"}, cmd), `exit code "x" is not a number`},
		{cmdline([]string{"--grace", "-1s"}, cmd), "is negative"},
		{cmdline([]string{"--grace", "soon"}, cmd), "is not a duration"},
		{cmdline([]string{"-r", "TERM"}, cmd), "is not FROM:TO"},
		{cmdline([]string{"-r", "TERM:BOGUS"}, cmd), `unknown signal "BOGUS"`},
		{cmdline([]string{"--pause"}, cmd), "--pause runs no command"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.argv, " "), func(t *testing.T) {
			cmd := startDirect(t, cmdline(sexton(t), c.argv))
			if code := waitDirect(t, cmd); code != 1 {
				t.Fatalf("exit code %d, want 1", code)
			}
			lines := testutil.Lines(stderrOf(cmd))
			if len(lines) != 1 || !strings.Contains(lines[0], c.want) || !strings.Contains(lines[0], "--help") {
				t.Fatalf("stderr %q, want one line with %q and a pointer to --help", stderrOf(cmd), c.want)
			}
		})
	}
	if testutil.ReadFile(marker) != "" {
		t.Fatal("a command was started on bad input")
	}
}

// Bad environment variables are reported like bad flags.
func TestBadEnvironment(t *testing.T) {
	for _, env := range []string{"TINI_VERBOSITY=loud", "SEXTON_GRACE=forever"} {
		t.Run(env, func(t *testing.T) {
			argv := cmdline(sexton(t), []string{"true"})
			cmd := startDirect(t, append([]string{"/usr/bin/env", env}, argv...))
			if code := waitDirect(t, cmd); code != 1 {
				t.Fatalf("exit code %d, want 1", code)
			}
			name, _, _ := strings.Cut(env, "=")
			if lines := testutil.Lines(stderrOf(cmd)); len(lines) != 1 || !strings.Contains(lines[0], name) {
				t.Fatalf("stderr %q, want one line naming %s", stderrOf(cmd), name)
			}
		})
	}
}

// -h, --help, --version, -l and --license print and exit 0 without running
// anything.
func TestInformationFlags(t *testing.T) {
	marker := t.TempDir() + "/started"
	for flag, want := range map[string]string{"-h": "Usage:", "--help": "--grace DURATION", "--version": "sexton ",
		"-l": "MIT License", "--license": "Permission is hereby granted"} {
		cmd := startDirect(t, cmdline(sexton(t, flag), []string{"touch", marker}))
		if code := waitDirect(t, cmd); code != 0 {
			t.Fatalf("%s: exit code %d", flag, code)
		}
		if out := stdoutOf(cmd); !strings.Contains(out, want) {
			t.Fatalf("%s printed %q, want it to contain %q", flag, out, want)
		}
	}
	if testutil.ReadFile(marker) != "" {
		t.Fatal("an information flag started the command")
	}
}
