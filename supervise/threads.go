package supervise

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/procfs"
)

// threadsNeeded is how many OS threads sexton runs with, made at start-up.
// The Go runtime aborts the whole process ("failed to create new OS
// thread") when clone fails, which is what a pids cgroup or RLIMIT_NPROC at
// its limit makes it do, so an init must never need a thread after
// start-up. With one P, and a loop that waits only in the network poller
// and makes only quick system calls, the runtime needs at most: its monitor
// (sysmon), one thread holding the P, the log writer blocked in a write to
// a stuck pipe, and the loop in a slow read of /proc while both of those
// are taken. Threads the runtime stops using are parked, never freed.
const threadsNeeded = 4

// reserveThreads fixes the runtime at one P and makes sure threadsNeeded
// threads exist, after checking that the pids cgroup and RLIMIT_NPROC leave
// room for them and for the child; if not, it says which limit and returns
// false.
func (s *state) reserveThreads() bool {
	runtime.GOMAXPROCS(1)
	missing := threadsNeeded - threadCount()
	if missing <= 0 {
		return true // a fork that fails for want of a PID says so itself
	}
	if msg := taskShortage(missing + 1); msg != "" {
		s.log.Errorf("%s", msg)
		return false
	}
	for i := 0; i < 4*threadsNeeded && threadCount() < threadsNeeded; i++ {
		forceThread()
	}
	return true
}

// forceThread makes the runtime start a thread if none is idle: two
// goroutines sit in a system call (nanosleep, through the scheduler's
// system-call path) while this one is runnable, so the runtime's monitor
// hands the P to another thread.
func forceThread() {
	done := make(chan struct{}, 2)
	for range 2 {
		go func() {
			ts := unix.Timespec{Nsec: 2_000_000}
			_ = unix.Nanosleep(&ts, nil)
			done <- struct{}{}
		}()
	}
	runtime.Gosched()
	<-done
	<-done
}

// taskShortage says which limit leaves fewer than n more tasks (threads or
// processes) to this process, or "" if none does.
func taskShortage(n int) string {
	if lines, err := procfs.ReadCgroup("/proc", 0); err == nil {
		if pc, err := procfs.FindPidsCgroup("/sys/fs/cgroup", lines); err == nil {
			for _, lv := range pc.Levels {
				if lv.Max >= 0 && lv.Max-lv.Current < int64(n) {
					return fmt.Sprintf("the pids cgroup limit is too low: %s has pids.max %d with %d in use; "+
						"sexton needs %d more tasks (its threads and the child), so pids.max must be at least %d",
						lv.Dir, lv.Max, lv.Current, n, lv.Current+int64(n))
				}
			}
		}
	}
	return nprocShortage(n)
}

// nprocShortage checks RLIMIT_NPROC, which limits the tasks of the real
// user ID (root is exempt).
func nprocShortage(n int) string {
	uid := os.Getuid()
	var lim unix.Rlimit
	if uid == 0 || unix.Getrlimit(unix.RLIMIT_NPROC, &lim) != nil || lim.Cur == unix.RLIM_INFINITY {
		return ""
	}
	used := tasksOfUser(uid)
	if used < 0 || uint64(used+n) <= lim.Cur {
		return ""
	}
	return fmt.Sprintf("RLIMIT_NPROC is too low: %d with %d tasks of uid %d in use; sexton needs %d more "+
		"(its threads and the child), so ulimit -u must be at least %d", lim.Cur, used, uid, n, used+n)
}

// tasksOfUser counts the threads of every process whose real user ID is
// uid, as the kernel does for RLIMIT_NPROC; -1 if /proc cannot be read.
func tasksOfUser(uid int) int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return -1
	}
	want := strconv.Itoa(uid)
	n := 0
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/status")
		if err != nil {
			continue
		}
		var real string
		threads := 1
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "Uid:"); ok {
				if f := strings.Fields(v); len(f) > 0 {
					real = f[0]
				}
			} else if v, ok := strings.CutPrefix(line, "Threads:"); ok {
				threads, _ = strconv.Atoi(strings.TrimSpace(v))
			}
		}
		if real == want {
			n += threads
		}
	}
	return n
}

// threadCount returns the number of threads of this process: the runtime's
// own list of them, which holds every thread it made (without cgo there are
// no others) and loses only those that exit, which a thread of sexton's
// never does. Reading it takes no system call, so it works without /proc.
func threadCount() int {
	n, _ := runtime.ThreadCreateProfile(nil)
	return n
}

// threadIDs lists this process's threads (none without /proc: then each
// thread routes signals after the first one it handles).
func threadIDs() []int {
	entries, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil
	}
	tids := make([]int, 0, len(entries))
	for _, e := range entries {
		if t, err := strconv.Atoi(e.Name()); err == nil {
			tids = append(tids, t)
		}
	}
	return tids
}
