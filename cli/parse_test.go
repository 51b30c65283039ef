package cli

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestParseSexton(t *testing.T) {
	inv, err := ParseSexton(strings.Fields("-s -g -vv -e 3 -r TERM:QUIT --grace 2 -- cmd -x"), envOf())
	if err != nil {
		t.Fatal(err)
	}
	c := inv.Config
	if inv.Action != Run || !c.Subreaper || !c.Group || c.Log.Verbosity != 3 || !c.ZeroExit[3] ||
		c.Rewrite[unix.SIGTERM] != unix.SIGQUIT || c.Grace != 2*time.Second || strings.Join(c.Args, " ") != "cmd -x" {
		t.Errorf("got %+v", c)
	}
	// Sexton's own reading of the tini variables: 0/false mean off.
	inv, err = ParseSexton([]string{"cmd"}, envOf("TINI_SUBREAPER=0", "SEXTON_KILL_PROCESS_GROUP=1", "SEXTON_GRACE=0"))
	if err != nil || inv.Config.Subreaper || !inv.Config.Group || inv.Config.Grace != 0 || inv.Config.Setsid || inv.Config.JobControl {
		t.Errorf("env: %+v, %v", inv.Config, err)
	}
	for _, args := range []string{"", "--pause cmd", "--grace -1 cmd", "-e 256 cmd", "--nope cmd", "--grace 18446744074 cmd", "--grace 9999999999h cmd"} {
		if _, err := ParseSexton(strings.Fields(args), envOf()); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
	if inv, err := ParseSexton([]string{"--version"}, envOf()); err != nil || inv.Action != Version {
		t.Errorf("--version: %v %v", inv.Action, err)
	}
}

// glibc's rules, without permuting: long options abbreviated or with
// =VALUE, arguments attached or not, and the options stop at the program.
func TestParseSextonRules(t *testing.T) {
	inv, err := ParseSexton(strings.Fields("--gr=3 --remap=4 -e5 -vsv --pdeath TERM cmd -v --grace 9"), envOf())
	c := inv.Config
	if err != nil || c.Grace != 3*time.Second || !c.ZeroExit[4] || !c.ZeroExit[5] || c.Log.Verbosity != 3 ||
		!c.Subreaper || c.ParentDeath != unix.SIGTERM || strings.Join(c.Args, " ") != "cmd -v --grace 9" {
		t.Errorf("got %+v, %v", c, err)
	}
	for args, want := range map[string]string{
		"--bogus cmd":      "unrecognized option '--bogus'",
		"-sx cmd":          "invalid option -- 'x'",
		"-p":               "option requires an argument -- 'p'",
		"--grace":          "option '--grace' requires an argument",
		"--p cmd":          "option '--p' is ambiguous",
		"--pause=1":        "option '--pause' doesn't allow an argument",
		"--remap-exit x c": `--remap-exit: exit code "x"`,
		"-p NOPE cmd":      `-p: unknown signal "NOPE"`,
		"-\x01 cmd":        "invalid option",
	} {
		_, err := ParseSexton(strings.Fields(args), envOf())
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one containing %q", args, err, want)
		}
	}
}

func TestHelpMentionsPersonalities(t *testing.T) {
	h := helpText("sexton")
	for _, s := range []string{"tini", "docker-init", "dumb-init"} {
		if !strings.Contains(h, s) {
			t.Errorf("help does not mention %s", s)
		}
	}
}

// The information flags answer whatever junk the environment holds: a
// broken SEXTON_GRACE must not hide --help (the way to learn what it takes).
func TestInformationFlagsIgnoreTheEnvironment(t *testing.T) {
	junk := envOf("SEXTON_VERBOSITY=loud", "TINI_VERBOSITY=-x", "SEXTON_GRACE=soon")
	for args, want := range map[string]Action{"--help": Help, "-h": Help, "--version": Version, "--license": License, "-l": License, "-s -h": Help} {
		inv, err := ParseSexton(strings.Fields(args), junk)
		if err != nil || inv.Action != want {
			t.Errorf("%s with junk in the environment: action %v, error %v; want action %v", args, inv.Action, err, want)
		}
	}
	// Running something still reports the junk.
	for _, env := range []Env{envOf("SEXTON_VERBOSITY=loud"), envOf("SEXTON_GRACE=soon"), envOf("SEXTON_GRACE=18446744074")} {
		if _, err := ParseSexton([]string{"cmd"}, env); err == nil {
			t.Errorf("junk in the environment accepted for a run")
		}
	}
}
