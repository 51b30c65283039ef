package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pborman/getopt/v2"
	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/signals"
	"github.com/sexton-init/sexton/supervise"
)

// signalValue is a flag holding one signal, by name or number.
type signalValue struct{ sig *unix.Signal }

func (v signalValue) String() string {
	if v.sig == nil || *v.sig == 0 {
		return ""
	}
	return signals.Name(*v.sig)
}

func (v signalValue) Set(s string, opt getopt.Option) error {
	sig, err := signals.Parse(s)
	if err != nil {
		return fmt.Errorf("%s: %v", opt.Name(), err)
	}
	*v.sig = sig
	return nil
}

// exitCodes is a repeatable flag of exit codes 0-255.
type exitCodes map[int]bool

func (v exitCodes) String() string {
	var out []string
	for c := range v {
		out = append(out, strconv.Itoa(c))
	}
	return strings.Join(out, ",")
}

func (v exitCodes) Set(s string, opt getopt.Option) error {
	c, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || c < 0 || c > 255 {
		return fmt.Errorf("%s: exit code %q is not a number from 0 to 255", opt.Name(), s)
	}
	v[c] = true
	return nil
}

// rewriteValue is a repeatable FROM:TO signal mapping.
type rewriteValue struct{ r signals.Rewrite }

func (v rewriteValue) String() string { return "" }
func (v rewriteValue) Set(s string, opt getopt.Option) error {
	if err := v.r.Set(s); err != nil {
		return fmt.Errorf("%s: %v", opt.Name(), err)
	}
	return nil
}

// graceValue is a duration that also takes bare seconds ("10").
type graceValue struct{ d *time.Duration }

func (v graceValue) String() string { return v.d.String() }
func (v graceValue) Set(s string, opt getopt.Option) error {
	d, err := supervise.ParseGrace(s)
	if err != nil {
		return fmt.Errorf("%s: %v", opt.Name(), err)
	}
	*v.d = d
	return nil
}
