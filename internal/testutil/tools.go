package testutil

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/signals"
)

// runTool runs one workload tool and returns its exit code. The tools:
//
//	orphans N          make N orphans: fork a child that forks a grandchild,
//	                   both exit at once, only the child is waited for
//	forkflood SECONDS  fork as fast as possible for SECONDS, each fork
//	                   leaving an orphan that lives 500 ms; print how many
//	                   forks failed with EAGAIN
//	sigrecord FILE [CHILDFILE]
//	                   append the name of each signal received to FILE;
//	                   with CHILDFILE, first start a second recorder in
//	                   the same process group writing there
//	sigrecordall FILE  record every signal, SIGURG and SIGPIPE included
//	                   (see sigrecordall.go)
//	hoppers, nopidfd   see leftovers.go
func runTool(name string, args []string) int {
	switch name {
	case "orphans":
		n, _ := strconv.Atoi(args[0])
		return orphans(n)
	case "forkflood":
		secs, _ := strconv.Atoi(args[0])
		return forkFlood(time.Duration(secs) * time.Second)
	case "sigrecord":
		return sigRecord(args)
	case "sigrecordall":
		return sigRecordAll(args[0])
	case "hoppers":
		return hoppers(atoi(args[0]), atoi(args[1]))
	case "nopidfd":
		return noPidfd(args)
	}
	fmt.Fprintf(os.Stderr, "testutil: unknown tool %q\n", name)
	return 100
}

// rawFork forks this process with the clone system call alone. In the child
// only the calling thread exists and Go's runtime must not run: the child
// calls nothing but raw system calls and exits.
func rawFork() (int, unix.Errno) {
	pid, _, errno := unix.RawSyscall6(unix.SYS_CLONE, uintptr(unix.SIGCHLD), 0, 0, 0, 0, 0)
	return int(pid), errno
}

func rawExit(code int) {
	unix.RawSyscall(unix.SYS_EXIT_GROUP, uintptr(code), 0, 0)
}

// orphans makes n orphans as fast as it can.
func orphans(n int) int {
	for i := 0; i < n; i++ {
		pid, errno := rawFork()
		if errno != 0 {
			fmt.Fprintf(os.Stderr, "fork: %v\n", errno)
			return 1
		}
		if pid == 0 {
			rawFork() // the grandchild exits at once too: pid 0 or not
			rawExit(0)
		}
		var ws unix.WaitStatus
		for {
			if _, err := unix.Wait4(pid, &ws, 0, nil); err != unix.EINTR {
				break
			}
		}
	}
	return 0
}

// forkFlood forks as fast as it can until d has passed, each child leaving
// an orphan that sleeps 500 ms; it reports how many forks failed, its own
// or its children's (a child whose fork fails exits with status 1).
func forkFlood(d time.Duration) int {
	deadline := time.Now().Add(d)
	failed, made := 0, 0
	sleep := unix.Timespec{Nsec: 500_000_000}
	for time.Now().Before(deadline) {
		pid, errno := rawFork()
		if errno != 0 {
			failed++
			continue
		}
		if pid == 0 {
			gpid, errno := rawFork()
			if gpid == 0 && errno == 0 {
				unix.RawSyscall(unix.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&sleep)), 0, 0)
				rawExit(0)
			}
			if errno != 0 {
				rawExit(1)
			}
			rawExit(0)
		}
		made++
		var ws unix.WaitStatus
		for {
			if _, err := unix.Wait4(pid, &ws, 0, nil); err != unix.EINTR {
				break
			}
		}
		if ws.ExitStatus() == 1 {
			failed++
		}
	}
	fmt.Printf("forks=%d eagain=%d\n", made, failed)
	return 0
}

// MarkerSignal is a real-time signal that sigrecord records too (as 35 and
// 64, the first and last a Go program may catch): sent last,
// it is delivered after any standard signal still pending, so once it is
// recorded so is everything sent before it.
const MarkerSignal = unix.Signal(40)

// sigRecord appends every signal it gets to a file, one name a line, and
// never exits by itself. FILE.ready appears once it is listening (and, with
// CHILDFILE, once its child recorder in the same process group is too).
func sigRecord(args []string) int {
	file := args[0]
	if len(args) > 1 {
		exe, _ := os.Executable()
		_, err := os.StartProcess(exe, []string{exe, args[1]}, &os.ProcAttr{
			Env:   append(os.Environ(), toolEnv+"=sigrecord"),
			Files: []*os.File{os.Stdin, os.Stdout, os.Stderr},
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	sigs := []os.Signal{MarkerSignal, unix.Signal(35), unix.Signal(64)} // (34 the Go runtime keeps)
	for s := unix.Signal(1); s < 32; s++ {
		if s != unix.SIGKILL && s != unix.SIGSTOP && s != unix.SIGCHLD && s != unix.SIGURG {
			sigs = append(sigs, s)
		}
	}
	ch := make(chan os.Signal, 64)
	signal.Notify(ch, sigs...)
	if len(args) > 1 {
		for ReadFile(args[1]+".ready") == "" {
			time.Sleep(5 * time.Millisecond)
		}
	}
	_ = os.WriteFile(file+".ready", []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
	for v := range ch {
		f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return 1
		}
		fmt.Fprintln(f, signals.Name(v.(syscall.Signal)))
		f.Close()
	}
	return 0
}
