// Command trees measures what package proctree costs per tree: the CPU
// time and the wakeups of the calling process while N trees run idle, and
// the time to stop all N at once, beside the same work done with plain
// os/exec and process groups.
//
// Every tree is `sh -c 'sleep & stubborn sleep & wait'`: a shell, a sleep
// that dies of SIGTERM and one that ignores it, so every stop lasts the
// grace period and then needs SIGKILL. The plain variant starts the shell
// with Setpgid, sends SIGTERM to the group, polls the group until it is
// empty or the grace has passed, then SIGKILLs the group and polls until
// it is empty.
//
// The program runs under a pid1 supervisor (pid1.Always and Subreaper)
// so that the orphans of both variants are reaped wherever it runs.
// Cgroup mode needs root and a writable cgroup file system; without them
// that row says why it was skipped.
//
// The cost at rest is the process's CPU time and context switches per
// second with the trees, less the same measured without them just before.
//
// Usage: trees [-n 1,10,100] [-rest 5s] [-grace 200ms]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sexton-init/sexton/pid1"
	"github.com/sexton-init/sexton/proctree"
)

const tree = `sleep 100000 & sh -c 'trap "" TERM; exec sleep 100000' & wait`

func main() {
	pid1.Ensure(pid1.Always(), pid1.Subreaper(), pid1.Verbosity(0))
	ns := flag.String("n", "1,10,100", "numbers of trees, comma-separated")
	rest := flag.Duration("rest", 5*time.Second, "how long to measure the trees at rest")
	grace := flag.Duration("grace", 200*time.Millisecond, "grace period of every stop")
	flag.Parse()
	var counts []int
	for _, f := range strings.Split(*ns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "trees: -n: %q is not a positive number\n", f)
			os.Exit(2)
		}
		counts = append(counts, n)
	}
	if *rest <= 0 || *grace < 0 {
		fmt.Fprintln(os.Stderr, "trees: -rest must be positive and -grace not negative")
		os.Exit(2)
	}

	fmt.Printf("%-22s %5s %14s %14s %16s %12s\n", "variant", "N", "CPU ms/s/tree", "wakeups/s/tree", "stop all (grace)", "over grace")
	variants := []variant{plain{}, withProctree{proctree.ProcessGroup}, withProctree{proctree.Cgroup}}
	for _, v := range variants {
		for _, n := range counts {
			r, err := run(v, n, *rest, *grace)
			if err != nil {
				fmt.Printf("%-22s %5d skipped: %v\n", v.name(), n, err)
				break
			}
			fmt.Printf("%-22s %5d %14.3f %14.2f %16v %12v\n", v.name(), n,
				(r.rest.cpu-r.idle.cpu)/float64(n), (r.rest.wakeups-r.idle.wakeups)/float64(n),
				r.stop.Round(time.Millisecond), (r.stop - *grace).Round(time.Millisecond))
		}
	}
}

// variant is one way of starting and stopping a tree.
type variant interface {
	name() string
	start(grace time.Duration) (stopper, error)
}

type stopper interface{ stop() error }

// result is one row: the process idle without trees just before (the
// baseline), at rest with the trees, and the time to stop them all.
type result struct {
	idle, rest usage
	stop       time.Duration
}

func run(v variant, n int, rest, grace time.Duration) (result, error) {
	idle := measure(rest)
	var ts []stopper
	defer func() {
		for _, s := range ts {
			_ = s.stop()
		}
	}()
	for range n {
		s, err := v.start(grace)
		if err != nil {
			return result{}, err
		}
		ts = append(ts, s)
	}
	time.Sleep(time.Second) // let every tree come up and settle
	r := result{idle: idle, rest: measure(rest)}
	t0 := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, len(ts))
	for i, s := range ts {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = s.stop() }()
	}
	wg.Wait()
	r.stop = time.Since(t0)
	ts = nil
	return r, errors.Join(errs...)
}

// usage is the CPU time and the context switches (wakeups) of this
// process per second.
type usage struct{ cpu, wakeups float64 }

// measure starts from a collected heap, so that no variant pays for the
// garbage of the one before.
func measure(d time.Duration) usage {
	runtime.GC()
	debug.FreeOSMemory()
	c0, w0 := cpuTime(), switches()
	time.Sleep(d)
	c1, w1 := cpuTime(), switches()
	s := d.Seconds()
	return usage{cpu: float64(c1-c0) / float64(time.Millisecond) / s, wakeups: float64(w1-w0) / s}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// switches sums the voluntary and involuntary context switches of every
// thread of this process.
func switches() int {
	tasks, _ := os.ReadDir("/proc/self/task")
	n := 0
	for _, task := range tasks {
		b, _ := os.ReadFile("/proc/self/task/" + task.Name() + "/status")
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) == 2 && strings.HasSuffix(f[0], "ctxt_switches:") {
				v, _ := strconv.Atoi(f[1])
				n += v
			}
		}
	}
	return n
}

// plain is os/exec with a process group of its own.
type plain struct{}

func (plain) name() string { return "os/exec + setpgid" }

type plainTree struct {
	cmd   *exec.Cmd
	grace time.Duration
	done  chan struct{}
	once  sync.Once
	err   error
}

func (plain) start(grace time.Duration) (stopper, error) {
	cmd := exec.Command("sh", "-c", tree)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &plainTree{cmd: cmd, grace: grace, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	return p, nil
}

func (p *plainTree) stop() error {
	p.once.Do(func() {
		pgid := p.cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		if !groupGone(pgid, time.Now().Add(p.grace)) {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			if !groupGone(pgid, time.Now().Add(5*time.Second)) {
				p.err = fmt.Errorf("process group %d survived SIGKILL", pgid)
			}
		}
		<-p.done
	})
	return p.err
}

// groupGone polls, every 10 ms, until the process group is empty or the
// deadline has passed.
func groupGone(pgid int, deadline time.Time) bool {
	for {
		if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
			return true
		}
		if !time.Now().Before(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// withProctree is proctree in the given mode.
type withProctree struct{ mode proctree.Mode }

func (v withProctree) name() string { return "proctree " + v.mode.String() }

type proctreeTree struct{ t *proctree.Tree }

func (v withProctree) start(grace time.Duration) (stopper, error) {
	g := grace
	if g == 0 {
		g = -1
	}
	t, err := proctree.Start(exec.Command("sh", "-c", tree), &proctree.Options{Mode: v.mode, Grace: g})
	if err != nil {
		return nil, err
	}
	return proctreeTree{t}, nil
}

func (p proctreeTree) stop() error {
	_, err := p.t.Stop(context.Background())
	_ = p.t.Wait()
	return err
}
