package supervise

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sexton-init/sexton/logq"
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

// logQueueBytes bounds what waits to be written while the output is stuck.
const logQueueBytes = 64 << 10

// flushWait bounds how long sexton, about to exit, waits for stuck output.
const flushWait = 3 * time.Second

// Logger writes sexton's diagnostics to stderr. While the supervisor runs,
// lines go through a bounded queue so that a stuck output never stalls the
// loop; what does not fit is dropped and counted.
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

	q *logq.Queue
}

// start sends the lines through a queue from now on.
func (l *Logger) start() {
	if l == nil || l.q != nil {
		return
	}
	l.q = logq.New(logQueueBytes, func(n int) []byte {
		return []byte(l.line("warning", fmt.Sprintf("%d log lines dropped: output was blocked", n)) + "\n")
	})
}

// flush waits, for a bounded time, until the queued lines are written.
func (l *Logger) flush() {
	if l != nil && l.q != nil {
		l.q.Flush(flushWait)
	}
}

func (l *Logger) line(kind, msg string) string {
	switch {
	case l.Format != nil:
		return l.Format(kind, msg)
	case kind == "":
		return "sexton: " + msg
	}
	return "sexton: " + kind + ": " + msg
}

func (l *Logger) logf(lv Level, kind, format string, args ...any) {
	if l == nil || int(lv) > l.Verbosity {
		return
	}
	b := []byte(l.line(kind, fmt.Sprintf(format, args...)) + "\n")
	w := l.W
	if lv >= Info && l.InfoW != nil {
		w = l.InfoW
	}
	if w == nil {
		w = os.Stderr
	}
	if l.q != nil {
		l.q.Put(w, b)
		return
	}
	_, _ = logq.Raw(w).Write(b)
}

// Errorf reports a fatal problem.
func (l *Logger) Errorf(format string, args ...any) { l.logf(Fatal, "error", format, args...) }

// Warnf reports a warning.
func (l *Logger) Warnf(format string, args ...any) { l.logf(Warn, "warning", format, args...) }

// Printf reports at the given level (Info, Debug or Trace).
func (l *Logger) Printf(lv Level, format string, args ...any) {
	l.logf(lv, levelNames[lv], format, args...)
}
