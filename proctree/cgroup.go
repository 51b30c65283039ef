package proctree

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// cgroup is the cgroup made for one tree: a cgroup v2 directory, or a
// directory in the v1 freezer hierarchy.
type cgroup struct {
	v2  bool
	dir string
}

var cgroupSeq atomic.Uint64

// newCgroup makes a cgroup for a tree under parent, or, if parent is "",
// under the caller's own cgroup in the v2 hierarchy, else in the v1
// freezer hierarchy.
func newCgroup(parent string) (*cgroup, error) {
	name := fmt.Sprintf("proctree-%d-%d", os.Getpid(), cgroupSeq.Add(1))
	if parent != "" {
		_, err := os.Stat(filepath.Join(parent, "cgroup.controllers"))
		return makeCgroup(filepath.Join(parent, name), err == nil)
	}
	var errs []error
	if p, err := ownCgroupDir("/proc/self/cgroup", true); err == nil {
		cg, err := makeCgroup(filepath.Join(p, name), true)
		if err == nil {
			return cg, nil
		}
		errs = append(errs, err)
	} else {
		errs = append(errs, err)
	}
	if p, err := ownCgroupDir("/proc/self/cgroup", false); err == nil {
		cg, err := makeCgroup(filepath.Join(p, name), false)
		if err == nil {
			return cg, nil
		}
		errs = append(errs, err)
	} else {
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

func makeCgroup(dir string, v2 bool) (*cgroup, error) {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, err
	}
	cg := &cgroup{v2: v2, dir: dir}
	need := "freezer.state"
	if v2 {
		need = "cgroup.kill" // Linux 5.14
	}
	if _, err := os.Stat(filepath.Join(dir, need)); err != nil {
		_ = os.Remove(dir)
		return nil, fmt.Errorf("cgroup %s: no %s: %w", dir, need, err)
	}
	return cg, nil
}

// ownCgroupDir finds, from a /proc/.../cgroup file, the directory of that
// process's cgroup in the v2 hierarchy or in the v1 freezer hierarchy.
func ownCgroupDir(procFile string, v2 bool) (string, error) {
	b, err := os.ReadFile(procFile)
	if err != nil {
		return "", err
	}
	path, found := "", false
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			continue
		}
		if v2 && f[0] == "0" && f[1] == "" {
			path, found = f[2], true
		}
		if !v2 && hasItem(f[1], "freezer") {
			path, found = f[2], true
		}
	}
	what := "cgroup v2"
	if !v2 {
		what = "cgroup v1 freezer"
	}
	if !found {
		return "", fmt.Errorf("%s: not in %s", procFile, what)
	}
	mnt, root, err := findMount(v2)
	if err != nil {
		return "", err
	}
	rel := path
	if root != "/" {
		rel = strings.TrimPrefix(path, root)
	}
	return filepath.Join(mnt, rel), nil
}

// findMount finds the mount point and the mounted root of the cgroup v2
// hierarchy, or of the v1 freezer hierarchy, in /proc/self/mountinfo.
func findMount(v2 bool) (mnt, root string, err error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		a, b := strings.Fields(pre), strings.Fields(post)
		if len(a) < 5 || len(b) < 3 {
			continue
		}
		if v2 && b[0] == "cgroup2" || !v2 && b[0] == "cgroup" && hasItem(b[2], "freezer") {
			return unescapeMount(a[4]), unescapeMount(a[3]), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", "", err
	}
	if v2 {
		return "", "", errors.New("no cgroup2 mount")
	}
	return "", "", errors.New("no cgroup v1 freezer mount")
}

// unescapeMount undoes the octal escapes (\040 for a space) of mountinfo.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func hasItem(list, item string) bool {
	for _, x := range strings.Split(list, ",") {
		if x == item {
			return true
		}
	}
	return false
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
		fd, err := unix.Open(c.dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		cmd.SysProcAttr.UseCgroupFD = true
		cmd.SysProcAttr.CgroupFD = fd
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

// procs lists the processes in the cgroup.
func (c *cgroup) procs() ([]int, error) {
	b, err := os.ReadFile(filepath.Join(c.dir, "cgroup.procs"))
	if err != nil {
		return nil, err
	}
	var out []int
	for _, f := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	return out, nil
}

// kill SIGKILLs every process in the cgroup, except self, and returns
// the pids it found there just before.
//
// v2: cgroup.kill. v1: freeze, SIGKILL each member, thaw (a frozen process
// dies only once thawed). While frozen, nothing in the cgroup can fork or
// exit, so the pids read from cgroup.procs are exactly the members.
func (c *cgroup) kill(self int) ([]int, error) {
	if c.v2 {
		pids, _ := c.procs()
		return pids, os.WriteFile(filepath.Join(c.dir, "cgroup.kill"), []byte("1"), 0)
	}
	state := filepath.Join(c.dir, "freezer.state")
	if err := os.WriteFile(state, []byte("FROZEN"), 0); err != nil {
		return nil, err
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
		if pid != self {
			if err := unix.Kill(pid, unix.SIGKILL); err != nil && !errors.Is(err, unix.ESRCH) {
				errs = append(errs, fmt.Errorf("kill %d: %w", pid, err))
			}
		}
	}
	if err := os.WriteFile(state, []byte("THAWED"), 0); err != nil {
		errs = append(errs, err)
	}
	return pids, errors.Join(errs...)
}

// remove removes the cgroup directory, retrying while it is busy (a
// process leaving it is not gone at once).
func (c *cgroup) remove() error {
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
