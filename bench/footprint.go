package main

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// FootprintRun is what an init costs while its child sleeps.
type FootprintRun struct {
	Init       string
	Size       int64 // binary size; -1 for no init
	Static     bool
	RSS        int64 // VmRSS, bytes
	RssAnon    int64 // RssAnon, bytes
	HWM        int64 // VmHWM, bytes
	Threads    int
	Switches   int64 // context switches of all its threads in the window
	Window     time.Duration
	WakeupsSec float64 // Switches / Window
	Err        string
}

// runFootprint starts every init at once with an idle child, lets them
// settle, then counts context switches over window.
func runFootprint(e *Env, settle, window time.Duration) []FootprintRun {
	type live struct {
		ns *NS
		r  *FootprintRun
	}
	var all []live
	var out []FootprintRun
	for _, in := range e.Inits {
		r := &FootprintRun{Init: in.Name, Size: -1}
		if !in.None() {
			if st, err := os.Stat(in.Path); err == nil {
				r.Size = st.Size()
			}
			if f, err := elf.Open(in.Path); err == nil {
				r.Static = true
				for _, p := range f.Progs {
					if p.Type == elf.PT_INTERP {
						r.Static = false
					}
				}
				f.Close()
			}
		}
		ns, err := startNS(e, in.Command(e.Helper, "idle"), "", e.LogPath("footprint", in))
		if err != nil {
			r.Err = err.Error()
		} else if l, err := ns.ReadLine(10 * time.Second); err != nil || l != "ready" {
			r.Err = fmt.Sprintf("workload not ready: %q %v", l, err)
		}
		all = append(all, live{ns, r})
	}
	defer func() {
		for _, l := range all {
			if l.ns != nil {
				l.ns.Kill()
			}
		}
	}()
	time.Sleep(settle)
	before := map[string]int64{}
	for _, l := range all {
		if l.ns != nil && l.r.Err == "" {
			before[l.r.Init] = switches(l.ns.Pid)
		}
	}
	time.Sleep(window)
	for _, l := range all {
		r := l.r
		if l.ns != nil && r.Err == "" {
			r.Switches = switches(l.ns.Pid) - before[r.Init]
			r.Window = window
			r.WakeupsSec = float64(r.Switches) / window.Seconds()
			st := status(l.ns.Pid)
			r.RSS = parseKB(st["VmRSS"])
			r.RssAnon = parseKB(st["RssAnon"])
			r.HWM = parseKB(st["VmHWM"])
			r.Threads, _ = strconv.Atoi(st["Threads"])
			if l.ns.Exited() {
				r.Err = "PID 1 exited: " + l.ns.ExitDesc()
			}
		}
		out = append(out, *r)
	}
	return out
}

// switches sums voluntary and nonvoluntary context switches over every
// thread of pid.
func switches(pid int) int64 {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	var total int64
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && (k == "voluntary_ctxt_switches" || k == "nonvoluntary_ctxt_switches") {
				n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				total += n
			}
		}
	}
	return total
}

// status parses /proc/PID/status into key -> trimmed value.
func status(pid int) map[string]string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	m := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}

// parseKB turns "1234 kB" into bytes; -1 when unparsable.
func parseKB(s string) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(s, "kB")), 10, 64)
	if err != nil {
		return -1
	}
	return n * 1024
}
