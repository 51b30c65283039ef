package engines

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// testCtrlC: Ctrl-C typed into `run -it` reaches the service. The engine's
// client puts the terminal in raw mode and passes the byte on; the
// container's terminal sends SIGINT to its foreground process group, which
// sexton made its child's. The service here is sleep, which has no handler:
// under sexton it dies of SIGINT and the container exits 130; as PID 1 the
// kernel drops the signal and the container runs on.
func testCtrlC(t *testing.T, e *engine, im images) {
	for _, c := range []struct {
		name  string
		entry []string
		ends  bool
	}{
		{"sexton", nil, true},
		{"control-no-init", []string{"--entrypoint", "/bin/sh"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			name := uniqueName("tty")
			args := append([]string{"run", "-it", "--rm", "--name", name, "--network", "none"}, c.entry...)
			args = append(args, im.app)
			if c.ends {
				args = append(args, "/bin/sh")
			}
			args = append(args, "-c", "echo ready; exec sleep 100000")
			tty := startTTY(t, e, args...)
			tty.waitFor(t, "ready")
			tty.write(t, "\x03")
			if !c.ends {
				if tty.ended(time.Second) {
					t.Fatalf("Ctrl-C ended sleep as PID 1 (%v); the control assumption is wrong\n%s", tty.err, tty.text())
				}
				e.must(t, "kill", name)
			}
			if !tty.ended(hangGuard) {
				t.Fatalf("%s run -it still running %v after Ctrl-C\n%s", e.name, hangGuard, tty.text())
			}
			var ee *exec.ExitError
			if c.ends && (!errors.As(tty.err, &ee) || ee.ExitCode() != 130) {
				t.Errorf("%s run -it after Ctrl-C: %v, want exit status 130 (128+SIGINT)\n%s", e.name, tty.err, tty.text())
			}
		})
	}
}

// ttyRun is an engine client running on the test's pseudo-terminal.
type ttyRun struct {
	ptmx *os.File
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
	err  error // how the client ended, once done is closed
}

// startTTY runs the engine's client with args on a new pseudo-terminal; the
// client is killed and the terminal closed when the test ends.
func startTTY(t *testing.T, e *engine, args ...string) *ttyRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	argv := e.cmd(args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), e.env...)
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 80})
	if err != nil {
		cancel()
		t.Fatalf("%q on a pty: %v", argv, err)
	}
	r := &ttyRun{ptmx: ptmx, done: make(chan struct{})}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			r.mu.Lock()
			r.out.Write(buf[:n])
			r.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() {
		r.err = cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-r.done
		ptmx.Close()
	})
	return r
}

func (r *ttyRun) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.String()
}

// waitFor waits until the terminal shows s.
func (r *ttyRun) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	for !strings.Contains(r.text(), s) {
		if r.ended(0) {
			t.Fatalf("the client ended (%v) before the terminal showed %q:\n%s", r.err, s, r.text())
		}
		if time.Now().After(deadline) {
			t.Fatalf("the terminal did not show %q within %v:\n%s", s, hangGuard, r.text())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// write types s on the terminal.
func (r *ttyRun) write(t *testing.T, s string) {
	t.Helper()
	if _, err := r.ptmx.WriteString(s); err != nil {
		t.Fatalf("typing %q: %v", s, err)
	}
}

// ended reports whether the client ends within d.
func (r *ttyRun) ended(d time.Duration) bool {
	select {
	case <-r.done:
		return true
	case <-time.After(d):
		return false
	}
}
