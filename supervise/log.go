package supervise

import (
	"fmt"
	"io"
	"os"
)

// Level orders log messages; a message is written when its level is at most
// the configured verbosity.
type Level int

// The levels, in tini's order: errors always show, warnings at the default
// verbosity 1, and each -v adds one more level.
const (
	Fatal Level = 0
	Warn  Level = 1
	Info  Level = 2
	Debug Level = 3
	Trace Level = 4
)

var levelNames = map[Level]string{Info: "info", Debug: "debug", Trace: "trace"}

// Logger writes sexton's diagnostics to stderr.
type Logger struct {
	// Verbosity is the highest level written; 0 leaves errors only.
	Verbosity int
	// Format turns a message into a line, for personalities with their own
	// conventions (tini's "[WARN  tini (1)] ..."). Nil means "sexton: ...".
	Format func(kind string, msg string) string
	// W receives the lines; nil means os.Stderr.
	W io.Writer
	// InfoW, if set, receives the Info, Debug and Trace lines instead of W
	// (tini writes those to stdout).
	InfoW io.Writer
}

func (l *Logger) logf(lv Level, kind, format string, args ...any) {
	if l == nil || int(lv) > l.Verbosity {
		return
	}
	msg := fmt.Sprintf(format, args...)
	var line string
	if l.Format != nil {
		line = l.Format(kind, msg)
	} else if kind == "" {
		line = "sexton: " + msg
	} else {
		line = "sexton: " + kind + ": " + msg
	}
	w := l.W
	if lv >= Info && l.InfoW != nil {
		w = l.InfoW
	}
	if w == nil {
		w = os.Stderr
	}
	fmt.Fprintln(w, line)
}

// Errorf reports a fatal problem.
func (l *Logger) Errorf(format string, args ...any) { l.logf(Fatal, "error", format, args...) }

// Warnf reports a warning.
func (l *Logger) Warnf(format string, args ...any) { l.logf(Warn, "warning", format, args...) }

// Printf reports at the given level (Info, Debug or Trace).
func (l *Logger) Printf(lv Level, format string, args ...any) {
	l.logf(lv, levelNames[lv], format, args...)
}
