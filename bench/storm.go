package main

import (
	"fmt"
	"golang.org/x/sys/unix"
	"strconv"
	"strings"
	"sync"
	"time"
)

// stormCap is the pids.max of every storm's cgroup. pid_max is 32768 on the
// bench machines and shared with other work; "no init" never reaps, so
// without a cap it would eat the host's PIDs. No reaping init comes near it.
const stormCap = 12000

// Sample is one reading of the unreaped-orphan count.
type Sample struct {
	T   float64 // ms since the storm started
	Z   int
	Age float64 // ms since the oldest unreaped orphan of this sample died (0: none)
}

// StormRun is one orphan storm under one init.
type StormRun struct {
	Init          string
	N             int
	Made, Failed  int           // orphans made; failed fork attempts (pids cap)
	Create        time.Duration // first fork to last orphan made
	Peak          int           // most unreaped orphans in any sample
	Drain         time.Duration // end of storm until no orphan left; -1: never
	Left          int           // zombies left at the end (exact /proc scan)
	CPU           time.Duration // the init's own CPU time during the run
	OldestZombie  time.Duration // the oldest zombie age seen at any sample
	Over20ms      int           // samples that saw a zombie older than 20 ms
	HWM           int64         // PID 1's VmHWM at the end, bytes
	BenchCPU      time.Duration // the bench's own CPU over the run: mostly the sampler
	SamplesTaken  int
	SampleEveryMs float64
	Samples       []Sample
	Err           string
}

const sampleEvery = 2 * time.Millisecond

// maxAgedPerSample bounds the /proc/PID/stat reads of one sample: only with
// no init (thousands of zombies) does a sample list more orphans. The kernel
// lists PID 1's children in the order they were reparented to it, oldest
// first, so the first ones hold the oldest zombie.
const maxAgedPerSample = 64

func runStorm(e *Env, in *Init, n int) (r StormRun) {
	r = StormRun{Init: in.Name, N: n, Drain: -1, Left: -1}
	cg, err := newCgroup("storm", stormCap)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	defer e.removeCgroup(cg)
	stamps, err := newStampFile("stamps")
	if err != nil {
		r.Err = err.Error()
		return r
	}
	defer stamps.remove()
	ns, err := startReady(e, in, cg.Dir, "storm", "orphans", strconv.Itoa(n), stamps.path)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	defer ns.Kill()
	hostWorkload, err := ns.Workload(in.None(), 2*time.Second)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	lister := newChildLister(ns.Pid)
	ager := newZombieAger(stamps, ns.Pid)
	workload, err := nsPid(hostWorkload) // 1 with no init: the workload is PID 1
	if err != nil {
		r.Err = err.Error()
		return r
	}
	type raw struct {
		t   int64
		z   int
		age int64
	}
	var (
		mu      sync.Mutex
		samples []raw
		stop    = make(chan struct{})
		stopped = make(chan struct{})
	)
	go func() {
		defer close(stopped)
		tick := time.NewTicker(sampleEvery)
		defer tick.Stop()
		var kids []int
		for {
			kids = lister.list(kids[:0])
			t := monoNow()
			s := raw{t: t}
			aged := 0
			for _, k := range kids {
				if k == workload {
					continue
				}
				s.z++
				if aged < maxAgedPerSample {
					if a, ok := ager.age(k, t); ok {
						aged++
						s.age = max(s.age, a)
					}
				}
			}
			mu.Lock()
			samples = append(samples, s)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	cpu0, self0 := cpuNanos(ns.Pid), selfCPU()
	if _, err := ns.stdin.Write([]byte{'g'}); err != nil {
		close(stop)
		<-stopped
		r.Err = "start: " + err.Error()
		return r
	}
	line, err := ns.ReadLine(time.Duration(60+n/100) * time.Second) // a hang guard: forks are slow on a busy VM
	var start, end int64
	if err == nil {
		f := strings.Fields(line)
		if len(f) == 5 && f[0] == "storm" {
			start, _ = strconv.ParseInt(f[1], 10, 64)
			end, _ = strconv.ParseInt(f[2], 10, 64)
			r.Made, _ = strconv.Atoi(f[3])
			r.Failed, _ = strconv.Atoi(f[4])
		} else {
			err = fmt.Errorf("unexpected line %q", line)
		}
	}
	if err != nil {
		close(stop)
		<-stopped
		r.Err = fmt.Sprintf("storm: %v (PID 1: %s)", err, ns.ExitDesc())
		return r
	}
	r.Create = time.Duration(end - start)
	// Wait for the drain: until a sample after the storm shows none left.
	limit := 5 * time.Second
	if in.None() {
		limit = time.Second
	}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) && r.Drain < 0 {
		time.Sleep(sampleEvery)
		mu.Lock()
		for _, s := range samples {
			if s.t >= end && s.z <= 0 {
				r.Drain = time.Duration(s.t - end)
				break
			}
		}
		mu.Unlock()
	}
	close(stop)
	<-stopped
	r.CPU = time.Duration(cpuNanos(ns.Pid) - cpu0)
	r.BenchCPU = selfCPU() - self0
	r.HWM = parseKB(status(ns.Pid)["VmHWM"])
	if ns.Exited() {
		r.Err = "PID 1 exited during the storm: " + ns.ExitDesc()
	}
	if left, err := zombiesUnder(ns.Pid); err == nil {
		r.Left = left
	}
	for _, s := range samples {
		if s.t < start {
			continue
		}
		if s.z > r.Peak {
			r.Peak = s.z
		}
		r.OldestZombie = max(r.OldestZombie, time.Duration(s.age))
		if s.age > int64(20*time.Millisecond) {
			r.Over20ms++
		}
		r.Samples = append(r.Samples, Sample{T: float64(s.t-start) / 1e6, Z: s.z, Age: float64(s.age) / 1e6})
	}
	r.SamplesTaken = len(r.Samples)
	if len(r.Samples) > 1 {
		r.SampleEveryMs = r.Samples[len(r.Samples)-1].T / float64(len(r.Samples)-1)
	}
	return r
}

// selfCPU is the bench process's own CPU time so far (user + system).
func selfCPU() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
