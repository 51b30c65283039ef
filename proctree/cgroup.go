package proctree

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// cgroup is the cgroup made for one tree: a cgroup v2 directory, or a
// directory in the v1 freezer hierarchy. Its directory stays open and
// flock()ed while the tree lives: that is how other processes tell a live
// tree's cgroup from one left behind by a crash.
type cgroup struct {
	v2   bool
	dir  string
	path string // v2: the path /proc/PID/cgroup shows for its members
	fd   int    // the directory, locked
}

// cgroupPrefix starts the name of every cgroup proctree makes.
const cgroupPrefix = "proctree-"

// newCgroup makes a cgroup for a tree under parent, or, if parent is "",
// under the caller's own cgroup in the v2 hierarchy, else in the v1
// freezer hierarchy. Its errors wrap ErrNoCgroup.
func newCgroup(parent string, spa *syscall.SysProcAttr) (*cgroup, error) {
	if spa.UseCgroupFD {
		return nil, fmt.Errorf("%w: cmd.SysProcAttr.UseCgroupFD is already set", ErrNoCgroup)
	}
	if parent != "" {
		_, err := os.Stat(filepath.Join(parent, "cgroup.controllers"))
		cg, err := makeCgroup(parent, err == nil)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNoCgroup, err)
		}
		return cg, nil
	}
	var errs [2]error
	for i, v2 := range []bool{true, false} {
		p, err := ownCgroupDir("/proc/self/cgroup", v2)
		if err == nil {
			var cg *cgroup
			if cg, err = makeCgroup(p, v2); err == nil {
				return cg, nil
			}
		}
		errs[i] = err
	}
	return nil, fmt.Errorf("%w: cgroup v2: %w; cgroup v1 freezer: %w", ErrNoCgroup, errs[0], errs[1])
}

// makeCgroup makes a cgroup under parent, named proctree-PID-RANDOM: the
// pid alone repeats on every start of a container, the random part does
// not. A name that exists already is never reused: another is drawn. The
// first time a process makes a cgroup under parent, it removes the empty
// cgroups of dead owners left there (see removeStale).
func makeCgroup(parent string, v2 bool) (*cgroup, error) {
	removeStale(parent)
	need := "freezer.state"
	if v2 {
		need = "cgroup.kill" // Linux 5.14
	}
	for range 5 {
		var b [6]byte
		_, _ = rand.Read(b[:])
		dir := filepath.Join(parent, cgroupPrefix+strconv.Itoa(os.Getpid())+"-"+hex.EncodeToString(b[:]))
		if err := os.Mkdir(dir, 0o755); err != nil {
			if errors.Is(err, os.ErrExist) {
				continue
			}
			return nil, err
		}
		fd, ok, err := lockNew(dir)
		if err != nil {
			_ = unix.Rmdir(dir)
			return nil, err
		}
		if !ok {
			continue // removed, or being removed, by another process's clean-up
		}
		cg := &cgroup{v2: v2, dir: dir, fd: fd}
		if _, err := os.Stat(filepath.Join(dir, need)); err != nil {
			_ = cg.remove()
			return nil, fmt.Errorf("cgroup %s: no %s: %w", dir, need, err)
		}
		if v2 {
			cg.path = cgroupPath(dir)
		}
		return cg, nil
	}
	return nil, fmt.Errorf("%s: no free cgroup name after 5 tries", parent)
}

// lockNew opens and locks a directory just made. ok is false if another
// process's clean-up got to it first (it is then gone, or about to be).
func lockNew(dir string) (fd int, ok bool, err error) {
	fd, err = unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) {
		return -1, false, nil
	}
	if err != nil {
		return -1, false, err
	}
	if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		unix.Close(fd)
		if errors.Is(err, unix.EWOULDBLOCK) {
			return -1, false, nil
		}
		return -1, false, fmt.Errorf("flock %s: %w", dir, err)
	}
	var a, b unix.Stat_t
	if unix.Fstat(fd, &a) != nil || unix.Stat(dir, &b) != nil || a.Ino != b.Ino || a.Dev != b.Dev {
		unix.Close(fd)
		return -1, false, nil
	}
	return fd, true, nil
}

var staleDone sync.Map // parent directories already cleaned by this process

// removeStale removes, once per parent directory and process, the
// proctree cgroups that no live process holds locked (their owner died
// without Stop, or the container was restarted) and that are empty (rmdir
// fails on a cgroup with processes, which are then left alone: they are
// not ours to kill).
func removeStale(parent string) {
	if _, done := staleDone.LoadOrStore(parent, true); done {
		return
	}
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), cgroupPrefix) {
			continue
		}
		dir := filepath.Join(parent, e.Name())
		fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			continue
		}
		if unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB) == nil {
			_ = unix.Rmdir(dir)
		}
		unix.Close(fd)
	}
}

// start starts cmd inside the cgroup, so that no instant exists in which
// the child is outside it.
//
// v2: clone3 with CLONE_INTO_CGROUP (SysProcAttr.UseCgroupFD).
//
// v1: cgroup v1 membership is per thread, and a child inherits the cgroups
// of the thread that forks it; os/exec forks on the calling thread. So a
// goroutine locked to its OS thread moves that thread into the freezer
// cgroup, starts the command, and moves the thread back. If moving back
// fails, the goroutine ends still locked, and the Go runtime then ends the
// thread rather than reuse it.
func (c *cgroup) start(cmd *exec.Cmd) error {
	if c.v2 {
		cmd.SysProcAttr.UseCgroupFD = true
		cmd.SysProcAttr.CgroupFD = c.fd
		return cmd.Start()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		tid := unix.Gettid()
		back, err := ownCgroupDir(fmt.Sprintf("/proc/self/task/%d/cgroup", tid), false)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		if err := writeInt(filepath.Join(c.dir, "tasks"), tid); err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		err = cmd.Start()
		if writeInt(filepath.Join(back, "tasks"), tid) == nil {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	return <-errc
}

func writeInt(file string, n int) error {
	return os.WriteFile(file, []byte(strconv.Itoa(n)), 0)
}

// procs lists the processes in the cgroup (zombies are not listed), but
// never the caller: on v1, a thread of it that could not be moved back
// after start stays there until the Go runtime ends it.
func (c *cgroup) procs() ([]int, error) {
	b, err := os.ReadFile(filepath.Join(c.dir, "cgroup.procs"))
	if err != nil {
		return nil, err
	}
	self := os.Getpid()
	var out []int
	for _, f := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(f); err == nil && n != self {
			out = append(out, n)
		}
	}
	return out, nil
}

// holdsZombie reports whether the zombie pid was in the cgroup: a zombie
// keeps its cgroup v2 membership (on v1 it is moved to the root).
func (c *cgroup) holdsZombie(pid int) bool {
	return c != nil && c.v2 && c.path != "" && v2CgroupOf(pid) == c.path
}

// kill SIGKILLs every process in the cgroup, atomically.
//
// v2: cgroup.kill. v1: freeze, SIGKILL each member, thaw (a frozen process
// dies only once thawed). While frozen, nothing in the cgroup can fork or
// exit, so the pids read from cgroup.procs are exactly the members, and
// none of them can be reused. A freeze that does not complete in time (a
// loaded machine) leaves members free to fork meanwhile, so v1 repeats
// until cgroup.procs is empty, for at most 5 s.
func (c *cgroup) kill() error {
	if c.v2 {
		return os.WriteFile(filepath.Join(c.dir, "cgroup.kill"), []byte("1"), 0)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := c.killFrozen()
		left, perr := c.procs()
		if err != nil || perr != nil || len(left) == 0 || time.Now().After(deadline) {
			return err
		}
		time.Sleep(10 * time.Millisecond) // the killed ones leave as they die
	}
}

// killFrozen is one v1 round of kill: freeze, SIGKILL each member, thaw.
func (c *cgroup) killFrozen() error {
	state := filepath.Join(c.dir, "freezer.state")
	if err := os.WriteFile(state, []byte("FROZEN"), 0); err != nil {
		return err
	}
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); {
		b, err := os.ReadFile(state)
		if err != nil || strings.TrimSpace(string(b)) == "FROZEN" {
			break
		}
		time.Sleep(time.Millisecond)
	}
	pids, err := c.procs()
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	for _, pid := range pids {
		if err := unix.Kill(pid, unix.SIGKILL); err != nil && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, fmt.Errorf("kill %d: %w", pid, err))
		}
	}
	if err := os.WriteFile(state, []byte("THAWED"), 0); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// remove removes the cgroup directory, retrying while it is busy (a
// process leaving it is not gone at once), and lets go of its lock.
func (c *cgroup) remove() error {
	defer func() {
		if c.fd >= 0 {
			unix.Close(c.fd)
			c.fd = -1
		}
	}()
	deadline := time.Now().Add(2 * time.Second)
	for {
		err := unix.Rmdir(c.dir)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) || !time.Now().Before(deadline) {
			return fmt.Errorf("proctree: remove cgroup %s: %w", c.dir, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
