package proctree

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The pipes of os/exec work as with os/exec: read them to the end, then
// Wait; not a byte is lost (Start used to run cmd.Wait at once, which
// closes the pipes as soon as the child exits).
func TestPipesLoseNothing(t *testing.T) {
	const size = 256 << 10
	for i := range 30 {
		cmd := exec.Command("sh", "-c", "cat; head -c 65536 /dev/zero >&2")
		stdin, err1 := cmd.StdinPipe()
		stdout, err2 := cmd.StdoutPipe()
		stderr, err3 := cmd.StderrPipe()
		if err := errors.Join(err1, err2, err3); err != nil {
			t.Fatal(err)
		}
		tree, err := Start(cmd, &Options{Mode: ProcessGroup})
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			_, _ = stdin.Write(bytes.Repeat([]byte("x"), size))
			stdin.Close()
		}()
		errc := make(chan []byte, 1)
		go func() { b, _ := io.ReadAll(stderr); errc <- b }()
		out, err := io.ReadAll(stdout)
		if err != nil {
			t.Fatal(err)
		}
		errOut := <-errc
		if err := tree.Wait(); err != nil {
			t.Fatal(err)
		}
		if _, err := tree.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		if len(out) != size || len(errOut) != 65536 {
			t.Fatalf("run %d: got %d bytes on stdout (want %d), %d on stderr (want 65536)", i, len(out), size, len(errOut))
		}
	}
}

// Done closes when the direct child exits, even while a descendant keeps
// its output open (Wait, like cmd.Wait, would block until that ends).
func TestDoneWhileOutputHeld(t *testing.T) {
	var out strings.Builder
	cmd := exec.Command("sh", "-c", "sleep 1000 & exit 3")
	cmd.Stdout = &out // not an *os.File: os/exec copies it, until EOF
	tree, err := Start(cmd, &Options{Mode: ProcessGroup, Grace: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cleanup(t, tree, nil) })
	waitDone(t, tree)
	if _, err := tree.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	var ee *exec.ExitError
	if err := tree.Wait(); !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Errorf("Wait = %v, want exit status 3", err)
	}
}
