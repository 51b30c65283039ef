package sigcatch

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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

// heldInKernel reports whether sig waits in the process's shared queue.
func heldInKernel(t *testing.T, sig int) bool {
	t.Helper()
	st, _ := status(t, "/proc/self/status")
	return st.ShdPnd&(1<<(sig-1)) != 0
}

// Once throttled, a thread that counted a real-time signal stops taking
// it, and what is sent meanwhile waits in the kernel for Drain; SIGTERM
// is never left blocked on any thread. (Throttle cannot be undone: this
// file's tests run after the others.)
func TestThrottleHoldsBackOnlyFloodingSignals(t *testing.T) {
	Throttle()
	defer Release()
	drain()
	sendFromOther(t, unix.SIGTERM, 1)
	if got := take(t); got[int(unix.SIGTERM)] != 1 {
		t.Fatalf("SIGTERM: took %v", got)
	}
	for _, m := range blockedOnThreads(t) {
		if m&(1<<(unix.SIGTERM-1)) != 0 {
			t.Fatalf("a thread keeps SIGTERM blocked after counting it (SigBlk %#x)", m)
		}
	}
	sendFromOther(t, 40, 1)
	// Wait until a thread counted it (and so, throttled, blocked it), or
	// until every thread has it blocked and it waits in the kernel (a
	// repeated run of this test leaves that so).
	deadline := time.Now().Add(10 * time.Second)
	for took := false; !took; {
		if time.Now().After(deadline) {
			t.Fatal("signal 40 was neither counted nor held in the kernel's queue")
		}
		fds := []unix.PollFd{{Fd: int32(WakeFD()), Events: unix.POLLIN}}
		_, _ = unix.Poll(fds, 10)
		var b [8]byte
		_, _ = unix.Read(WakeFD(), b[:])
		Woken()
		Take(func(sig, n int) { took = took || sig == 40 })
		took = took || heldInKernel(t, 40)
	}
	held := false
	for _, m := range blockedOnThreads(t) {
		held = held || m&(1<<(40-1)) != 0
	}
	if !held {
		t.Fatal("no thread blocked signal 40 after counting it: no flow control")
	}
	// A burst: what no thread takes, Drain takes from the kernel's queue.
	sh := "for i in $(seq 1 200); do kill -s 40 " + strconv.Itoa(os.Getpid()) + "; done"
	if out, err := exec.Command("sh", "-c", sh).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	total, drained := 0, 0
	count := func(sig, n int) {
		if sig == 40 {
			total += n
		}
	}
	deadline = time.Now().Add(10 * time.Second)
	for total < 200 && time.Now().Before(deadline) {
		Take(count)
		before := total
		Drain(count, func(int) bool { return true })
		drained += total - before
		time.Sleep(time.Millisecond)
	}
	if total != 200 {
		t.Fatalf("counted %d of 200 real-time signals", total)
	}
	if drained == 0 {
		t.Fatal("Drain took none of the burst from the kernel's queue")
	}
}
