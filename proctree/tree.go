package proctree

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
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
