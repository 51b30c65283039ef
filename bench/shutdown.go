package main

import (
	"fmt"
	"strings"
	"syscall"
	"time"
)

// ShutdownRun is SIGTERM to PID 1 until PID 1 exits, for a child that dies
// of SIGTERM at once (default disposition).
type ShutdownRun struct {
	Init     string
	Times    []float64 // ns, runs that exited
	NoExit   int       // runs where PID 1 did not exit within the timeout
	Timeout  time.Duration
	ExitDesc string // how PID 1 ended (last run)
	Err      string
}

func runShutdown(e *Env, in *Init, runs int) (r ShutdownRun) {
	r = ShutdownRun{Init: in.Name, Timeout: 10 * time.Second}
	if in.None() {
		r.Timeout = 2 * time.Second
	}
	for i := 0; i < runs; i++ {
		ns, err := startReady(e, in, "", "shutdown", "termwait")
		if err != nil {
			r.Err = err.Error()
			return r
		}
		if _, err := ns.Workload(in.None(), 2*time.Second); err != nil {
			r.Err = err.Error()
			ns.Kill()
			return r
		}
		time.Sleep(20 * time.Millisecond) // let the init settle into its loop
		t0 := time.Now()
		_ = syscall.Kill(ns.Pid, syscall.SIGTERM)
		if ns.WaitExit(r.Timeout) {
			r.Times = append(r.Times, float64(ns.exited.Sub(t0)))
			r.ExitDesc = ns.ExitDesc()
			ns.Kill()
			continue
		}
		r.NoExit++
		r.ExitDesc = "no exit within " + r.Timeout.String()
		ns.Kill()
		if r.NoExit >= 1 && len(r.Times) == 0 {
			break // the failure mode is shown; do not wait it out again
		}
	}
	return r
}

// FlushRun is the flush case: the workload's background helper needs 300 ms
// after SIGTERM to flush; the foreground dies of SIGTERM at once.
type FlushRun struct {
	Init     string
	Outcomes []string  // per run: "flushed", "lost: killed mid-flush", "lost: never got SIGTERM", ...
	Times    []float64 // ns, SIGTERM to PID 1 exit
	ExitDesc string
	Err      string
}

func runFlush(e *Env, in *Init, runs int) (r FlushRun) {
	r = FlushRun{Init: in.Name}
	timeout := 10 * time.Second
	if in.None() {
		timeout = 2 * time.Second
	}
	for i := 0; i < runs; i++ {
		ns, err := startNS(e, in.Command(e.Helper, "flush"), "", e.LogPath("flush", in))
		if err != nil {
			r.Err = err.Error()
			return r
		}
		seen := map[string]bool{}
		for !(seen["ready"] && seen["bgready"]) {
			l, err := ns.ReadLine(10 * time.Second)
			if err != nil {
				r.Err = fmt.Sprintf("workload not ready: %v (%s)", err, ns.ExitDesc())
				ns.Kill()
				return r
			}
			seen[l] = true
		}
		time.Sleep(20 * time.Millisecond)
		t0 := time.Now()
		_ = syscall.Kill(ns.Pid, syscall.SIGTERM)
		exited := ns.WaitExit(timeout)
		if exited {
			r.Times = append(r.Times, float64(ns.exited.Sub(t0)))
			r.ExitDesc = ns.ExitDesc()
		} else {
			r.ExitDesc = "no exit within " + timeout.String()
		}
		ns.Terminate()
		// Everything in the namespace is dead now: read what it left in the pipe.
		for {
			l, err := ns.ReadLine(time.Second)
			if l != "" {
				seen[strings.TrimSpace(l)] = true
			}
			if err != nil {
				break
			}
		}
		ns.Close()
		switch {
		case !exited:
			r.Outcomes = append(r.Outcomes, "lost: PID 1 ignored SIGTERM, SIGKILL needed")
		case seen["flushed"]:
			r.Outcomes = append(r.Outcomes, "flushed")
		case seen["flushing"]:
			r.Outcomes = append(r.Outcomes, "lost: killed mid-flush")
		default:
			r.Outcomes = append(r.Outcomes, "lost: never got SIGTERM")
		}
		if !exited {
			break
		}
	}
	return r
}
