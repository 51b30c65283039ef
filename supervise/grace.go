package supervise

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseGrace reads a grace period as --grace and SEXTON_GRACE take it: a Go
// duration ("5s", "1500ms") or a whole number of seconds ("10"); it must not
// be negative.
func ParseGrace(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	d, err := time.ParseDuration(t)
	if err != nil {
		n, nerr := strconv.Atoi(t)
		if nerr != nil {
			return 0, fmt.Errorf("grace period %q is not a duration such as 5s or 1500ms", s)
		}
		d = time.Duration(n) * time.Second
	}
	if d < 0 {
		return 0, fmt.Errorf("grace period %q is negative", s)
	}
	return d, nil
}
