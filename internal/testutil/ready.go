package testutil

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Readiness. sexton installs its signal handlers before it starts its
// child, so a test that signals PID 1 first waits for the child to exist
// (or, better, for the child to say it is ready, which also means that the
// child's own handlers are in); in pause mode, where there is no child, it
// waits for PauseReady on stderr (sexton -v or more).

// PauseReady is the line sexton writes at verbosity 2 and above once pause
// mode has its signal handlers in.
const PauseReady = "sexton: info: pause: ready"

// Children returns the children of process pid (host PIDs), gathered from
// every thread's children file: the Go runtime starts a child from any of
// its threads, and each thread lists only its own.
func Children(pid int) []int {
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	var out []int
	for _, f := range tasks {
		for _, field := range strings.Fields(ReadFile(f)) {
			if n, err := strconv.Atoi(field); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// WaitStderr waits until PID 1's stderr (the default buffer) contains text,
// failing the test if PID 1 exits first or limit passes.
func (ns *NS) WaitStderr(limit time.Duration, text string) {
	ns.t.Helper()
	deadline := time.Now().Add(limit)
	for !strings.Contains(ns.Stderr(), text) {
		select {
		case <-ns.done:
			if strings.Contains(ns.Stderr(), text) {
				return
			}
			ns.t.Fatalf("PID 1 exited before writing %q; stderr:\n%s", text, ns.Stderr())
		default:
		}
		if time.Now().After(deadline) {
			ns.t.Fatalf("PID 1 did not write %q within %v; stderr:\n%s", text, limit, ns.Stderr())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// WaitFile waits until path exists, failing the test if PID 1 exits first
// or limit passes.
func (ns *NS) WaitFile(limit time.Duration, path string) {
	ns.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		select {
		case <-ns.done:
			if _, err := os.Stat(path); err == nil {
				return
			}
			ns.t.Fatalf("PID 1 exited before %s appeared; stderr:\n%s", filepath.Base(path), ns.Stderr())
		default:
		}
		if time.Now().After(deadline) {
			ns.t.Fatalf("%s did not appear within %v; stderr:\n%s", filepath.Base(path), limit, ns.Stderr())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
