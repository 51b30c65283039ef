package supervise

import (
	"strings"
	"testing"
	"time"
)

// ParseGrace takes durations and whole seconds, and rejects what does not
// fit in a time.Duration with the limit in the message instead of wrapping
// around (18446744074 seconds once became 290 ms).
func TestParseGrace(t *testing.T) {
	good := map[string]time.Duration{
		"0": 0, "-0": 0, "+7": 7 * time.Second, "10": 10 * time.Second, " 3 ": 3 * time.Second, "1500ms": 1500 * time.Millisecond,
		"2m": 2 * time.Minute, "9223372036": 9223372036 * time.Second,
		"2562047h47m16s": 2562047*time.Hour + 47*time.Minute + 16*time.Second,
	}
	for in, want := range good {
		if got, err := ParseGrace(in); err != nil || got != want {
			t.Errorf("ParseGrace(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, msg := range map[string]string{
		"18446744074":          "at most 9223372036 seconds",
		"9223372037":           "at most 9223372036 seconds",
		"99999999999999999999": "at most 9223372036 seconds",
		"2562048h":             "at most 2562047h47m16s",
		"9999999999999s":       "at most 2562047h47m16s",
		"-1":                   "negative",
		"-5s":                  "negative",
		"soon":                 "not a duration",
		"5 s":                  "not a duration",
		"":                     "not a duration",
	} {
		got, err := ParseGrace(in)
		if err == nil {
			t.Errorf("ParseGrace(%q) = %v, want an error", in, got)
			continue
		}
		if !strings.Contains(err.Error(), msg) || !strings.Contains(err.Error(), "grace period") {
			t.Errorf("ParseGrace(%q): %q does not say %q", in, err, msg)
		}
	}
}
