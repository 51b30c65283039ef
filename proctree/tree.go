package proctree

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/internal/adopter"
	"github.com/sexton-init/sexton/procfs"
)

// Mode says how a Tree keeps track of the processes of a command.
type Mode int

const (
	// Auto uses Cgroup mode when a cgroup can be made, else ProcessGroup;
	// Tree.Fallback says why it fell back.
	Auto Mode = iota
	// ProcessGroup tracks the tree by process group, session, environment
	// tag and /proc scans. Best effort; needs no privilege. See the
	// package doc.
	ProcessGroup
	// Cgroup runs the command in a cgroup of its own (v2, or the v1
	// freezer). Airtight; needs a writable cgroup file system. See the
	// package doc.
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
// environment (unless Options.NoTag) to recognise its orphans in
// ProcessGroup mode.
const TagEnv = "PROCTREE_TAG"

// DefaultGrace is the grace period between the polite signal and SIGKILL
// when neither Options.Grace nor cmd.WaitDelay is set.
const DefaultGrace = 5 * time.Second

// DefaultScanInterval is how often /proc is scanned for the running trees
// in ProcessGroup mode when Options.ScanInterval is zero.
const DefaultScanInterval = time.Second

// killWait bounds how long Stop waits, after SIGKILL, for the processes to
// vanish (a process in uninterruptible sleep can take long to die).
const killWait = 5 * time.Second

// ErrNoCgroup is in the chain of the error that Start returns in Cgroup
// mode, and of Tree.Fallback in Auto mode, when no cgroup could be made for
// the tree. The error also wraps the cause (errors.Is(err,
// syscall.EROFS) holds for a read-only /sys/fs/cgroup).
var ErrNoCgroup = errors.New("proctree: cgroup mode unavailable")

// Options tune Start. The zero value (or a nil *Options) is usable.
type Options struct {
	// Mode selects how the tree is tracked; Auto by default.
	Mode Mode
	// Grace is the time Stop gives the tree between the polite signal and
	// SIGKILL, counted from the moment the polite signal has been sent.
	// Zero means cmd.WaitDelay if that is set, else DefaultGrace; negative
	// means no grace (SIGKILL right after the polite signal).
	Grace time.Duration
	// Signal is the polite signal; SIGTERM by default. Stop follows it with
	// SIGCONT so that stopped processes can act on it.
	Signal syscall.Signal
	// ScanInterval is how often, in ProcessGroup mode, the shared monitor
	// scans /proc for this tree while it runs, to learn its members before
	// they detach. Zero means DefaultScanInterval; negative means never
	// while it runs (only in Members, Signal and Stop). Cgroup mode does
	// not scan.
	ScanInterval time.Duration
	// NoTag leaves the command's environment alone: no TagEnv variable.
	// Orphans that detached before a scan saw them are then not found in
	// ProcessGroup mode.
	NoTag bool
	// NoSubreaper keeps Start from making the calling process a child
	// subreaper in ProcessGroup mode (see the package doc for when it
	// does). The tree's orphans then go to whoever adopts the caller's
	// orphans, which must reap them.
	NoSubreaper bool
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
	// proctree reaped during the tree's life, Stop included. It is empty
	// when the caller does not adopt orphans (see the package doc).
	Reaped []Proc
	// Survivors lists processes still alive when Stop gave up; normally
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

// Tree is a started command and everything it spawned.
type Tree struct {
	cmd       *exec.Cmd
	mode      Mode
	fallback  error
	grace     time.Duration
	sig       syscall.Signal
	scan      time.Duration
	tag       string // the value of TagEnv, or ""
	self      int
	pgid      int // the command's own process group, or 0
	cg        *cgroup
	subreaper bool // this tree holds the process's subreaper attribute

	// mu guards the members and their pidfds: every use of a pidfd
	// happens under it, so none is used after it was closed.
	mu       sync.Mutex
	root     *member
	known    map[int]*member // by pid
	leaders  map[int]uint64  // pid -> start time of members that led a session or group
	reaped   []Proc
	nextScan time.Time // ProcessGroup mode: when the monitor scans next
	idle     bool      // ProcessGroup mode: nothing left to scan for
	stopping bool
	seen     map[Proc]bool // during Stop: found alive
	killed   map[Proc]bool // during Stop: got SIGKILL

	exited   chan struct{} // closed once the direct child has exited
	exitOnce sync.Once
	waitOnce sync.Once
	waitErr  error

	ready    chan struct{} // closed once Start is done with the tree
	stopOnce sync.Once
	killOnce sync.Once
	killNow  chan struct{} // closed by Kill: end the grace period
	stopDone chan struct{}
	report   *Report
	stopErr  error
}

// Start starts cmd (which must not have been started) as the root of a
// tree, in place of cmd.Start. It
//
//   - gives the command its own process group, unless cmd.SysProcAttr
//     asks for Setsid, Setpgid or Foreground;
//   - adds TagEnv=<random value> to the command's environment (cmd.Env,
//     or the caller's environment if cmd.Env is nil), unless
//     Options.NoTag;
//   - in Cgroup mode (and in Auto mode when possible) creates a cgroup
//     for the tree and starts the command inside it;
//   - in ProcessGroup mode makes the calling process a child subreaper
//     while the tree lives, unless Options.NoSubreaper, or the caller is
//     PID 1, or it is the child of a pid1 supervisor that reaps orphans
//     (see the package doc);
//   - if cmd.Cancel is set (exec.CommandContext sets it), arranges that
//     cancelling the context begins Stop on the whole tree; the Cancel
//     that exec.CommandContext installed (cmd.Process.Kill) is dropped,
//     a custom one is called first.
//
// Read the command's pipes, then call Tree.Wait (in place of cmd.Wait),
// as with os/exec; call Stop to end the rest of the tree and release what
// Start took. Start needs pidfds (Linux 5.3 or later).
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
	t := &Tree{
		cmd:      cmd,
		mode:     o.Mode,
		grace:    o.Grace,
		sig:      o.Signal,
		scan:     o.ScanInterval,
		self:     os.Getpid(),
		known:    map[int]*member{},
		leaders:  map[int]uint64{},
		exited:   make(chan struct{}),
		ready:    make(chan struct{}),
		killNow:  make(chan struct{}),
		stopDone: make(chan struct{}),
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

	if t.mode != ProcessGroup {
		cg, err := newCgroup(o.CgroupParent, spa)
		switch {
		case err == nil:
			t.cg, t.mode = cg, Cgroup
		case t.mode == Cgroup:
			return nil, err
		default:
			t.mode, t.fallback = ProcessGroup, err
		}
	}
	if t.mode == ProcessGroup && !o.NoSubreaper && t.self != 1 && adopter.PID() == 0 {
		if err := acquireSubreaper(); err != nil {
			return nil, err
		}
		t.subreaper = true
	}
	undo := func() {
		if t.cg != nil {
			_ = t.cg.remove()
		}
		if t.subreaper {
			releaseSubreaper()
		}
	}

	if !o.NoTag {
		var b [12]byte
		_, _ = rand.Read(b[:])
		t.tag = hex.EncodeToString(b[:])
		env := cmd.Env
		if env == nil {
			env = os.Environ()
		}
		cmd.Env = append(env[:len(env):len(env)], TagEnv+"="+t.tag)
	}
	wrapCancel(cmd, t)

	var err error
	if t.cg != nil {
		err = t.cg.start(cmd)
	} else {
		err = cmd.Start()
	}
	if err != nil {
		undo()
		return nil, err
	}
	// From here on the context's cancel may begin Stop: it waits for this.
	defer close(t.ready)
	pid := cmd.Process.Pid
	// The child is ours and nobody can reap it before Wait: its pid
	// cannot have been reused, so this pidfd is the child's.
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		undo()
		return nil, fmt.Errorf("proctree: pidfd_open (Linux 5.3 or later is needed): %w", err)
	}
	root := &member{Proc: Proc{PID: pid}, fd: fd}
	if s, err := procfs.ReadStat("/proc", pid); err == nil {
		root.Comm, root.StartTime, root.pgrp, root.sess = s.Comm, s.StartTime, s.PGRP, s.Session
	}
	t.root = root
	t.known[pid] = root
	if ownGroup {
		t.pgid = pid
		t.leaders[pid] = root.StartTime
	}
	t.nextScan = nextTick(time.Now(), t.scan)
	mon.add(t)
	return t, nil
}

// Mode reports the mode in effect (never Auto).
func (t *Tree) Mode() Mode { return t.mode }

// Fallback reports why Auto mode runs the tree in ProcessGroup mode: an
// error wrapping ErrNoCgroup and the cause. It is nil in Cgroup mode and
// when ProcessGroup mode was asked for.
func (t *Tree) Fallback() error { return t.fallback }

// Cgroup returns the directory of the tree's cgroup, or "" outside Cgroup
// mode.
func (t *Tree) Cgroup() string {
	if t.cg == nil {
		return ""
	}
	return t.cg.dir
}

// Root returns the direct child.
func (t *Tree) Root() Proc { return t.root.Proc }
