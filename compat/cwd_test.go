package compat

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// TestWorkingDirectory: the child starts in the directory the init was
// started in; dumb-init then moves to "/", so that it holds no reference
// to that directory (a bind mount it pinned could not be unmounted), and
// so do sexton as dumb-init and sexton itself; tini stays where it was
// started, and so does sexton as tini. Read from /proc/PID/cwd of both,
// after a signal has gone through the init to the child (the init is in
// its loop by then).
func TestWorkingDirectory(t *testing.T) {
	for _, init := range allInits(t) {
		t.Run(init.im.label, func(t *testing.T) {
			dir := t.TempDir()
			rec := newRecorder(t)
			cmd := append(append([]string{init.im.path}, init.prefix...), rec.cmd()...)
			// A shell, PID 1 for an instant, moves to dir and becomes the init.
			ns := startNS(t, impl{path: "/bin/sh"}, nil, append([]string{"-c", `cd "$0" && exec "$@"`, dir}, cmd...)...)
			rec.waitReady(t, ns)
			ns.Signal(unix.SIGUSR1)
			rec.child(t, 1)
			kids := childOf(ns, ns.PID)
			if len(kids) != 1 {
				t.Fatalf("PID 1 has children %+v, want one", kids)
			}
			initDir, childDir := cwd(t, ns.PID), cwd(t, kids[0].PID)
			wantInit := dir
			if init.im.label != "tini as tini" && init.im.label != "sexton as tini" {
				wantInit = "/"
			}
			if childDir != dir || initDir != wantInit {
				t.Errorf("the child works in %s, the init in %s; want %s and %s", childDir, initDir, dir, wantInit)
			}
		})
	}
}

// cwd reads a host PID's working directory.
func cwd(t *testing.T, pid int) string {
	t.Helper()
	d, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "cwd"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}
