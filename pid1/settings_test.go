package pid1

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sexton-init/sexton/supervise"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestApplyEnv(t *testing.T) {
	base := settings{mode: always, grace: DefaultGrace, verbosity: 1, subreaper: true}
	tests := []struct {
		env  map[string]string
		want settings
	}{
		{nil, base},
		{map[string]string{"SEXTON_PID1": "never"}, settings{mode: never, grace: DefaultGrace, verbosity: 1, subreaper: true}},
		{map[string]string{"SEXTON_PID1": " Auto "}, settings{mode: auto, grace: DefaultGrace, verbosity: 1, subreaper: true}},
		{map[string]string{"SEXTON_PID1": "0"}, settings{mode: never, grace: DefaultGrace, verbosity: 1, subreaper: true}},
		{map[string]string{"SEXTON_GRACE": "1500ms"}, settings{mode: always, grace: 1500 * time.Millisecond, verbosity: 1, subreaper: true}},
		{map[string]string{"SEXTON_GRACE": "10"}, settings{mode: always, grace: 10 * time.Second, verbosity: 1, subreaper: true}},
		{map[string]string{"SEXTON_GRACE": "0"}, settings{mode: always, grace: 0, verbosity: 1, subreaper: true}},
		{map[string]string{"SEXTON_VERBOSITY": "3"}, settings{mode: always, grace: DefaultGrace, verbosity: 3, subreaper: true}},
		{map[string]string{"SEXTON_SUBREAPER": "no"}, settings{mode: always, grace: DefaultGrace, verbosity: 1}},
		{map[string]string{"SEXTON_SUBREAPER": ""}, base},
	}
	for _, tc := range tests {
		s := base
		if err := applyEnv(&s, envOf(tc.env)); err != nil {
			t.Errorf("%v: %v", tc.env, err)
			continue
		}
		if s.mode != tc.want.mode || s.grace != tc.want.grace || s.verbosity != tc.want.verbosity || s.subreaper != tc.want.subreaper {
			t.Errorf("%v: got %+v, want %+v", tc.env, s, tc.want)
		}
	}
	for _, bad := range []map[string]string{
		{"SEXTON_PID1": "sometimes"},
		{"SEXTON_GRACE": "soon"},
		{"SEXTON_GRACE": "-1s"},
		{"SEXTON_VERBOSITY": "-1"},
		{"SEXTON_VERBOSITY": "loud"},
	} {
		s := base
		if err := applyEnv(&s, envOf(bad)); err == nil {
			t.Errorf("%v: no error", bad)
		} else {
			t.Logf("%v: %v", bad, err)
		}
	}
}

func TestConfig(t *testing.T) {
	s := settings{grace: time.Second, verbosity: 2, subreaper: true, warnOnReap: true}
	Configure(func(c *supervise.Config) {
		c.Group = true
		c.Args = []string{"ignored"}
		c.Pause = true
	})(&s)
	cfg := config(&s, []string{"/bin/prog", "a"})
	if cfg.Grace != time.Second || !cfg.Subreaper || !cfg.WarnOnReap || !cfg.Group ||
		cfg.Log == nil || cfg.Log.Verbosity != 2 || cfg.Pause ||
		len(cfg.Args) != 2 || cfg.Args[0] != "/bin/prog" {
		t.Errorf("config: %+v", cfg)
	}
}

func TestExecutableIsTheRunningFile(t *testing.T) {
	self, err := os.Stat("/proc/self/exe")
	if err != nil {
		t.Skip("no /proc")
	}
	got, err := executable()
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(got); err != nil || !os.SameFile(st, self) {
		t.Errorf("executable() = %q, not this program's file", got)
	}
}

func TestChildEnv(t *testing.T) {
	got := childEnv([]string{"A=1", ChildEnv + "=9", "B=2"}, 5)
	want := []string{"A=1", "B=2", ChildEnv + "=5"}
	if len(got) != len(want) {
		t.Fatalf("childEnv = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("childEnv = %q, want %q", got, want)
		}
	}
	t.Setenv("PID1_TEST_VAR", "x")
	if env := childEnv(nil, 5); !contains(env, "PID1_TEST_VAR=x") || env[len(env)-1] != ChildEnv+"=5" {
		t.Errorf("childEnv(nil) = %q: want the program's environment and the marker", env)
	}
}

// Every malformed variable is named, in one line, and the good ones still
// apply.
func TestApplyEnvNamesEveryError(t *testing.T) {
	s := settings{grace: DefaultGrace, verbosity: 1}
	err := applyEnv(&s, envOf(map[string]string{"SEXTON_GRACE": "soon", "SEXTON_VERBOSITY": "loud", "SEXTON_PID1": "always"}))
	if err == nil || !strings.Contains(err.Error(), "SEXTON_GRACE") || !strings.Contains(err.Error(), "SEXTON_VERBOSITY") || strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q: want both variables named, on one line", err)
	}
	if s.mode != always {
		t.Errorf("SEXTON_PID1=always not applied: %+v", s)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
