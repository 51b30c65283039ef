package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// memController is the memory cgroup controller of this machine: v1
// (memory.limit_in_bytes) or v2 (memory.max), whichever holds it.
type memController struct {
	Version   string // "v1" or "v2"
	root      string // where the bench makes its cgroups
	limitFile string
	peakFile  string
}

// findMemController finds the memory controller: a cgroup v1 memory
// hierarchy, or a cgroup2 mount whose root offers memory (enabled for its
// children if need be).
func findMemController() (*memController, error) {
	v1 := "/sys/fs/cgroup/memory"
	if _, err := os.Stat(filepath.Join(v1, "memory.limit_in_bytes")); err == nil {
		return &memController{Version: "v1", root: v1, limitFile: "memory.limit_in_bytes", peakFile: "memory.max_usage_in_bytes"}, nil
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS ... - FSTYPE SOURCE SUPER
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		fields := strings.Fields(pre)
		if !ok || len(fields) < 5 || !strings.HasPrefix(post, "cgroup2 ") {
			continue
		}
		root := fields[4]
		ctl, err := os.ReadFile(filepath.Join(root, "cgroup.controllers"))
		if err != nil || !contains(strings.Fields(string(ctl)), "memory") {
			continue
		}
		sub, _ := os.ReadFile(filepath.Join(root, "cgroup.subtree_control"))
		if !contains(strings.Fields(string(sub)), "memory") {
			if err := os.WriteFile(filepath.Join(root, "cgroup.subtree_control"), []byte("+memory"), 0o644); err != nil {
				return nil, fmt.Errorf("enabling the cgroup v2 memory controller under %s: %v", root, err)
			}
		}
		return &memController{Version: "v2", root: root, limitFile: "memory.max", peakFile: "memory.peak"}, nil
	}
	return nil, fmt.Errorf("no memory cgroup controller (neither /sys/fs/cgroup/memory nor a cgroup2 mount offering memory)")
}

// MemRun is the smallest memory cgroup limit under which an init still
// runs a child and exits with the child's status.
type MemRun struct {
	Init string
	// Min is the smallest limit that passed every try, bytes; the largest
	// limit that failed is Min-memStep or less. -1: not found.
	Min      int64
	Peak     int64  // the cgroup's peak usage in a passing try at Min, bytes
	FailedAt string // how the try just below Min ended
	Probes   int
	Err      string
}

const (
	memStep  = 16 << 10 // bisection resolution
	memHigh  = 32 << 20 // the largest limit tried
	memTries = 3        // a limit passes only if every try does
)

// runMemMin bisects the memory limit for in: each try is `INIT helper exit 7`
// as PID 1 of a fresh namespace inside a fresh memory cgroup with that
// limit; it passes when PID 1 exits 7 within 5 s.
func runMemMin(e *Env, mc *memController, in *Init) (r MemRun) {
	r = MemRun{Init: in.Name, Min: -1}
	try := func(limit int64) (bool, string, int64) {
		r.Probes++
		for i := 0; i < memTries; i++ {
			ok, desc, peak, err := memTry(e, mc, in, limit)
			if err != nil {
				r.Err = err.Error()
				return false, "", 0
			}
			if !ok {
				return false, desc, 0
			}
			if i == memTries-1 {
				return true, desc, peak
			}
		}
		return false, "", 0
	}
	ok, desc, peak := try(memHigh)
	if !ok {
		if r.Err == "" {
			r.Err = fmt.Sprintf("fails even at %s: %s", fmtBytes(memHigh), desc)
		}
		return r
	}
	lo, hi := int64(0), int64(memHigh) // lo fails (nothing runs in 0 bytes), hi passes
	r.Peak = peak
	for hi-lo > memStep {
		mid := (lo + hi) / 2 &^ 4095
		ok, desc, peak := try(mid)
		if r.Err != "" {
			return r
		}
		if ok {
			hi, r.Peak = mid, peak
		} else {
			lo, r.FailedAt = mid, desc
		}
	}
	r.Min = hi
	return r
}

// memTry runs one try; err is a failure of the bench itself.
func memTry(e *Env, mc *memController, in *Init, limit int64) (ok bool, desc string, peak int64, err error) {
	dir := filepath.Join(mc.root, fmt.Sprintf("sexton-bench-%d-mem", os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return false, "", 0, err
	}
	cg := &Cgroup{Dir: dir}
	defer e.removeCgroup(cg)
	if err := os.WriteFile(filepath.Join(dir, mc.limitFile), []byte(strconv.FormatInt(limit, 10)), 0o644); err != nil {
		return false, "", 0, fmt.Errorf("setting %s: %v", mc.limitFile, err)
	}
	ns, err := startNS(e, in.Command(e.Helper, "exit", "7"), dir, e.LogPath("memory", in))
	if err != nil {
		return false, "", 0, err
	}
	defer ns.Kill()
	if !ns.WaitExit(5 * time.Second) {
		return false, "no exit within 5 s", 0, nil
	}
	desc = ns.ExitDesc()
	peak, _ = strconv.ParseInt(cg.Read(mc.peakFile), 10, 64)
	return desc == "exit 7", desc, peak, nil
}
