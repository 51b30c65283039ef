package main

import (
	"encoding/binary"
	"fmt"
	"syscall"
	"time"
)

// SignalRun is the signal latency under one init: SIGUSR1 sent to PID 1
// until the workload's handler runs, and (Direct) sent to the workload
// itself, alternating, in the same namespace.
type SignalRun struct {
	Init        string
	Via, Direct []float64 // ns
	Lost        int       // signals whose handler never ran within 2 s
	Err         string
}

// signalGap separates two signals, so each one meets an init that went back
// to waiting, as signals in real life do.
const signalGap = 300 * time.Microsecond

func runSignals(e *Env, in *Init, count int) (r SignalRun) {
	r = SignalRun{Init: in.Name}
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
	buf := make([]byte, 8)
	send := func(pid int) (float64, error) {
		t0 := monoNow()
		if err := syscall.Kill(pid, syscall.SIGUSR1); err != nil {
			return 0, err
		}
		if err := ns.ReadFull(buf, 2*time.Second); err != nil {
			return 0, err
		}
		return float64(int64(binary.NativeEndian.Uint64(buf)) - t0), nil
	}
	time.Sleep(50 * time.Millisecond) // let the init settle into its loop
	for i := 0; i < count && !ns.Exited(); i++ {
		for _, pid := range []int{ns.Pid, workload} {
			time.Sleep(signalGap)
			d, err := send(pid)
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
	if ns.Exited() {
		r.Err = "PID 1 exited: " + ns.ExitDesc()
	}
	return r
}
