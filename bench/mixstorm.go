package main

import (
	"encoding/binary"
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The mixed storm (issue 13): two processes outside the namespace send PID 1
// queued real-time signals (SIGRTMIN+1..+8) and every 8th time SIGUSR1 or
// SIGUSR2, as fast as they can, for mixSeconds. mixEventAt into the storm,
// either the child exits or SIGTERM comes, and the time the init takes to
// react is measured.
const (
	mixSeconds = 2.0
	mixEventAt = time.Second
	mixTimeout = 15 * time.Second
)

// MixRun is one init's runs of one case of the mixed storm.
type MixRun struct {
	Init string
	Case string // "child exits" or "SIGTERM"
	// React is the reaction time per run, ns: child exit -> PID 1 exit, or
	// SIGTERM sent -> the child's handler runs. +Inf: no reaction within mixTimeout.
	React []float64
	// Exit is SIGTERM sent -> PID 1 exit, ns (SIGTERM case).
	Exit     []float64
	Queued   []int64  // real-time signals the senders queued, per run
	Refused  []int64  // sigqueue calls refused with EAGAIN (queue full), per run
	SigQ     []string // PID 1's SigQ (queued for its user / limit) at the event, per run
	ExitDesc string
	Err      string
}

// mixInits are the contenders of the mixed storm: sexton, go-fwd (the Go
// floor of signal forwarding), tini and dumb-init.
func mixInits(e *Env) []*Init {
	var out []*Init
	for _, in := range signalInits(e) {
		switch in.Name {
		case "sexton", "go-fwd", "tini", "dumb-init":
			out = append(out, in)
		}
	}
	return out
}

var mixCases = []string{"child exits", "SIGTERM"}

// inf marks a run that got no reaction within its timeout.
var inf = math.Inf(1)

// runMixStorms interleaves inits and cases, rounds times.
func runMixStorms(e *Env, rounds int) []MixRun {
	inits := mixInits(e)
	res := make([]MixRun, 0, len(inits)*len(mixCases))
	for _, c := range mixCases {
		for _, in := range inits {
			res = append(res, MixRun{Init: in.Name, Case: c})
		}
	}
	for round := 0; round < rounds; round++ {
		for ci := range mixCases {
			for ii, in := range inits {
				r := &res[ci*len(inits)+ii]
				e.logf("mixed storm, %s: round %d/%d: %s", r.Case, round+1, rounds, in.Name)
				mixOnce(e, in, r)
			}
		}
	}
	return res
}

func mixOnce(e *Env, in *Init, r *MixRun) {
	ns, err := startReady(e, in, "", "mixstorm", "stormchild")
	if err != nil {
		r.Err = err.Error()
		return
	}
	defer ns.Kill()
	if _, err := ns.Workload(in.None(), 2*time.Second); err != nil {
		r.Err = err.Error()
		return
	}
	time.Sleep(10 * time.Millisecond) // let the init settle into its loop
	var senders []*exec.Cmd
	var outs []*strings.Builder
	for i := 0; i < 2; i++ {
		cmd := exec.Command(e.Helper, "sigstorm", strconv.Itoa(ns.Pid), fmt.Sprint(mixSeconds))
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		out := &strings.Builder{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			r.Err = "sender: " + err.Error()
			break
		}
		senders, outs = append(senders, cmd), append(outs, out)
	}
	defer func() {
		var queued, refused int64
		for i, s := range senders {
			_ = s.Wait()
			var q, u, f int64
			if _, err := fmt.Sscanf(outs[i].String(), "sigstorm %d %d %d", &q, &u, &f); err != nil {
				r.Err = fmt.Sprintf("sender said %q", strings.TrimSpace(outs[i].String()))
			}
			queued, refused = queued+q, refused+f
		}
		r.Queued, r.Refused = append(r.Queued, queued), append(r.Refused, refused)
	}()
	time.Sleep(mixEventAt)
	r.SigQ = append(r.SigQ, status(ns.Pid)["SigQ"])
	buf := make([]byte, 8)
	switch r.Case {
	case "child exits":
		if _, err := ns.stdin.Write([]byte{'x'}); err != nil {
			r.Err = "telling the child to exit: " + err.Error()
			return
		}
		if err := ns.ReadFull(buf, 5*time.Second); err != nil {
			r.Err = "the child's exit stamp: " + err.Error()
			return
		}
		died := int64(binary.NativeEndian.Uint64(buf))
		if !ns.WaitExit(mixTimeout) {
			r.React = append(r.React, inf)
			r.ExitDesc = fmt.Sprintf("no exit within %v of the child's exit", mixTimeout)
			return
		}
		r.React = append(r.React, float64(ns.exitedMono-died))
	case "SIGTERM":
		t0 := monoNow()
		_ = syscall.Kill(ns.Pid, syscall.SIGTERM)
		if err := ns.ReadFull(buf, mixTimeout); err != nil {
			r.React = append(r.React, inf)
			r.ExitDesc = fmt.Sprintf("SIGTERM not at the child within %v", mixTimeout)
			return
		}
		r.React = append(r.React, float64(int64(binary.NativeEndian.Uint64(buf))-t0))
		if !ns.WaitExit(mixTimeout) {
			r.Exit = append(r.Exit, inf)
			r.ExitDesc = fmt.Sprintf("no exit within %v of SIGTERM", mixTimeout)
			return
		}
		r.Exit = append(r.Exit, float64(ns.exitedMono-t0))
	}
	r.ExitDesc = ns.ExitDesc()
}
