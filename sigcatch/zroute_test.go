package sigcatch

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/procfs"
)

// status parses a /proc status file; ok is false if the file is gone (a
// thread that ended).
func status(t *testing.T, file string) (st procfs.Status, ok bool) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		return procfs.Status{}, false
	}
	st, err = procfs.ParseStatus(string(b))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return st, true
}

// blockedOnThreads returns the blocked masks of this process's threads.
func blockedOnThreads(t *testing.T) []uint64 {
	t.Helper()
	files, err := filepath.Glob("/proc/self/task/*/status")
	if err != nil {
		t.Fatal(err)
	}
	var masks []uint64
	for _, f := range files {
		if st, ok := status(t, f); ok {
			masks = append(masks, st.SigBlk)
		}
	}
	return masks
}

// routeChildEnv marks the process that the route test runs in.
const routeChildEnv = "SIGCATCH_ROUTE_TEST"

// tids lists this process's threads.
func tids(t *testing.T) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	var ids []int
	for _, e := range entries {
		id, err := strconv.Atoi(e.Name())
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// readRouted reads the signalfd until want signals came (or 10 s pass),
// and returns them by kind, but for the SIGCHLD of the kill(1) processes.
func readRouted(t *testing.T, fd, want int) map[int]int {
	t.Helper()
	got := map[int]int{}
	total := 0
	deadline := time.Now().Add(10 * time.Second)
	for total < want && time.Now().Before(deadline) {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		_, _ = unix.Poll(fds, 100)
		ReadRouted(fd, func(sig, n int) {
			if sig != int(unix.SIGCHLD) {
				got[sig] += n
				total += n
			}
		}, func(int) bool { return true })
	}
	return got
}

// Once routed, every thread blocks the routed signals (the caller's by
// Route, the others through the handler), what others send waits in the
// kernel and the signalfd gives every one, real-time ones each; the
// handler counts none of them, and the signals left to it (SIGPIPE from
// another process) it still counts. Hold keeps one kind in the kernel's
// queue for TakeQueued. Routing cannot be undone, so the test runs in a
// new process of the test binary.
func TestRouteQueuesForTheSignalfdOnEveryThread(t *testing.T) {
	if os.Getenv(routeChildEnv) == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRouteQueuesForTheSignalfdOnEveryThread$", "-test.v")
		cmd.Env = append(os.Environ(), routeChildEnv+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS") {
			t.Fatalf("in a process of its own: %v\n%s", err, out)
		}
		return
	}
	fd, err := NewRouteFD()
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	drain()
	Route(tids(t))
	routed := uint64(1<<(unix.SIGTERM-1) | 1<<(unix.SIGCHLD-1) | 1<<(40-1) | 1<<(64-1))
	deadline := time.Now().Add(10 * time.Second)
	for {
		all := true
		for _, m := range blockedOnThreads(t) {
			all = all && m&routed == routed
		}
		if all {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not every thread blocks the routed signals: masks %#x", blockedOnThreads(t))
		}
		time.Sleep(time.Millisecond)
	}
	for _, m := range blockedOnThreads(t) {
		if m&(1<<(unix.SIGPIPE-1)|1<<(unix.SIGSEGV-1)|1<<(unix.SIGURG-1)) != 0 {
			t.Fatalf("a thread blocks a signal that must reach the handler (SigBlk %#x)", m)
		}
	}
	sendFromOther(t, unix.SIGTERM, 1)
	sh := "for i in $(seq 1 200); do kill -s 40 " + strconv.Itoa(os.Getpid()) + "; done; kill -s 64 " + strconv.Itoa(os.Getpid())
	if out, err := exec.Command("sh", "-c", sh).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	got := readRouted(t, fd, 202)
	if got[int(unix.SIGTERM)] != 1 || got[40] != 200 || got[64] != 1 || len(got) != 3 {
		t.Fatalf("read from the signalfd %v, want SIGTERM 1, 40 200, 64 1", got)
	}
	Take(func(sig, n int) {
		if sig != int(unix.SIGCHLD) && sig != int(unix.SIGPIPE) {
			t.Errorf("the handler counted %d of signal %d, which is routed", n, sig)
		}
	})
	sendFromOther(t, unix.SIGPIPE, 1)
	if got := take(t); got[int(unix.SIGPIPE)] != 1 {
		t.Fatalf("SIGPIPE, left to the handler: took %v", got)
	}

	if err := Hold(fd, int(unix.SIGUSR1), true); err != nil {
		t.Fatal(err)
	}
	sendFromOther(t, unix.SIGUSR1, 1)
	deadline = time.Now().Add(10 * time.Second)
	for !heldInKernel(t, int(unix.SIGUSR1)) {
		if time.Now().After(deadline) {
			t.Fatal("a held SIGUSR1 is not in the kernel's queue")
		}
		time.Sleep(time.Millisecond)
	}
	ReadRouted(fd, func(sig, n int) {
		if sig == int(unix.SIGUSR1) {
			t.Errorf("the signalfd gave a held SIGUSR1")
		}
	}, func(int) bool { return true })
	if !TakeQueued(int(unix.SIGUSR1)) || TakeQueued(int(unix.SIGUSR1)) {
		t.Fatal("TakeQueued did not take the held SIGUSR1 exactly once")
	}
	if err := Hold(fd, int(unix.SIGUSR1), false); err != nil {
		t.Fatal(err)
	}
	sendFromOther(t, unix.SIGUSR1, 1)
	if got := readRouted(t, fd, 1); got[int(unix.SIGUSR1)] != 1 {
		t.Fatalf("SIGUSR1 after Hold(false): read %v", got)
	}
}

// heldInKernel reports whether sig waits in the process's shared queue.
func heldInKernel(t *testing.T, sig int) bool {
	t.Helper()
	st, _ := status(t, "/proc/self/status")
	return st.ShdPnd&(1<<(sig-1)) != 0
}
