package supervise

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// maxGrace is the longest grace period: what fits in a time.Duration.
const maxGrace = time.Duration(math.MaxInt64)

// durationSyntax reports whether s has the form time.ParseDuration reads
// ([-+] then one or more of a decimal number and a unit); a string of this
// form that it rejects is out of range.
func durationSyntax(s string) bool {
	s = strings.TrimLeft(s, "+-")
	if s == "" {
		return false
	}
	for s != "" {
		i := 0
		digits := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			if s[i] != '.' {
				digits++
			}
			i++
		}
		if digits == 0 || strings.Count(s[:i], ".") > 1 {
			return false
		}
		s = s[i:]
		unit := ""
		for _, u := range []string{"ns", "us", "µs", "μs", "ms", "s", "m", "h"} {
			if strings.HasPrefix(s, u) {
				unit = u
				break
			}
		}
		if unit == "" {
			return false
		}
		s = s[len(unit):]
	}
	return true
}

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
	case err != nil && durationSyntax(t) && strings.HasPrefix(t, "-"):
		return 0, negative
	case err != nil && durationSyntax(t):
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
