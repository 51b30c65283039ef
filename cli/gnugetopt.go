package cli

import (
	"fmt"
	"strings"
)

// The personalities parse their command lines exactly as the C programs they
// stand in for do, with glibc's getopt and getopt_long: the same options are
// accepted, the same ones rejected, in the same order, with the same
// messages. This file carries a small emulation of the glibc behaviour the
// personalities rely on; sexton's own command line uses it too, without
// permuting (its options stop at the program).

// gnuLong is a long option for gnuGetopt.
type gnuLong struct {
	name   string
	hasArg bool
	short  byte // the short option it stands for
}

// gnuOpt is one option found on the command line.
type gnuOpt struct {
	opt  byte   // the short option letter (long options are mapped to theirs)
	name string // the option as written: "-e" or "--remap-exit"
	arg  string // its argument, if it takes one
	// err, when not empty, is glibc's complaint about this word (without
	// the "NAME: " prefix); parsing stops at the first one.
	err string
}

// gnuGetopt parses args (without the program name) like glibc's getopt_long
// with the given short option string ("p:hv": a letter followed by ':'
// takes an argument) and long options. With permute, options may follow
// operands, as with glibc's default; without, parsing stops at the first
// operand, as with a leading '+' in the option string or POSIXLY_CORRECT.
// "--" ends the options; a lone "-" is an operand.
//
// It returns the options in command-line order, the last of which may be an
// error that stopped parsing, and the operands in order.
func gnuGetopt(args []string, short string, long []gnuLong, permute bool) (opts []gnuOpt, operands []string) {
	takesArg := func(c byte) (known, arg bool) {
		i := strings.IndexByte(short, c)
		if i < 0 || c == ':' {
			return false, false
		}
		return true, i+1 < len(short) && short[i+1] == ':'
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return opts, append(operands, args[i+1:]...)
		case len(a) < 2 || a[0] != '-':
			if !permute {
				return opts, append(operands, args[i:]...)
			}
			operands = append(operands, a)
			continue
		case strings.HasPrefix(a, "--") && long != nil:
			o, used := gnuLongOpt(a[2:], args[i+1:], long)
			opts = append(opts, o)
			i += used
			if o.err != "" {
				return opts, operands
			}
			continue
		}
		// A cluster of short options, such as "-vvv" or "-e3".
		for j := 1; j < len(a); j++ {
			c := a[j]
			known, hasArg := takesArg(c)
			if !known {
				return append(opts, gnuOpt{opt: c, err: fmt.Sprintf("invalid option -- '%c'", c)}), operands
			}
			name := "-" + string(c)
			if !hasArg {
				opts = append(opts, gnuOpt{opt: c, name: name})
				continue
			}
			switch {
			case j+1 < len(a):
				opts = append(opts, gnuOpt{opt: c, name: name, arg: a[j+1:]})
			case i+1 < len(args):
				i++
				opts = append(opts, gnuOpt{opt: c, name: name, arg: args[i]})
			default:
				return append(opts, gnuOpt{opt: c, err: fmt.Sprintf("option requires an argument -- '%c'", c)}), operands
			}
			break // the rest of the word was the argument
		}
	}
	return opts, operands
}

// gnuLongOpt parses one long option word (without its "--"); rest are the
// words after it, one of which it may take as its argument (used says how
// many it took).
func gnuLongOpt(word string, rest []string, long []gnuLong) (o gnuOpt, used int) {
	name, value, hasValue := strings.Cut(word, "=")
	var match *gnuLong
	var candidates []string
	for k := range long {
		l := &long[k]
		if l.name == name {
			match, candidates = l, nil
			break
		}
		if strings.HasPrefix(l.name, name) {
			if match == nil {
				match = l
			}
			candidates = append(candidates, "'--"+l.name+"'")
		}
	}
	switch {
	case match == nil:
		return gnuOpt{err: fmt.Sprintf("unrecognized option '--%s'", word)}, 0
	case len(candidates) > 1:
		return gnuOpt{err: fmt.Sprintf("option '--%s' is ambiguous; possibilities: %s", name, strings.Join(candidates, " "))}, 0
	}
	o.opt, o.name = match.short, "--"+match.name
	switch {
	case !match.hasArg && hasValue:
		o.err = fmt.Sprintf("option '--%s' doesn't allow an argument", match.name)
	case match.hasArg && hasValue:
		o.arg = value
	case match.hasArg && len(rest) > 0:
		o.arg, used = rest[0], 1
	case match.hasArg:
		o.err = fmt.Sprintf("option '--%s' requires an argument", match.name)
	}
	return o, used
}
