package sigcatch

import (
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The tests install the handlers in the test process itself, once, and
// signal it from other processes (kill(1)) or from itself.
func TestMain(m *testing.M) {
	if err := Install(); err != nil {
		println("install:", err.Error())
		os.Exit(2)
	}
	os.Exit(m.Run())
}

// sendFromOther has another process (kill(1)) send sig to this one, n
// times, and waits until the handler has counted them.
func sendFromOther(t *testing.T, sig unix.Signal, n int) {
	t.Helper()
	for range n {
		out, err := exec.Command("kill", "-s", strconv.Itoa(int(sig)), strconv.Itoa(os.Getpid())).CombinedOutput()
		if err != nil {
			t.Fatalf("kill -%d: %v %s", sig, err, out)
		}
	}
}

// take waits until the eventfd says something arrived (or 10 s pass) and
// returns what Take reports, but for the SIGCHLD of the kill(1) processes.
func take(t *testing.T) map[int]int {
	t.Helper()
	got := map[int]int{}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		fds := []unix.PollFd{{Fd: int32(WakeFD()), Events: unix.POLLIN}}
		_, _ = unix.Poll(fds, 100)
		var b [8]byte
		_, _ = unix.Read(WakeFD(), b[:])
		Woken()
		count := func(sig, n int) {
			if sig != int(unix.SIGCHLD) { // kill(1) exiting
				got[sig] += n
			}
		}
		Take(count)
		if len(got) > 0 {
			return got
		}
	}
	return got
}

// drain empties what is pending, for a clean start.
func drain() {
	Woken()
	Take(func(int, int) {})
}

// Every signal another process sends is counted, the ones the runtime
// would keep for itself included: SIGURG, SIGPIPE and the fault signals
// sent with kill.
func TestCountsWhatOthersSend(t *testing.T) {
	for _, sig := range []unix.Signal{unix.SIGUSR1, unix.SIGTERM, unix.SIGURG, unix.SIGPIPE, unix.SIGSEGV, unix.SIGABRT, unix.SIGSYS, 34, 40, 63, 64} {
		drain()
		sendFromOther(t, sig, 1)
		got := take(t)
		if len(got) != 1 || got[int(sig)] != 1 {
			t.Errorf("%v sent by another process: took %v, want {%d:1}", sig, got, sig)
		}
	}
}

// Queued real-time signals are each counted; standard ones merge only
// while one is pending, as the kernel has them.
func TestCountsEveryQueuedRealTimeSignal(t *testing.T) {
	drain()
	// One shell sends all 50 with its kill builtin, faster than they are
	// taken, so most are queued at once.
	sh := "for i in $(seq 1 50); do kill -s 45 " + strconv.Itoa(os.Getpid()) + "; done"
	if out, err := exec.Command("sh", "-c", sh).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	total := 0
	deadline := time.Now().Add(10 * time.Second)
	for total < 50 && time.Now().Before(deadline) {
		total += take(t)[45]
	}
	if total != 50 {
		t.Fatalf("counted %d of 50 real-time signals", total)
	}
}

// The SIGPIPE the kernel raises for this process's own write to a broken
// pipe is dropped; the runtime's own SIGURG (a thread-directed signal from
// this process) goes to the runtime, not to the count.
func TestDropsWhatThisProcessRaises(t *testing.T) {
	drain()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	unix.Close(p[0])
	if _, err := unix.Write(p[1], []byte("x")); err != unix.EPIPE {
		t.Fatalf("write to a broken pipe: %v, want EPIPE", err)
	}
	unix.Close(p[1])
	if err := unix.Tgkill(os.Getpid(), unix.Gettid(), unix.SIGURG); err != nil {
		t.Fatal(err)
	}
	// A signal of another process's after them marks the end.
	sendFromOther(t, unix.SIGUSR2, 1)
	got := take(t)
	if len(got) != 1 || got[int(unix.SIGUSR2)] != 1 {
		t.Fatalf("took %v, want only {SIGUSR2:1}: sexton's own SIGPIPE or SIGURG was counted", got)
	}
}

// A real fault still reaches the runtime: a nil dereference is a panic
// that recover sees, not a counted SIGSEGV.
func TestFaultsStayPanics(t *testing.T) {
	drain()
	var p *int
	func() {
		defer func() {
			if recover() == nil {
				t.Error("nil dereference did not panic")
			}
		}()
		_ = *p
	}()
	Take(func(sig, n int) {
		if sig == int(unix.SIGSEGV) {
			t.Errorf("SIGSEGV counted %d times after a nil dereference", n)
		}
	})
}
