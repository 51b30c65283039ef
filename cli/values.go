package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/signals"
	"github.com/sexton-init/sexton/supervise"
)

// The values of sexton's options that take one: each parses s, the
// argument of the option written as name, or says what is wrong with it.

func setSignal(sig *unix.Signal, s, name string) error {
	v, err := signals.Parse(s)
	if err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	*sig = v
	return nil
}

// addExitCode adds one exit code, 0-255, to a repeatable option's set.
func addExitCode(codes map[int]bool, s, name string) error {
	c, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || c < 0 || c > 255 {
		return fmt.Errorf("%s: exit code %q is not a number from 0 to 255", name, s)
	}
	codes[c] = true
	return nil
}

// addRewrite adds one FROM:TO signal mapping.
func addRewrite(r signals.Rewrite, s, name string) error {
	if err := r.Set(s); err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	return nil
}

// setGrace reads a duration that may also be bare seconds ("10").
func setGrace(d *time.Duration, s, name string) error {
	v, err := supervise.ParseGrace(s)
	if err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	*d = v
	return nil
}
