package e2e

import (
	"bufio"
	"strings"
	"testing"

	"github.com/sexton-init/sexton/internal/testutil"
)

// On a terminal the child's process group is the foreground group, so
// Ctrl-C goes to the child (and not through sexton).
func TestTerminalForegroundAndCtrlC(t *testing.T) {
	master, tty, err := testutil.OpenPTY()
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	script := `set -- $(cut -d' ' -f5,8 /proc/self/stat)
echo "PGRP=$1 TPGID=$2"
trap 'echo GOT-INT; exit 7' INT
echo READY
while :; do sleep 0.05; done`
	ns := testutil.Start(t, testutil.Spec{
		Args:  cmdline(sexton(t, "--"), []string{"sh", "-c", script}),
		Stdin: tty, Stdout: tty, Stderr: tty,
		Terminal: true,
	})
	tty.Close()

	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(master)
		for sc.Scan() {
			lines <- strings.TrimSpace(sc.Text())
		}
		close(lines)
	}()
	var seen []string
	expect := func(prefix string) string {
		t.Helper()
		for l := range lines {
			seen = append(seen, l)
			if strings.Contains(l, prefix) {
				return l
			}
		}
		t.Fatalf("terminal closed before a line with %q; terminal showed %q", prefix, seen)
		return ""
	}
	ids := expect("PGRP=")
	var pgrp, tpgid string
	for _, f := range strings.Fields(ids) {
		if v, ok := strings.CutPrefix(f, "PGRP="); ok {
			pgrp = v
		}
		if v, ok := strings.CutPrefix(f, "TPGID="); ok {
			tpgid = v
		}
	}
	if pgrp == "" || pgrp != tpgid || pgrp == "1" {
		t.Fatalf("child's group %q is not the terminal's foreground group %q (sexton's is 1): %s", pgrp, tpgid, ids)
	}
	expect("READY")
	if _, err := master.Write([]byte{3}); err != nil { // Ctrl-C
		t.Fatal(err)
	}
	expect("GOT-INT")
	if code := ns.Wait(limit); code != 7 {
		t.Fatalf("exit code %d, want 7 (the child's trap)", code)
	}
}
