package proctree

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/procfs"
)

// Mode says how a Tree keeps track of the processes of a command.
type Mode int

const (
	// Auto uses Cgroup mode when a cgroup can be made, else ProcessGroup.
	Auto Mode = iota
	// ProcessGroup tracks the tree by process group, subreaper and /proc
	// scans. Best effort; needs no privilege. See the package doc.
	ProcessGroup
	// Cgroup runs the command in a cgroup of its own (v2, or the v1
	// freezer). Airtight; usually needs root. See the package doc.
	Cgroup
)

func (m Mode) String() string {
	switch m {
	case Auto:
		return "auto"
	case ProcessGroup:
		return "process-group"
	case Cgroup:
		return "cgroup"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// TagEnv is the environment variable that Start adds to the command's
// environment (unless Options.NoTag) to recognise its orphans.
const TagEnv = "PROCTREE_TAG"

// DefaultGrace is the grace period between SIGTERM and SIGKILL when neither
// Options.Grace nor cmd.WaitDelay is set.
const DefaultGrace = 5 * time.Second

// DefaultScanInterval is how often a running tree rescans /proc when
// Options.ScanInterval is zero.
const DefaultScanInterval = time.Second

// killWait bounds how long Stop waits, after SIGKILL, for the processes to
// vanish (a process in uninterruptible sleep can take long to die).
const killWait = 5 * time.Second

// Options tune Start. The zero value (or a nil *Options) is usable.
type Options struct {
	// Mode selects how the tree is tracked; Auto by default.
	Mode Mode
	// Grace is the time Stop gives the tree between the polite signal and
	// SIGKILL. Zero means cmd.WaitDelay if that is set, else DefaultGrace;
	// negative means no grace (SIGKILL at once). Note that when the grace
	// comes from WaitDelay after a cancel, os/exec SIGKILLs the direct
	// child itself at the same moment, so the report may count the
	// direct child under Exited rather than Killed.
	Grace time.Duration
	// Signal is the polite signal; SIGTERM by default. Stop follows it with
	// SIGCONT so that stopped processes can act on it.
	Signal syscall.Signal
	// ScanInterval is how often /proc is rescanned while the tree runs, to
	// learn members before they detach. Zero means DefaultScanInterval;
	// negative means only at Start, on SIGCHLD and during Stop.
	ScanInterval time.Duration
	// NoTag leaves the command's environment alone: no TagEnv variable.
	// Orphans that detached before a scan saw them are then not found
	// in ProcessGroup mode.
	NoTag bool
	// CgroupParent is the directory in which Cgroup mode makes the
	// command's cgroup: a cgroup v2 directory, or a directory of the v1
	// freezer hierarchy. Empty means the caller's own cgroup in the v2
	// hierarchy if one is mounted, else in the v1 freezer hierarchy.
	CgroupParent string
}

// Proc names one process: pid and start time (clock ticks after boot)
// together identify it even if the pid is later reused.
type Proc struct {
	PID       int
	Comm      string
	StartTime uint64
}

func (p Proc) String() string { return fmt.Sprintf("%d (%s)", p.PID, p.Comm) }

// Report says what Stop did.
type Report struct {
	Mode   Mode
	Cgroup string // the cgroup directory in Cgroup mode
	// Procs lists every process of the tree that Stop found alive.
	Procs []Proc
	// Exited lists those that ended within the grace period.
	Exited []Proc
	// Killed lists those that needed SIGKILL.
	Killed []Proc
	// Reaped lists the orphans (zombies reparented to the caller) that
	// proctree reaped during the tree's life, Stop included.
	Reaped []Proc
	// Survivors lists processes still present when Stop gave up; normally
	// empty.
	Survivors []Proc
}

func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s mode: %d processes, %d exited after the polite signal, %d needed SIGKILL",
		r.Mode, len(r.Procs), len(r.Exited), len(r.Killed))
	if len(r.Killed) > 0 {
		fmt.Fprintf(&b, " %v", r.Killed)
	}
	fmt.Fprintf(&b, ", %d orphans reaped", len(r.Reaped))
	if len(r.Survivors) > 0 {
		fmt.Fprintf(&b, ", %d SURVIVED %v", len(r.Survivors), r.Survivors)
	}
	return b.String()
}

// member is a process known to belong to the tree.
type member struct {
	Proc
	fd int // pidfd, or -1
}

func (m *member) signal(sig syscall.Signal) error {
	if m.fd >= 0 {
		return unix.PidfdSendSignal(m.fd, sig, nil, 0)
	}
	return unix.Kill(m.PID, sig)
}

// Tree is a started command and everything it spawned.
type Tree struct {
	cmd   *exec.Cmd
	mode  Mode
	grace time.Duration
	sig   syscall.Signal
	scan  time.Duration
	tag   string // "PROCTREE_TAG=value", or ""
	self  int
	root  Proc
	pgid  int // the command's own process group, or 0
	cg    *cgroup

	mu       sync.Mutex
	known    map[int]*member // by pid
	leaders  map[int]bool    // pids that led a session or group of members
	untagged map[Proc]bool   // orphans whose environment lacks the tag
	reaped   []Proc
	stopping bool
	seen     map[Proc]bool // during Stop: found alive
	killed   map[Proc]bool // during Stop: got SIGKILL

	waitDone chan struct{}
	waitErr  error

	stopOnce sync.Once
	stopDone chan struct{}
	report   *Report
	stopErr  error

	quit        chan struct{}
	monitorDone chan struct{}
}

var (
	subreaperOnce sync.Once
	subreaperErr  error
	tagSeq        atomic.Uint64
)

// Start starts cmd (which must not have been started) as the root of a
// tree. It makes the calling process a child subreaper (process-wide and
// permanent, see the package doc), gives the command its own process group
// unless cmd.SysProcAttr asks for another group or session, adds TagEnv to
// its environment, places it in a new cgroup in Cgroup mode (and in Auto
// mode when possible), and replaces a non-nil cmd.Cancel (as set by
// exec.CommandContext) with a call to Stop. Do not call cmd.Wait: use
// Tree.Wait. Always call Stop.
func Start(cmd *exec.Cmd, opts *Options) (*Tree, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if cmd.Process != nil {
		return nil, errors.New("proctree: command already started")
	}
	if o.Mode < Auto || o.Mode > Cgroup {
		return nil, fmt.Errorf("proctree: unknown mode %d", int(o.Mode))
	}
	subreaperOnce.Do(func() {
		subreaperErr = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	})
	if subreaperErr != nil {
		return nil, fmt.Errorf("proctree: prctl(PR_SET_CHILD_SUBREAPER): %w", subreaperErr)
	}
	t := &Tree{
		cmd:         cmd,
		mode:        o.Mode,
		grace:       o.Grace,
		sig:         o.Signal,
		scan:        o.ScanInterval,
		self:        os.Getpid(),
		known:       map[int]*member{},
		leaders:     map[int]bool{},
		untagged:    map[Proc]bool{},
		waitDone:    make(chan struct{}),
		stopDone:    make(chan struct{}),
		quit:        make(chan struct{}),
		monitorDone: make(chan struct{}),
	}
	switch {
	case t.grace == 0 && cmd.WaitDelay > 0:
		t.grace = cmd.WaitDelay
	case t.grace == 0:
		t.grace = DefaultGrace
	case t.grace < 0:
		t.grace = 0
	}
	if t.sig == 0 {
		t.sig = unix.SIGTERM
	}
	if t.scan == 0 {
		t.scan = DefaultScanInterval
	}

	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	spa := cmd.SysProcAttr
	if !spa.Setsid && !spa.Setpgid && !spa.Foreground {
		spa.Setpgid, spa.Pgid = true, 0
	}
	ownGroup := spa.Setsid || spa.Pgid == 0

	if !o.NoTag {
		var b [8]byte
		_, _ = rand.Read(b[:])
		t.tag = fmt.Sprintf("%s=%d-%d-%s", TagEnv, t.self, tagSeq.Add(1), hex.EncodeToString(b[:]))
		env := cmd.Env
		if env == nil {
			env = os.Environ()
		}
		cmd.Env = append(env[:len(env):len(env)], t.tag)
	}

	if t.mode != ProcessGroup {
		cg, err := newCgroup(o.CgroupParent)
		if err == nil && cg.v2 && spa.UseCgroupFD {
			cg.remove()
			err = errors.New("cmd.SysProcAttr.UseCgroupFD is already set")
		}
		switch {
		case err == nil:
			t.cg, t.mode = cg, Cgroup
		case t.mode == Cgroup:
			return nil, fmt.Errorf("proctree: cgroup mode: %w", err)
		default:
			t.mode = ProcessGroup
		}
	}

	if cmd.Cancel != nil {
		cmd.Cancel = func() error {
			go func() { _, _ = t.Stop(context.Background()) }()
			return nil
		}
	}

	var err error
	if t.cg != nil {
		err = t.cg.start(cmd)
	} else {
		err = cmd.Start()
	}
	if err != nil {
		if t.cg != nil {
			t.cg.remove()
		}
		return nil, err
	}
	pid := cmd.Process.Pid
	t.root = Proc{PID: pid}
	if s, err := procfs.ReadStat("/proc", pid); err == nil {
		t.root = Proc{PID: pid, Comm: s.Comm, StartTime: s.StartTime}
	}
	if ownGroup {
		t.pgid = pid
		t.leaders[pid] = true
	}
	t.mu.Lock()
	t.known[pid] = track(t.root)
	t.mu.Unlock()
	go func() {
		t.waitErr = cmd.Wait()
		close(t.waitDone)
	}()
	t.mu.Lock()
	t.refreshLocked()
	t.mu.Unlock()
	go t.monitor()
	return t, nil
}

// Mode reports the mode in effect (never Auto).
func (t *Tree) Mode() Mode { return t.mode }

// Cgroup returns the directory of the tree's cgroup, or "" outside Cgroup
// mode.
func (t *Tree) Cgroup() string {
	if t.cg == nil {
		return ""
	}
	return t.cg.dir
}

// Root returns the direct child.
func (t *Tree) Root() Proc { return t.root }

// Wait waits for the direct child to exit and returns what cmd.Wait
// returned. It does not wait for the rest of the tree: Stop does that.
func (t *Tree) Wait() error {
	<-t.waitDone
	return t.waitErr
}

// Members rescans /proc and returns the processes of the tree that exist
// now (zombies included), ordered by pid.
func (t *Tree) Members() []Proc {
	t.mu.Lock()
	defer t.mu.Unlock()
	ms := t.refreshLocked()
	out := make([]Proc, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.Proc)
	}
	sortProcs(out)
	return out
}

// Signal sends sig to every live process of the tree (and to its process
// group) and returns how many processes it signalled.
func (t *Tree) Signal(sig syscall.Signal) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ms := t.refreshLocked()
	if t.pgid > 0 && t.leaders[t.pgid] {
		_ = unix.Kill(-t.pgid, sig)
	}
	n := 0
	var errs []error
	for _, m := range ms {
		if m.state == 'Z' {
			continue
		}
		if err := m.signal(sig); err != nil && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, fmt.Errorf("signal %v: %w", m.Proc, err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// Stop stops the tree: it sends the polite signal (SIGTERM, then SIGCONT) to
// every process of the tree, waits until they have all exited or the grace
// period has passed or ctx is done, SIGKILLs the rest (cgroup.kill, or
// freeze-kill-thaw, in Cgroup mode), reaps the orphans among them by pid,
// removes the cgroup, and reports. It returns an error only if processes
// survived. Stop may be called many times and concurrently: the first call
// does the work and the others wait for its report (or for their ctx).
func (t *Tree) Stop(ctx context.Context) (*Report, error) {
	go t.stopOnce.Do(func() {
		t.report, t.stopErr = t.stop(ctx)
		close(t.stopDone)
	})
	select {
	case <-t.stopDone:
		return t.report, t.stopErr
	case <-ctx.Done():
		select {
		case <-t.stopDone:
			return t.report, t.stopErr
		default:
			return nil, ctx.Err()
		}
	}
}

func (t *Tree) stop(ctx context.Context) (*Report, error) {
	t.mu.Lock()
	t.stopping = true
	t.seen = map[Proc]bool{}
	t.killed = map[Proc]bool{}
	termed := map[Proc]bool{}
	t.mu.Unlock()

	deadline := time.Now().Add(t.grace)
	poll := time.Millisecond
	nextPoll := func() time.Duration {
		if poll < 50*time.Millisecond {
			poll *= 2
		}
		return poll
	}

	// Phase 1: the polite signal, then wait for the grace period.
	first := true
	for {
		t.mu.Lock()
		ms := t.refreshLocked()
		if first && t.pgid > 0 && t.leaders[t.pgid] {
			_ = unix.Kill(-t.pgid, t.sig)
			_ = unix.Kill(-t.pgid, unix.SIGCONT)
		}
		first = false
		live := 0
		for _, m := range ms {
			if m.state == 'Z' {
				continue
			}
			live++
			if !termed[m.Proc] {
				termed[m.Proc] = true
				_ = m.signal(t.sig)
				_ = m.signal(unix.SIGCONT)
			}
		}
		t.reapLocked(ms)
		t.mu.Unlock()
		if live == 0 || !time.Now().Before(deadline) || ctx.Err() != nil {
			break
		}
		d := min(nextPoll(), time.Until(deadline))
		select {
		case <-ctx.Done():
		case <-time.After(d):
		}
	}

	// Phase 2: SIGKILL whatever is alive, until nothing of the tree is
	// left, zombies included.
	var errs []error
	killDeadline := time.Now().Add(killWait)
	cgKilled := false
	poll = time.Millisecond
	var left []*memberState
	for {
		t.mu.Lock()
		ms := t.refreshLocked()
		live := 0
		for _, m := range ms {
			if m.state != 'Z' {
				live++
			}
		}
		if live > 0 && t.cg != nil && !cgKilled {
			cgKilled = true
			pids, err := t.cg.kill(t.self)
			if err != nil {
				errs = append(errs, err)
			}
			for _, pid := range pids {
				if m := t.known[pid]; m != nil {
					t.killed[m.Proc] = true
				}
			}
		}
		if live > 0 && t.pgid > 0 && t.leaders[t.pgid] {
			_ = unix.Kill(-t.pgid, unix.SIGKILL)
		}
		for _, m := range ms {
			if m.state != 'Z' {
				t.killed[m.Proc] = true
				_ = m.signal(unix.SIGKILL)
			}
		}
		t.reapLocked(t.refreshLocked())
		left = t.refreshLocked()
		t.mu.Unlock()
		if len(left) == 0 || !time.Now().Before(killDeadline) {
			break
		}
		time.Sleep(nextPoll())
	}

	close(t.quit)
	<-t.monitorDone

	t.mu.Lock()
	defer t.mu.Unlock()
	rep := &Report{Mode: t.mode, Reaped: append([]Proc(nil), t.reaped...)}
	if t.cg != nil {
		rep.Cgroup = t.cg.dir
		if err := t.cg.remove(); err != nil {
			errs = append(errs, err)
		}
	}
	for p := range t.seen {
		rep.Procs = append(rep.Procs, p)
		if t.killed[p] {
			rep.Killed = append(rep.Killed, p)
		} else {
			rep.Exited = append(rep.Exited, p)
		}
	}
	for _, m := range left {
		rep.Survivors = append(rep.Survivors, m.Proc)
	}
	for _, l := range [][]Proc{rep.Procs, rep.Exited, rep.Killed, rep.Survivors} {
		sortProcs(l)
	}
	for pid, m := range t.known {
		if m.fd >= 0 {
			unix.Close(m.fd)
		}
		delete(t.known, pid)
	}
	if len(rep.Survivors) > 0 {
		errs = append(errs, fmt.Errorf("proctree: %d processes survived SIGKILL: %v", len(rep.Survivors), rep.Survivors))
	}
	return rep, errors.Join(errs...)
}

// monitor keeps membership fresh and reaps orphaned members while the tree
// runs. It ends at Stop, or when nothing of the tree is left.
func (t *Tree) monitor() {
	defer close(t.monitorDone)
	chld := make(chan os.Signal, 1)
	signal.Notify(chld, unix.SIGCHLD)
	defer signal.Stop(chld)
	var tick <-chan time.Time
	if t.scan > 0 {
		tk := time.NewTicker(t.scan)
		defer tk.Stop()
		tick = tk.C
	}
	for {
		select {
		case <-t.quit:
			return
		case <-chld:
		case <-tick:
		}
		t.mu.Lock()
		ms := t.refreshLocked()
		t.reapLocked(ms)
		// Nothing left (the direct child reaped, no orphans): nothing can
		// join the tree any more.
		done := len(ms) == 0 && len(t.refreshLocked()) == 0
		t.mu.Unlock()
		if done {
			return
		}
	}
}

// memberState is a member as found by the latest scan.
type memberState struct {
	*member
	state byte
	ppid  int
}

// track opens a pidfd for p and checks that it still names p.
func track(p Proc) *member {
	m := &member{Proc: p, fd: -1}
	fd, err := unix.PidfdOpen(p.PID, 0)
	if err != nil {
		return m
	}
	if s, err := procfs.ReadStat("/proc", p.PID); err != nil || s.StartTime != p.StartTime {
		unix.Close(fd)
		return m // gone already; signals would go to a stranger
	}
	m.fd = fd
	return m
}

func (t *Tree) forgetLocked(m *member) {
	if m.fd >= 0 {
		unix.Close(m.fd)
		m.fd = -1
	}
	delete(t.known, m.PID)
}

func (t *Tree) isRoot(s procfs.Stat) bool {
	return s.PID == t.root.PID && s.StartTime == t.root.StartTime
}

// refreshLocked scans /proc, updates the membership and returns the
// members present now. See the package doc for the membership rules.
func (t *Tree) refreshLocked() []*memberState {
	table, err := procfs.Scan("/proc")
	if err != nil {
		return nil
	}
	byPID := make(map[int]procfs.Stat, len(table))
	children := map[int][]int{}
	inUse := map[int]bool{} // pgids and sids in use
	for _, s := range table {
		byPID[s.PID] = s
		children[s.PPID] = append(children[s.PPID], s.PID)
		inUse[s.PGRP] = true
		inUse[s.Session] = true
	}
	for l := range t.leaders {
		if !inUse[l] { // the group or session ended: its id may be reused
			delete(t.leaders, l)
		}
	}
	for p := range t.untagged {
		if s, ok := byPID[p.PID]; !ok || s.StartTime != p.StartTime {
			delete(t.untagged, p)
		}
	}

	in := map[int]bool{}
	var queue []int
	add := func(pid int) {
		if pid != t.self && !in[pid] {
			in[pid] = true
			queue = append(queue, pid)
		}
	}
	for pid, m := range t.known {
		if s, ok := byPID[pid]; ok && s.StartTime == m.StartTime {
			add(pid)
		} else {
			t.forgetLocked(m)
		}
	}
	if t.cg != nil {
		if pids, err := t.cg.procs(); err == nil {
			for _, pid := range pids {
				if _, ok := byPID[pid]; ok {
					add(pid)
				}
			}
		}
	}
	for _, s := range table {
		switch {
		case s.PID == t.self || in[s.PID]:
		case t.leaders[s.PGRP] || t.leaders[s.Session]:
			add(s.PID)
		case s.PPID == t.self && t.tag != "" && !t.isRoot(s):
			p := Proc{PID: s.PID, Comm: s.Comm, StartTime: s.StartTime}
			if t.untagged[p] {
				break
			}
			if hasEnv(s.PID, t.tag) {
				add(s.PID)
			} else {
				t.untagged[p] = true
			}
		}
	}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			add(c)
		}
	}

	out := make([]*memberState, 0, len(in))
	for pid := range in {
		s := byPID[pid]
		m := t.known[pid]
		if m == nil {
			m = track(Proc{PID: pid, Comm: s.Comm, StartTime: s.StartTime})
			t.known[pid] = m
		}
		if s.Session == s.PID || s.PGRP == s.PID {
			t.leaders[s.PID] = true
		}
		if t.stopping && s.State != 'Z' {
			t.seen[m.Proc] = true
		}
		out = append(out, &memberState{member: m, state: s.State, ppid: s.PPID})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out
}

// reapLocked reaps the zombie members that are our children, except the
// direct child (cmd.Wait reaps that), one by one through their pidfds.
func (t *Tree) reapLocked(ms []*memberState) {
	for _, m := range ms {
		if m.state != 'Z' || m.ppid != t.self || (m.PID == t.root.PID && m.StartTime == t.root.StartTime) {
			continue
		}
		var err error
		if m.fd >= 0 {
			var info unix.Siginfo
			err = unix.Waitid(unix.P_PIDFD, m.fd, &info, unix.WEXITED|unix.WNOHANG, nil)
			if err == nil && info.Signo == 0 {
				continue // not reapable yet
			}
		} else {
			var ws unix.WaitStatus
			var pid int
			pid, err = unix.Wait4(m.PID, &ws, unix.WNOHANG, nil)
			if err == nil && pid != m.PID {
				continue
			}
		}
		if err == nil {
			t.reaped = append(t.reaped, m.Proc)
			t.forgetLocked(m.member)
		}
	}
}

// hasEnv reports whether the environment of pid holds the entry kv.
func hasEnv(pid int, kv string) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		return false
	}
	for len(b) > 0 {
		i := 0
		for i < len(b) && b[i] != 0 {
			i++
		}
		if string(b[:i]) == kv {
			return true
		}
		if i == len(b) {
			break
		}
		b = b[i+1:]
	}
	return false
}

func sortProcs(ps []Proc) {
	sort.Slice(ps, func(i, j int) bool { return ps[i].PID < ps[j].PID })
}
