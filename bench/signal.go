package main

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"syscall"
	"time"
)

// SignalRun is the forwarding latency of one signal under one init: the
// signal sent to PID 1 until the workload's handler runs (Via), and (Direct)
// sent to the workload itself, in the same namespace.
type SignalRun struct {
	Init        string
	Signal      string    // SIGUSR1 or SIGTERM
	Via, Direct []float64 // ns
	Lost        int       // signals whose handler never ran within 2 s
	HWM         int64     // PID 1's VmHWM at the end (SIGUSR1 run), bytes
	Err         string
}

// signalGap separates two signals, so each one meets an init that went back
// to waiting, as signals in real life do.
const signalGap = 300 * time.Microsecond

// signalInits are the contenders of the signal scenarios: those that relay
// signals, and go-fwd, the smallest Go program that does, next to sexton.
func signalInits(e *Env) []*Init {
	var out []*Init
	for _, in := range e.Inits {
		if in.NoRelay {
			continue
		}
		out = append(out, in)
		if in == e.Sexton && e.GoFwd != nil {
			out = append(out, e.GoFwd)
		}
	}
	if e.Sexton == nil && e.GoFwd != nil {
		out = append([]*Init{e.GoFwd}, out...)
	}
	return out
}

// stampReader sends a signal and reads the 8-byte CLOCK_MONOTONIC stamp the
// workload's handler writes, returning the latency in ns.
func stampReader(ns *NS) func(pid int, sig syscall.Signal) (float64, error) {
	buf := make([]byte, 8)
	return func(pid int, sig syscall.Signal) (float64, error) {
		t0 := monoNow()
		if err := syscall.Kill(pid, sig); err != nil {
			return 0, err
		}
		if err := ns.ReadFull(buf, 2*time.Second); err != nil {
			return 0, err
		}
		return float64(int64(binary.NativeEndian.Uint64(buf)) - t0), nil
	}
}

// runSignals sends count SIGUSR1 to PID 1 and to the workload, alternating,
// in one namespace.
func runSignals(e *Env, in *Init, count int) (r SignalRun) {
	r = SignalRun{Init: in.Name, Signal: "SIGUSR1"}
	ns, err := startReady(e, in, "", "signal", "sigrecv")
	if err != nil {
		r.Err = err.Error()
		return r
	}
	defer ns.Kill()
	workload, err := ns.Workload(in.None(), 2*time.Second)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	send := stampReader(ns)
	time.Sleep(50 * time.Millisecond) // let the init settle into its loop
	for i := 0; i < count && !ns.Exited(); i++ {
		for _, pid := range []int{ns.Pid, workload} {
			time.Sleep(signalGap)
			d, err := send(pid, syscall.SIGUSR1)
			if err != nil {
				if pid == ns.Pid {
					r.Lost++
				}
				if r.Lost > 3 {
					r.Err = fmt.Sprintf("handler not reached: %v (PID 1: %s)", err, ns.ExitDesc())
					return r
				}
				continue
			}
			if pid == ns.Pid {
				r.Via = append(r.Via, d)
			} else {
				r.Direct = append(r.Direct, d)
			}
		}
	}
	r.HWM = parseKB(status(ns.Pid)["VmHWM"])
	if ns.Exited() {
		r.Err = "PID 1 exited: " + ns.ExitDesc()
	}
	return r
}

// runTerms measures SIGTERM forwarding: a SIGTERM ends a run (the init
// shuts down), so each run is a fresh namespace whose workload first gets
// one SIGTERM directly (the baseline; it survives it) and then one through
// PID 1 (it dies of it). The inits take turns, in a new random order each
// round.
func runTerms(e *Env, inits []*Init, runs int) []SignalRun {
	res := make([]SignalRun, len(inits))
	for i, in := range inits {
		res[i] = SignalRun{Init: in.Name, Signal: "SIGTERM"}
	}
	order := make([]int, len(inits))
	for i := range order {
		order[i] = i
	}
	for round := 0; round < runs; round++ {
		rand.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		for _, i := range order {
			if res[i].Lost <= 3 {
				termOnce(e, inits[i], &res[i])
			}
		}
	}
	return res
}

func termOnce(e *Env, in *Init, r *SignalRun) {
	ns, err := startReady(e, in, "", "term", "termrecv")
	if err != nil {
		r.Err = err.Error()
		r.Lost++
		return
	}
	defer ns.Kill()
	workload, err := ns.Workload(in.None(), 2*time.Second)
	if err != nil {
		r.Err = err.Error()
		r.Lost++
		return
	}
	send := stampReader(ns)
	time.Sleep(10 * time.Millisecond) // let the init settle into its loop
	d, err := send(workload, syscall.SIGTERM)
	if err != nil {
		r.Err = fmt.Sprintf("direct SIGTERM not received: %v", err)
		r.Lost++
		return
	}
	r.Direct = append(r.Direct, d)
	time.Sleep(signalGap)
	d, err = send(ns.Pid, syscall.SIGTERM)
	if err != nil {
		r.Err = fmt.Sprintf("SIGTERM through PID 1 not received: %v (PID 1: %s)", err, ns.ExitDesc())
		r.Lost++
		return
	}
	r.Via = append(r.Via, d)
	if !ns.WaitExit(10 * time.Second) {
		r.Err = "PID 1 did not exit within 10 s of SIGTERM"
	}
}
