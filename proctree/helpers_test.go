package proctree

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// helper runs one role of the re-executed test binary and returns its exit
// code. Besides the tree roles (see proctree_test.go), the helper programs
// run proctree in a process of their own, unsupervised (the pid1 marker is
// not inherited), and print what they found, one "FAIL: ..." line per
// problem:
//
//	storm      a ProcessGroup tree that makes orphans without pause while
//	           the helper runs hundreds of exec.Command(...).Run()
//	subreaper  when proctree makes the process a child subreaper
//	rofs       Auto and Cgroup mode with every cgroup file system
//	           remounted read-only (run in a new mount namespace)
//	crash      start a Cgroup tree under the given parent, print its
//	           cgroup, and exit without Stop (run as PID 1 of a new PID
//	           namespace: as in a container that crashed)
func helper(role string) int {
	switch role {
	case "storm":
		return stormHelper()
	case "subreaper":
		return subreaperHelper()
	case "rofs":
		return rofsHelper()
	case "crash":
		return crashHelper(os.Args[1])
	}
	treeRole(role)
	return 0
}

// stormHelper: while a tree keeps leaving orphans that the subreaper gets
// and proctree reaps, every exec.Command must still get its own exit
// status: proctree must reap only its members, one by one.
func stormHelper() int {
	tree, err := Start(exec.Command("sh", "-c", `while :; do sh -c 'sleep 0.01 &'; sleep 0.002; done`),
		&Options{Mode: ProcessGroup, Grace: 2 * time.Second})
	if err != nil {
		fmt.Println("FAIL: start:", err)
		return 1
	}
	const commands, parallel = 400, 40
	var wg sync.WaitGroup
	var mu sync.Mutex
	wrong := 0
	sem := make(chan struct{}, parallel)
	for i := range commands {
		want := (i * 37) % 256
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			err := exec.Command("sh", "-c", "exit "+strconv.Itoa(want)).Run()
			var ee *exec.ExitError
			if !(want == 0 && err == nil) && !(errors.As(err, &ee) && ee.ExitCode() == want) {
				mu.Lock()
				wrong++
				if wrong <= 5 {
					fmt.Printf("FAIL: sh -c 'exit %d': %v\n", want, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	rep, err := tree.Stop(context.Background())
	_ = tree.Wait()
	if err != nil {
		fmt.Println("FAIL: stop:", err)
	}
	fmt.Printf("commands=%d wrong=%d reaped=%d\n", commands, wrong, len(rep.Reaped))
	if wrong > 0 || err != nil {
		return 1
	}
	return 0
}

// subreaperHelper: the subreaper attribute is set only for ProcessGroup
// trees that need it, and only while they live.
func subreaperHelper() int {
	failed := false
	check := func(what string, want bool) {
		got, err := isSubreaper()
		if err != nil || got != want {
			fmt.Printf("FAIL: %s: subreaper %v (%v), want %v\n", what, got, err, want)
			failed = true
		}
	}
	run := func(what string, opts *Options, during, after bool) {
		tree, err := Start(exec.Command("sleep", "60"), opts)
		if err != nil {
			fmt.Printf("FAIL: %s: %v\n", what, err)
			failed = true
			return
		}
		check(what+", running", during)
		if _, err := tree.Stop(context.Background()); err != nil {
			fmt.Printf("FAIL: %s: stop: %v\n", what, err)
			failed = true
		}
		_ = tree.Wait()
		check(what+", stopped", after)
	}
	check("before any tree", false)
	run("process-group mode", &Options{Mode: ProcessGroup}, true, false)
	run("process-group mode, NoSubreaper", &Options{Mode: ProcessGroup, NoSubreaper: true}, false, false)
	if os.Geteuid() == 0 {
		run("cgroup mode", &Options{Mode: Cgroup}, false, false)
	}
	// Two trees: the attribute stays until the second is stopped.
	a, errA := Start(exec.Command("sleep", "60"), &Options{Mode: ProcessGroup})
	b, errB := Start(exec.Command("sleep", "60"), &Options{Mode: ProcessGroup})
	if errA != nil || errB != nil {
		fmt.Println("FAIL: two trees:", errA, errB)
		return 1
	}
	_, _ = a.Stop(context.Background())
	check("two trees, one stopped", true)
	_, _ = b.Stop(context.Background())
	check("two trees, both stopped", false)
	_, _ = a.Wait(), b.Wait()
	// A process that was a subreaper before stays one.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Println("FAIL: prctl:", err)
		return 1
	}
	run("process-group mode in a subreaper", &Options{Mode: ProcessGroup}, true, true)
	if failed {
		return 1
	}
	fmt.Println("ok")
	return 0
}

// rofsHelper remounts every cgroup file system read-only in its own mount
// namespace, as Docker, Podman and CRI-O mount /sys/fs/cgroup, and
// reports what Auto and Cgroup mode make of it.
func rofsHelper() int {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		fmt.Println("FAIL: making mounts private:", err)
		return 1
	}
	mounts, err := cgroupMounts()
	if err != nil || len(mounts) == 0 {
		fmt.Println("FAIL: no cgroup mounts:", err)
		return 1
	}
	for _, m := range mounts {
		if err := unix.Mount(m, m, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
			fmt.Printf("FAIL: remounting %s read-only: %v\n", m, err)
			return 1
		}
	}
	tree, err := Start(exec.Command("sleep", "60"), nil)
	if err != nil {
		fmt.Println("FAIL: auto mode:", err)
		return 1
	}
	fb := tree.Fallback()
	fmt.Printf("auto: mode=%v nocgroup=%v erofs=%v\n", tree.Mode(), errors.Is(fb, ErrNoCgroup), errors.Is(fb, syscall.EROFS))
	fmt.Printf("auto: fallback: %v\n", fb)
	_, _ = tree.Stop(context.Background())
	_ = tree.Wait()
	_, err = Start(exec.Command("sleep", "60"), &Options{Mode: Cgroup})
	fmt.Printf("cgroup: started=%v nocgroup=%v erofs=%v\n", err == nil, errors.Is(err, ErrNoCgroup), errors.Is(err, syscall.EROFS))
	fmt.Printf("cgroup: error: %v\n", err)
	return 0
}

// cgroupMounts lists the mount points of the cgroup file systems.
func cgroupMounts() ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		a, b := strings.Fields(pre), strings.Fields(post)
		if ok && len(a) >= 5 && len(b) >= 1 && (b[0] == "cgroup" || b[0] == "cgroup2") {
			out = append(out, unescapeMount(a[4]))
		}
	}
	return out, sc.Err()
}

// crashHelper starts a Cgroup tree and exits without Stop.
func crashHelper(parent string) int {
	tree, err := Start(exec.Command("sleep", "60"), &Options{Mode: Cgroup, CgroupParent: parent})
	if err != nil {
		fmt.Println("FAIL:", err)
		return 1
	}
	fmt.Printf("pid=%d mode=%v cgroup=%s\n", os.Getpid(), tree.Mode(), tree.Cgroup())
	return 0
}
