package logq

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func note(n int) []byte { return fmt.Appendf(nil, "dropped %d\n", n) }

// A stuck output never blocks Put: lines that do not fit are dropped and
// counted, and once the reader drains the pipe everything queued comes out
// in order, followed by the note about the dropped ones.
func TestStuckPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	size, err := unix.FcntlInt(w.Fd(), unix.F_GETPIPE_SZ, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The pipe is full before the first line: nobody reads it.
	fill := bytes.Repeat([]byte("f"), size-1)
	fill = append(fill, '\n')
	if _, err := w.Write(fill); err != nil {
		t.Fatal(err)
	}
	q := New(4096, note)
	line := []byte(strings.Repeat("x", 99) + "\n")
	// Far more than the queue holds; with nobody reading, this must return.
	n := 500
	done := make(chan struct{})
	go func() {
		for i := range n {
			q.Put(w, fmt.Appendf(nil, "%05d%s", i, line[5:]))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Put blocked on a stuck pipe")
	}
	if q.Flush(100 * time.Millisecond) {
		t.Fatal("Flush says drained while nobody reads the pipe")
	}
	var out bytes.Buffer
	readDone := make(chan struct{})
	go func() {
		buf := make([]byte, 65536)
		for {
			k, err := r.Read(buf)
			out.Write(buf[:k])
			if err != nil || strings.HasPrefix(lastLine(out.String()), "dropped ") {
				close(readDone)
				return
			}
		}
	}()
	if !q.Flush(30 * time.Second) {
		t.Fatal("queue never drained")
	}
	<-readDone
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")[1:] // after the fill
	last := lines[len(lines)-1]
	var dropped int
	if _, err := fmt.Sscanf(last, "dropped %d", &dropped); err != nil {
		t.Fatalf("last line %q is not the dropped-lines note", last)
	}
	written := lines[:len(lines)-1]
	if len(written)+dropped != n {
		t.Fatalf("%d written + %d dropped != %d put", len(written), dropped, n)
	}
	if dropped == 0 {
		t.Fatal("nothing was dropped: the test did not fill the queue")
	}
	for i, l := range written {
		if !strings.HasPrefix(l, fmt.Sprintf("%05d", i)) {
			t.Fatalf("line %d is %q: out of order or torn", i, l)
		}
	}
}

// Writes to an *os.File go straight to write(2): a broken pipe loses the
// line, never the process (os.File would raise SIGPIPE's default action
// for stdout and stderr).
func TestBrokenPipeLosesTheLineOnly(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	defer w.Close()
	if _, err := Raw(w).Write([]byte("lost\n")); err != unix.EPIPE {
		t.Fatalf("write to a broken pipe: %v, want EPIPE", err)
	}
}

func lastLine(s string) string {
	s = strings.TrimSuffix(s, "\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
