package compat

import (
	"bufio"
	"strings"
	"testing"

	"github.com/sexton-init/sexton/internal/testutil"
)

// In its default (session) mode dumb-init, as PID 1 leading the terminal's
// session, hands the terminal over to the child's new session: the child
// has a controlling terminal. Checked side by side under a pseudo-terminal.
func TestDumbInitHandsTheTerminalToTheChild(t *testing.T) {
	var ttys [2]string
	for i, im := range dumbInits(t) {
		master, tty, err := testutil.OpenPTY()
		if err != nil {
			t.Fatal(err)
		}
		ns := testutil.Start(t, testutil.Spec{
			Args:  []string{im.path, "sh", "-c", `echo "TTY_NR=$(cut -d' ' -f7 /proc/self/stat) SID=$(cut -d' ' -f6 /proc/self/stat)"`},
			Stdin: tty, Stdout: tty, Stderr: tty, Terminal: true,
		})
		tty.Close()
		sc := bufio.NewScanner(master)
		for sc.Scan() {
			if line := strings.TrimSpace(sc.Text()); strings.HasPrefix(line, "TTY_NR=") {
				ttys[i] = line
				break
			}
		}
		if code := ns.Wait(hangGuard); code != 0 {
			t.Errorf("%s: exit code %d", im.label, code)
		}
		master.Close()
		if f := strings.Fields(ttys[i]); len(f) != 2 || f[0] == "TTY_NR=0" || f[1] == "SID=1" {
			t.Errorf("%s: child has no controlling terminal of its own session: %q", im.label, ttys[i])
		}
	}
	t.Logf("dumb-init: %s; sexton as dumb-init: %s", ttys[0], ttys[1])
}
