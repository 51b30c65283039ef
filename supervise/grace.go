package supervise

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// maxGrace is the longest grace period: what fits in a time.Duration.
const maxGrace = time.Duration(math.MaxInt64)

// durationSyntax is what time.ParseDuration accepts; a string of this form
// that it rejects is out of range.
var durationSyntax = regexp.MustCompile(`^[-+]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+$`)

// ParseGrace reads a grace period as --grace and SEXTON_GRACE take it: a Go
// duration ("5s", "1500ms") or a whole number of seconds ("10"). It must
// not be negative, and must fit in a time.Duration (about 292 years); a
// longer one is an error naming the limit, never a wrapped-around value.
func ParseGrace(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	negative := fmt.Errorf("grace period %q is negative", s)
	if isDigits(strings.TrimLeft(t, "+-")) && strings.LastIndexAny(t, "+-") <= 0 {
		n, err := strconv.ParseInt(t, 10, 64)
		switch {
		case n < 0:
			return 0, negative
		case err != nil || n > int64(maxGrace/time.Second):
			return 0, fmt.Errorf("grace period %q is too long: at most %d seconds", s, int64(maxGrace/time.Second))
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(t)
	switch {
	case err != nil && durationSyntax.MatchString(t) && strings.HasPrefix(t, "-"):
		return 0, negative
	case err != nil && durationSyntax.MatchString(t):
		return 0, fmt.Errorf("grace period %q is too long: at most %v", s, maxGrace.Truncate(time.Second))
	case err != nil:
		return 0, fmt.Errorf("grace period %q is not a duration such as 5s or 1500ms", s)
	case d < 0:
		return 0, negative
	}
	return d, nil
}

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
