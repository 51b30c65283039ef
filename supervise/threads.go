package supervise

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

// spareThreads is how many idle OS threads the runtime is made to keep.
// With one P, the loop needs at most one thread to take over the P while
// another sits in a slow system call (a /proc read, a write to a full
// stderr pipe), plus the signal-delivery thread; four leaves margin.
const spareThreads = 4

// reserveThreads fixes the runtime at one P and makes it create the OS
// threads it may need later, now. The Go runtime aborts the whole process
// ("failed to create new OS thread") when clone fails, which is what a pids
// cgroup at its limit does; an init must never need a new thread after
// start-up. Threads the runtime stops using are parked, never freed, so
// the ones made here are reused for the rest of sexton's life.
func reserveThreads() {
	runtime.GOMAXPROCS(1)
	release := make(chan struct{})
	var locked, done sync.WaitGroup
	for range spareThreads {
		locked.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			// A goroutine that blocks while locked to its thread takes
			// that thread with it, so the runtime must start another
			// one to keep running the P.
			runtime.LockOSThread()
			locked.Done()
			<-release
			runtime.UnlockOSThread()
		}()
	}
	locked.Wait()
	close(release)
	done.Wait()
}

// threadCount returns the number of threads of this process, or -1.
func threadCount() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return -1
			}
			return n
		}
	}
	return -1
}
