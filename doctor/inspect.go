// Package doctor implements `sexton doctor`: it finds out, from /proc and the
// pids cgroup of the PID namespace it runs in, whether PID 1 acts as an init
// (reaps orphans, handles SIGTERM), which processes hold zombies, and how
// close the namespace is to running out of PIDs.
//
// It does not need sexton to be PID 1: it is meant to be run inside any
// container with `docker exec CONTAINER sexton doctor` or as a probe.
package doctor

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/sexton-init/sexton/procfs"
)

// Inspector reads one PID namespace's process table and pids cgroup. The
// roots are injectable so that tests can use captured files.
type Inspector struct {
	// ProcRoot is where the namespace's proc file system is mounted ("/proc").
	ProcRoot string
	// CgroupRoot is where the cgroup file systems are mounted ("/sys/fs/cgroup").
	CgroupRoot string
	// MinAge is how long a zombie must have existed before it counts as
	// lingering: evidence that its parent does not reap, and counted
	// against MaxZombies. Younger zombies are normal for a moment.
	MinAge time.Duration
	// MaxZombies is how many lingering zombies are tolerated.
	MaxZombies int
	// MinHeadroom is the lowest acceptable PID headroom in percent.
	MinHeadroom float64
	// Self is the doctor's own PID in the namespace, 0 if unknown; it keeps
	// the doctor from judging itself when it runs as PID 1.
	Self int
	// Recheck is how long the doctor waits before it looks again at PID
	// 1's zombie children when they are all younger than MinAge: those
	// still there are evidence that PID 1 does not reap. 0: no second look.
	Recheck time.Duration

	// sleep and mem stand in for time.Sleep and /proc/PID/mem in tests.
	sleep func(time.Duration)
	mem   func(pid int, addr uint64, n int) ([]byte, error)
}

// Defaults for the thresholds.
const (
	DefaultMinAge      = 5 * time.Second
	DefaultMaxZombies  = 0
	DefaultMinHeadroom = 10.0
	DefaultRecheck     = time.Second
)

// NewInspector returns an Inspector of the namespace it runs in, with the
// default thresholds.
func NewInspector() *Inspector {
	return &Inspector{
		ProcRoot:    "/proc",
		CgroupRoot:  "/sys/fs/cgroup",
		MinAge:      DefaultMinAge,
		MaxZombies:  DefaultMaxZombies,
		MinHeadroom: DefaultMinHeadroom,
		Recheck:     DefaultRecheck,
		Self:        os.Getpid(),
	}
}

// InspectError means the namespace could not be inspected at all (exit 2).
type InspectError struct{ Err error }

func (e *InspectError) Error() string { return "cannot inspect: " + e.Err.Error() }
func (e *InspectError) Unwrap() error { return e.Err }

// outside names the parent of a process whose parent is outside the PID
// namespace (its parent PID reads 0).
const outside = "outside this PID namespace"

// proc is one process of the scan.
type proc struct {
	procfs.Stat
	age float64 // seconds since it started
}

// Inspect scans the namespace and returns the report with its findings.
// Processes that vanish during the scan are left out. The error is an
// *InspectError when the process table or PID 1 cannot be read.
func (in *Inspector) Inspect() (*Report, error) {
	pids, err := procfs.PIDs(in.ProcRoot)
	if err != nil {
		return nil, &InspectError{err}
	}
	uptime, err := procfs.ReadUptime(in.ProcRoot)
	if err != nil {
		return nil, &InspectError{err}
	}
	r := &Report{
		Thresholds: Thresholds{
			MinAgeSeconds:  in.MinAge.Seconds(),
			MaxZombies:     in.MaxZombies,
			MinHeadroomPct: in.MinHeadroom,
			RecheckSeconds: in.Recheck.Seconds(),
		},
	}
	table := map[int]*proc{}
	for _, pid := range pids {
		s, err := procfs.ReadStat(in.ProcRoot, pid)
		if err != nil {
			continue // gone between the listing and the read, or unreadable
		}
		// Clock ticks are hundredths of a second: keep two decimals.
		age := math.Round((uptime-float64(s.StartTime)/procfs.ClockTicks)*100) / 100
		if age < 0 {
			age = 0
		}
		table[pid] = &proc{Stat: s, age: age}
		r.PIDs.Processes++
		r.PIDs.Tasks += max(s.Threads, 1)
	}
	one, ok := table[1]
	if !ok {
		return nil, &InspectError{fmt.Errorf("no PID 1 under %s (is it the proc file system of a PID namespace?)", in.ProcRoot)}
	}
	in.inspectPID1(r, one)
	in.inspectZombies(r, table)
	in.recheck(r, table)
	in.inspectBudget(r)
	judge(in, r)
	return r, nil
}

func (in *Inspector) inspectPID1(r *Report, one *proc) {
	p := &r.PID1
	p.Comm = one.Comm
	p.Cmdline, _ = procfs.ReadCmdline(in.ProcRoot, 1)
	p.Exe, _ = os.Readlink(filepath.Join(in.ProcRoot, "1", "exe"))
	p.Self = in.Self == 1
	if in.isSexton(1) {
		p.Init, p.Kind, p.IdentifiedBy = "sexton", "init", ByBinary
		p.About = sextonAbout[sextonPersonality(p.Cmdline)]
	} else if p.Init, p.Kind, p.About = classify(p.Comm, p.Cmdline); p.Init != "" {
		p.IdentifiedBy = ByName
	}
	if p.Init == "sexton" && sextonPersonality(p.Cmdline) == "" && sextonPauses(p.Cmdline) {
		p.Mode, p.About = "pause", pauseAbout
	}
	st, wait, err := in.readSignalState(1)
	if err != nil {
		p.SignalsError = err.Error()
		return
	}
	p.SignalWait = wait.call
	p.Signals = map[string]string{}
	for name, sig := range map[string]int{"SIGTERM": 15, "SIGINT": 2} {
		d := disposition(st, wait, sig)
		if d == Caught && reraisesSignals(p.Comm, p.Exe) {
			d = Reraised
		}
		p.Signals[name] = d
	}
}

// Signal dispositions of PID 1, judged by what happens to a signal sent to
// it.
const (
	Caught   = "handler"  // a handler is installed (SigCgt)
	Blocked  = "blocked"  // blocked: it stays pending until taken with sigwait or signalfd (catatonit)
	Waited   = "waited"   // waited for with sigtimedwait right now (tini, dumb-init)
	Ignored  = "ignored"  // SIG_IGN: dropped
	Default  = "default"  // no handler: for PID 1 the kernel drops it
	Reraised = "reraised" // a handler that re-raises it with the default action (node): dropped for PID 1
	Unknown  = "unknown"  // PID 1 waits in sigtimedwait for a set the doctor cannot read
)

func disposition(st procfs.Status, wait sigWait, sig int) string {
	switch {
	case procfs.HasSignal(st.SigIgn, sig):
		return Ignored
	case wait.known && procfs.HasSignal(wait.set, sig):
		return Waited
	case procfs.HasSignal(st.SigCgt, sig):
		return Caught
	case procfs.HasSignal(st.SigBlk, sig):
		// The kernel never discards a blocked signal, even for PID 1.
		return Blocked
	case wait.call == callSigtimedwait && !wait.known:
		// During sigtimedwait the signals waited for are unblocked:
		// without the set, a signal that shows as neither blocked nor
		// caught may be one of them.
		return Unknown
	}
	return Default
}

func (in *Inspector) inspectZombies(r *Report, table map[int]*proc) {
	z := &r.Zombies
	byParent := map[int]*ParentGroup{}
	byComm := map[string]*CommandGroup{}
	minAge := in.MinAge.Seconds()
	for _, p := range table {
		// A thread group whose leader has exited shows the leader's "Z"
		// while its other threads run: that process is alive. A real
		// zombie counts only itself.
		if p.State != 'Z' || p.Threads > 1 {
			continue
		}
		lingering := p.age >= minAge
		z.Total++
		if lingering {
			z.Lingering++
		}
		z.OldestSeconds = max(z.OldestSeconds, p.age)
		pg := byParent[p.PPID]
		if pg == nil {
			pg = &ParentGroup{PID: p.PPID, Comm: "?"} // "?": gone mid-scan
			if parent, ok := table[p.PPID]; ok {
				pg.Comm = parent.Comm
			} else if p.PPID == 0 {
				// The parent is outside this PID namespace: "docker exec"
				// and "nsenter" children have the runtime as their parent.
				pg.Comm = outside
			}
			byParent[p.PPID] = pg
		}
		pg.Count++
		if lingering {
			pg.Lingering++
		}
		pg.OldestSeconds = max(pg.OldestSeconds, p.age)
		cg := byComm[p.Comm]
		if cg == nil {
			cg = &CommandGroup{Comm: p.Comm}
			byComm[p.Comm] = cg
		}
		cg.Count++
		cg.OldestSeconds = max(cg.OldestSeconds, p.age)
	}
	for pid, pg := range byParent {
		if pid != 0 {
			pg.Cmdline, _ = procfs.ReadCmdline(in.ProcRoot, pid)
		}
		z.ByParent = append(z.ByParent, *pg)
	}
	sort.Slice(z.ByParent, func(i, j int) bool {
		a, b := z.ByParent[i], z.ByParent[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.PID < b.PID
	})
	for _, cg := range byComm {
		z.ByCommand = append(z.ByCommand, *cg)
	}
	sort.Slice(z.ByCommand, func(i, j int) bool {
		a, b := z.ByCommand[i], z.ByCommand[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.Comm < b.Comm
	})
	if len(z.ByParent) > 0 {
		top := z.ByParent[0]
		z.TopParent = &top
	}
	for _, pg := range z.ByParent {
		if pg.PID == 1 {
			r.PID1.ZombieChildren = pg.Count
			r.PID1.LingeringZombieChildren = pg.Lingering
			r.PID1.OldestZombieSeconds = pg.OldestSeconds
		}
	}
}

func (in *Inspector) inspectBudget(r *Report) {
	b := &r.PIDs
	var err error
	if b.PidMax, err = procfs.ReadInt(filepath.Join(in.ProcRoot, "sys/kernel/pid_max")); err != nil {
		b.Errors = append(b.Errors, err.Error())
	}
	if b.ThreadsMax, err = procfs.ReadInt(filepath.Join(in.ProcRoot, "sys/kernel/threads-max")); err != nil {
		b.Errors = append(b.Errors, err.Error())
	}
	b.HeadroomPct = 100
	consider := func(limit, used int64, by string) {
		if limit <= 0 {
			return
		}
		h := 100 * float64(limit-used) / float64(limit)
		if b.LimitedBy == "" || h < b.HeadroomPct {
			b.HeadroomPct, b.LimitedBy = math.Round(max(h, 0)*100)/100, by
		}
	}
	consider(b.PidMax, int64(b.Tasks), "pid_max")
	consider(b.ThreadsMax, int64(b.Tasks), "threads-max")
	b.Cgroup, err = in.cgroup()
	if err != nil {
		b.Errors = append(b.Errors, err.Error())
		return
	}
	c := b.Cgroup
	if c.Max > 0 {
		consider(c.Max, c.Current, "cgroup")
	}
}

// cgroup finds the pids cgroup of the doctor itself, which `docker exec`
// and `kubectl exec` put in the container's cgroup; PID 1's may differ
// (with shareProcessNamespace it is the pod's sandbox container) and is
// then only noted.
func (in *Inspector) cgroup() (*Cgroup, error) {
	lines, err := procfs.ReadCgroup(in.ProcRoot, 0)
	if err != nil {
		return nil, fmt.Errorf("own cgroup: %w", err)
	}
	pc, err := procfs.FindPidsCgroup(in.CgroupRoot, lines)
	if err != nil {
		return nil, err
	}
	c := &Cgroup{Version: pc.Version, Path: pc.Path, Dir: pc.Dir, Max: -1}
	if len(pc.Levels) > 0 {
		c.Current = pc.Levels[0].Current
		c.LimitDir = pc.Levels[0].Dir
	}
	// The tightest level counts: an ancestor's limit covers its descendants.
	best := -1.0
	for _, lv := range pc.Levels {
		if lv.Max < 0 {
			continue
		}
		h := float64(lv.Max-lv.Current) / float64(lv.Max)
		if best < 0 || h < best {
			best, c.Max, c.Current, c.LimitDir = h, lv.Max, lv.Current, lv.Dir
		}
	}
	if one, err := procfs.ReadCgroup(in.ProcRoot, 1); err == nil {
		for _, l := range one {
			if l.ID == 0 && len(l.Controllers) == 0 && pc.Version == 2 || hasPids(l) && pc.Version == 1 {
				if l.Path != pc.Path {
					c.PID1Path = l.Path
				}
			}
		}
	}
	return c, nil
}

func hasPids(l procfs.CgroupLine) bool {
	for _, c := range l.Controllers {
		if c == "pids" {
			return true
		}
	}
	return false
}

// recheck takes a second look at PID 1's zombie children when all of them
// are younger than MinAge (no evidence yet either way): after Recheck, those
// that are still zombies of PID 1 (the same process: same PID and start
// time) have waited that long for a reaper that did not come.
func (in *Inspector) recheck(r *Report, table map[int]*proc) {
	p := &r.PID1
	if p.Self || in.Recheck <= 0 || p.ZombieChildren == 0 || p.LingeringZombieChildren > 0 {
		return
	}
	var young []*proc
	for _, z := range table {
		if z.State == 'Z' && z.Threads <= 1 && z.PPID == 1 {
			young = append(young, z)
		}
	}
	sleep := in.sleep
	if sleep == nil {
		sleep = time.Sleep
	}
	sleep(in.Recheck)
	p.RecheckSeconds = in.Recheck.Seconds()
	for _, z := range young {
		s, err := procfs.ReadStat(in.ProcRoot, z.PID)
		if err == nil && s.State == 'Z' && s.PPID == 1 && s.StartTime == z.StartTime {
			p.PersistingZombieChildren++
		}
	}
}
