package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// exhaustMax is pids.max for the PID exhaustion scenario.
const exhaustMax = 64

// ExhaustRun is a fork bomb under pids.max = 64.
type ExhaustRun struct {
	Init          string
	Forks, Failed int64  // successful and failed fork() calls of the bomb
	Events        string // pids.events of the cgroup ("max N": forks refused)
	Survived      bool   // PID 1 still running after the bomb
	Reaped        bool   // no zombie left within 3 s after the bomb
	ReapTime      time.Duration
	Left          int  // zombies when we stopped waiting
	CleanExit     bool // exited on SIGTERM within 10 s
	ExitTime      time.Duration
	ExitDesc      string
	Threads       int    // PID 1's threads after the bomb
	Log           string // last lines PID 1 wrote on stderr, when it died
	Err           string
}

const bombSeconds = 3

func runExhaust(e *Env, in *Init) (r ExhaustRun) {
	r = ExhaustRun{Init: in.Name, Left: -1}
	cg, err := newCgroup("exhaust", exhaustMax)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	defer e.removeCgroup(cg)
	logPath := e.LogPath("exhaust", in)
	ns, err := startNS(e, in.Command(e.Helper, "forkbomb", strconv.Itoa(bombSeconds)), cg.Dir, logPath)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	defer ns.Kill()
	line, err := ns.ReadLine((bombSeconds + 10) * time.Second)
	if f := strings.Fields(line); err == nil && len(f) == 3 && f[0] == "bomb" {
		r.Forks, _ = strconv.ParseInt(f[1], 10, 64)
		r.Failed, _ = strconv.ParseInt(f[2], 10, 64)
	} else {
		r.Err = fmt.Sprintf("bomb report: %q %v", line, err)
	}
	r.Events = cg.Read("pids.events")
	r.Survived = !ns.Exited()
	if !r.Survived {
		r.ExitDesc = ns.ExitDesc()
		r.Log = lastLines(readFile(logPath), 4)
		return r
	}
	r.Threads, _ = strconv.Atoi(status(ns.Pid)["Threads"])
	t0 := time.Now()
	for {
		z, err := zombiesUnder(ns.Pid)
		if err == nil {
			r.Left = z
		}
		if err == nil && z == 0 {
			r.Reaped, r.ReapTime = true, time.Since(t0)
			break
		}
		if time.Since(t0) > 3*time.Second {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	timeout := 10 * time.Second
	if in.None() {
		timeout = 2 * time.Second
	}
	t1 := time.Now()
	_ = syscall.Kill(ns.Pid, syscall.SIGTERM)
	if ns.WaitExit(timeout) {
		r.CleanExit = true
		r.ExitTime = ns.exited.Sub(t1)
		r.ExitDesc = ns.ExitDesc()
	} else {
		r.ExitDesc = "no exit within " + timeout.String()
	}
	return r
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}
