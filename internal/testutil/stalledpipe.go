package testutil

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// StalledPipe is a real pipe for a program's output that the test reads
// only when it chooses: a log collector that stopped reading. W goes to the
// program (Spec.Stderr); the test closes its own copy with CloseWriter
// once the program has it.
type StalledPipe struct {
	W *os.File

	t       testing.TB
	r       *os.File
	size    int
	got     Buffer
	drained chan struct{}
}

// NewStalledPipe makes a pipe holding size bytes (the kernel rounds up to
// a page; 4096 fills after a hundred log lines). Both ends are closed at
// the end of the test.
func NewStalledPipe(t testing.TB, size int) *StalledPipe {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	got, err := unix.FcntlInt(w.Fd(), unix.F_SETPIPE_SZ, size)
	if err != nil {
		t.Fatalf("F_SETPIPE_SZ: %v", err)
	}
	p := &StalledPipe{W: w, t: t, r: r, size: got}
	t.Cleanup(func() {
		w.Close()
		r.Close()
		if p.drained != nil {
			<-p.drained
		}
	})
	return p
}

// CloseWriter closes the test's copy of the writing end.
func (p *StalledPipe) CloseWriter() { p.W.Close() }

// Full reports whether the pipe is full: what is unread leaves no room
// for one more log line, so that its writer is blocked.
func (p *StalledPipe) Full() bool {
	n, err := unix.IoctlGetInt(int(p.r.Fd()), unix.TIOCINQ) // FIONREAD

	return err == nil && n > p.size-256
}

// ReadUntil reads, before the pipe stalls, until what was read contains
// text, at most limit; what it read is kept for Output.
func (p *StalledPipe) ReadUntil(limit time.Duration, text string) {
	p.t.Helper()
	if err := p.r.SetReadDeadline(time.Now().Add(limit)); err != nil {
		p.t.Fatal(err)
	}
	defer p.r.SetReadDeadline(time.Time{})
	buf := make([]byte, 1) // byte by byte: nothing after text is taken out of the pipe
	for !strings.Contains(p.got.String(), text) {
		n, err := p.r.Read(buf)
		p.got.Write(buf[:n])
		if err != nil {
			p.t.Fatalf("reading the pipe for %q: %v; read so far:\n%s", text, err, p.got.String())
		}
	}
}

// Drain starts reading everything, until every writer has closed its end.
func (p *StalledPipe) Drain() {
	p.drained = make(chan struct{})
	go func() {
		defer close(p.drained)
		_, err := io.Copy(&p.got, p.r)
		if err != nil && !errors.Is(err, os.ErrClosed) {
			p.got.Write([]byte("\n[reading the pipe: " + err.Error() + "]\n"))
		}
	}()
}

// Drained is closed when, after Drain, every writer has closed the pipe.
func (p *StalledPipe) Drained() <-chan struct{} { return p.drained }

// Output returns what was read from the pipe so far.
func (p *StalledPipe) Output() string { return p.got.String() }

// Lines returns the lines read so far that contain text.
func (p *StalledPipe) Lines(text string) []string {
	var out []string
	for _, l := range strings.Split(p.got.String(), "\n") {
		if strings.Contains(l, text) {
			out = append(out, l)
		}
	}
	return out
}
