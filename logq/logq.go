// Package logq writes log lines for a process that must never wait for its
// own output: an init whose stderr is a pipe that the log collector stops
// reading. Lines go into a bounded queue that one goroutine writes out; a
// line that does not fit is dropped and counted, and once the output drains
// a note says how many were lost.
package logq

import (
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Queue is a bounded queue of lines and the goroutine that writes them.
type Queue struct {
	mu      sync.Mutex
	lines   []line
	bytes   int
	max     int
	dropped int
	// dropW is where the note about dropped lines goes: the output of
	// the first line dropped.
	dropW   io.Writer
	writing bool
	kick    chan struct{}
	drained chan struct{} // closed and replaced each time the queue empties
	note    func(n int) []byte
}

type line struct {
	w io.Writer
	b []byte
}

// New starts a queue that holds at most max bytes of lines waiting to be
// written. note formats the line that reports n dropped lines.
func New(max int, note func(n int) []byte) *Queue {
	q := &Queue{max: max, kick: make(chan struct{}, 1), drained: make(chan struct{}), note: note}
	go q.run()
	return q
}

// Raw returns w, or for an *os.File a writer that calls write(2) directly:
// os.File turns EPIPE on stdout or stderr into the death of the process by
// SIGPIPE, which no init can afford for a line of its log.
func Raw(w io.Writer) io.Writer {
	if f, ok := w.(*os.File); ok {
		return fdWriter(f.Fd())
	}
	return w
}

// Put queues b (one whole line, newline included) for w, written as Raw(w),
// and never blocks.
func (q *Queue) Put(w io.Writer, b []byte) {
	w = Raw(w)
	q.mu.Lock()
	if q.bytes+len(b) > q.max {
		if q.dropped == 0 {
			q.dropW = w
		}
		q.dropped++
	} else {
		q.lines = append(q.lines, line{w, b})
		q.bytes += len(b)
	}
	q.mu.Unlock()
	// Kicked for a drop too: the note is due once the output drains.
	select {
	case q.kick <- struct{}{}:
	default:
	}
}

// Flush waits until every queued line is written, or timeout passes, and
// reports whether the queue drained.
func (q *Queue) Flush(timeout time.Duration) bool {
	q.mu.Lock()
	if len(q.lines) == 0 && q.dropped == 0 && !q.writing {
		q.mu.Unlock()
		return true
	}
	drained := q.drained
	q.mu.Unlock()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-drained:
		return true
	case <-t.C:
		return false
	}
}

func (q *Queue) run() {
	for range q.kick {
		for {
			q.mu.Lock()
			batch := q.lines
			q.lines = nil
			var noteW io.Writer
			var n int
			if len(batch) == 0 && q.dropped > 0 {
				// Written out only after what was queued before the
				// drop, so the note follows the lines it explains.
				noteW, n = q.dropW, q.dropped
				q.dropped = 0
			}
			if len(batch) == 0 && n == 0 {
				q.writing = false
				close(q.drained)
				q.drained = make(chan struct{})
				q.mu.Unlock()
				break
			}
			q.writing = true
			q.mu.Unlock()
			for _, l := range batch {
				_, _ = l.w.Write(l.b)
				q.mu.Lock()
				q.bytes -= len(l.b)
				q.mu.Unlock()
			}
			if n > 0 {
				_, _ = noteW.Write(q.note(n))
			}
		}
	}
}

// fdWriter writes to a file descriptor with write(2), retrying short
// writes and EINTR; errors (EPIPE, EIO) drop the line.
type fdWriter uintptr

func (fd fdWriter) Write(b []byte) (int, error) {
	done := 0
	for done < len(b) {
		n, err := unix.Write(int(fd), b[done:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return done, err
		}
		done += n
	}
	return done, nil
}
