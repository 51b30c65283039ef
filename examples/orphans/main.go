// Command orphans shows the failure that package proctree fixes, then the
// fix.
//
// It plays, by re-executing itself, an npm-like tree:
//
//	npm              the direct child; starts next and a daemon, then waits
//	  next           a grandchild in npm's process group
//	  daemon         double-forked: it called setsid, and its parent exited;
//	                 it ignores SIGTERM
//
// Part 1 starts npm with plain os/exec (exec.CommandContext), cancels the
// context, and shows that only npm died: next and the daemon are orphans,
// reparented to the nearest subreaper (or PID 1); a process-group kill
// would still miss the daemon, which left the group. It then kills them by
// hand. Part 2 does the same through proctree.Start and shows that all are
// gone.
//
// The program runs under a pid1 supervisor (pid1.Always and Subreaper),
// as a program that is PID 1 of its container would with pid1.Ensure: the
// supervisor reaps the orphans, so proctree does not make the program a
// subreaper, and it prints proctree's mode and, in Auto mode, why cgroup
// mode was not available if it was not.
//
// Usage: orphans [-mode auto|process-group|cgroup]
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sexton-init/sexton/pid1"
	"github.com/sexton-init/sexton/procfs"
	"github.com/sexton-init/sexton/proctree"
)

const roleEnv = "ORPHANS_ROLE"

func main() {
	if role := os.Getenv(roleEnv); role != "" {
		play(role)
		return
	}
	pid1.Ensure(pid1.Always(), pid1.Subreaper(), pid1.Verbosity(0))
	modeName := flag.String("mode", "auto", "proctree mode: auto, process-group or cgroup")
	flag.Parse()
	mode := map[string]proctree.Mode{"auto": proctree.Auto, "process-group": proctree.ProcessGroup, "cgroup": proctree.Cgroup}
	m, ok := mode[*modeName]
	if !ok {
		fmt.Fprintln(os.Stderr, "orphans: unknown mode", *modeName)
		os.Exit(2)
	}
	fmt.Printf("orphans: pid %d, under a pid1 supervisor: pid %d\n\n== 1. plain os/exec ==\n", os.Getpid(), os.Getppid())
	if err := plain(); err != nil {
		fmt.Fprintln(os.Stderr, "orphans:", err)
		os.Exit(1)
	}
	fmt.Printf("\n== 2. proctree ==\n")
	if err := withProctree(m); err != nil {
		fmt.Fprintln(os.Stderr, "orphans:", err)
		os.Exit(1)
	}
}

// play is one process of the demo tree. Each reports "role pid" on fd 3
// once it is up.
func play(role string) {
	report := os.NewFile(3, "report")
	spawn := func(role string, setsid bool) {
		self, _ := os.Executable()
		c := exec.Command(self)
		c.Env = append(os.Environ(), roleEnv+"="+role, "PARENT_PID="+strconv.Itoa(os.Getpid()))
		c.ExtraFiles = []*os.File{report}
		c.SysProcAttr = &syscall.SysProcAttr{Setsid: setsid}
		if err := c.Start(); err != nil {
			fmt.Fprintln(os.Stderr, role+":", err)
			os.Exit(1)
		}
	}
	switch role {
	case "npm":
		spawn("next", false)
		spawn("fork1", true)
	case "fork1": // first half of the double fork: new session, fork, exit
		spawn("daemon", false)
		os.Exit(0)
	case "daemon":
		signal.Ignore(syscall.SIGTERM) // a stubborn daemon: only SIGKILL ends it
		// Compare with the pid of the parent that started us, not with a
		// first getppid(): the parent may already have exited by then.
		for ppid := os.Getenv("PARENT_PID"); strconv.Itoa(os.Getppid()) == ppid; { // wait to be orphaned
			time.Sleep(time.Millisecond)
		}
	}
	fmt.Fprintf(report, "%s %d\n", role, os.Getpid())
	for {
		time.Sleep(time.Hour) // not select{}: the runtime would call that a deadlock
	}
}

type proc struct {
	role string
	stat procfs.Stat
}

// start starts npm through startFn and waits until npm, next and daemon
// are up.
func start(cmd *exec.Cmd, startFn func() error) ([]proc, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	cmd.Env = append(os.Environ(), roleEnv+"=npm")
	cmd.ExtraFiles = []*os.File{w}
	err = startFn()
	w.Close()
	if err != nil {
		return nil, err
	}
	var out []proc
	sc := bufio.NewScanner(r)
	for len(out) < 3 && sc.Scan() {
		var p proc
		var pid int
		if _, err := fmt.Sscan(sc.Text(), &p.role, &pid); err != nil {
			return out, err
		}
		if p.stat, err = procfs.ReadStat("/proc", pid); err != nil {
			return out, err
		}
		out = append(out, p)
	}
	if len(out) < 3 {
		return out, fmt.Errorf("tree did not come up: %v", sc.Err())
	}
	return out, nil
}

// show prints each process of the tree: alive (with parent, group and
// session) or gone.
func show(procs []proc) (alive []proc) {
	for _, p := range procs {
		s, err := procfs.ReadStat("/proc", p.stat.PID)
		if err != nil || s.StartTime != p.stat.StartTime {
			fmt.Printf("  %-6s pid %-6d gone\n", p.role, p.stat.PID)
			continue
		}
		what := "ALIVE"
		if s.State == 'Z' {
			what = "ZOMBIE"
		}
		fmt.Printf("  %-6s pid %-6d %-6s ppid %-6d pgid %-6d sid %d\n", p.role, s.PID, what, s.PPID, s.PGRP, s.Session)
		alive = append(alive, p)
	}
	return alive
}

// anyLeft reports whether any of procs still exists, zombies included.
func anyLeft(procs []proc) bool {
	for _, p := range procs {
		if s, err := procfs.ReadStat("/proc", p.stat.PID); err == nil && s.StartTime == p.stat.StartTime {
			return true
		}
	}
	return false
}

func describe(procs []proc) {
	fmt.Println("started:")
	for _, p := range procs {
		fmt.Printf("  %-6s pid %-6d ppid %-6d pgid %-6d sid %d\n", p.role, p.stat.PID, p.stat.PPID, p.stat.PGRP, p.stat.Session)
	}
}

func plain() error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	self, _ := os.Executable()
	cmd := exec.CommandContext(ctx, self)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	procs, err := start(cmd, cmd.Start)
	if err != nil {
		return err
	}
	describe(procs)
	fmt.Println("cancel the context (os/exec: cmd.Process.Kill), cmd.Wait:")
	cancel()
	fmt.Println("  wait:", cmd.Wait())
	time.Sleep(100 * time.Millisecond) // let the orphans be reparented, for the display
	fmt.Println("after cmd.Wait:")
	alive := show(procs)
	if len(alive) == 0 {
		fmt.Println("  (no orphans: unexpected)")
		return nil
	}
	var left []string
	for _, p := range alive {
		if p.stat.PGRP != procs[0].stat.PID {
			left = append(left, p.role)
		}
	}
	fmt.Printf("  => %d orphans; kill(-pgid) would also miss: %s (left the group)\n", len(alive), strings.Join(left, ", "))
	fmt.Println("cleaning up by hand: SIGKILL by pid")
	for _, p := range alive {
		_ = syscall.Kill(p.stat.PID, syscall.SIGKILL)
	}
	return nil
}

func withProctree(mode proctree.Mode) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	self, _ := os.Executable()
	cmd := exec.CommandContext(ctx, self)
	cmd.WaitDelay = 2 * time.Second // the grace period, too
	var tree *proctree.Tree
	procs, err := start(cmd, func() (err error) {
		tree, err = proctree.Start(cmd, &proctree.Options{Mode: mode})
		return err
	})
	if tree != nil {
		defer tree.Stop(context.Background())
	}
	if err != nil {
		return err
	}
	describe(procs)
	fmt.Printf("proctree mode: %s", tree.Mode())
	if tree.Cgroup() != "" {
		fmt.Printf(" (cgroup %s)", tree.Cgroup())
	}
	if err := tree.Fallback(); err != nil {
		fmt.Printf("\n  not cgroup mode, because: %v", err)
	}
	fmt.Println()
	var ms []string
	for _, p := range tree.Members() {
		ms = append(ms, p.String())
	}
	fmt.Printf("members: %s\n", strings.Join(ms, ", "))
	fmt.Println("cancel the context (proctree: Stop the whole tree), tree.Wait:")
	cancel()
	fmt.Println("  wait:", tree.Wait())
	rep, err := tree.Stop(context.Background())
	fmt.Println("report:", rep)
	if err != nil {
		return err
	}
	// The orphans' zombies are the supervisor's to reap: give it a moment.
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline) && anyLeft(procs); {
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Println("after Stop:")
	if alive := show(procs); len(alive) > 0 {
		return fmt.Errorf("%d processes survived", len(alive))
	}
	fmt.Println("  => no process of the tree is left, and no zombie")
	return nil
}
