package testutil

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var cgroupSeq atomic.Int64

// PidsCgroup makes a cgroup limited to max tasks (processes and threads)
// by the pids controller, on cgroup v1 (its pids hierarchy) or on cgroup v2
// (a child of the hierarchy's root, with pids enabled there), and returns
// its directory, for Spec.Cgroup. It is removed at the end of the test, once
// its processes are gone (register it before starting them, so that their
// cleanup runs first).
func PidsCgroup(t testing.TB, max int) string {
	t.Helper()
	RequireRoot(t)
	parent, err := pidsParent()
	if err != nil {
		Unavailable(t, "no pids cgroup controller: %v", err)
	}
	dir := filepath.Join(parent, fmt.Sprintf("sexton-test-%d-%d", os.Getpid(), cgroupSeq.Add(1)))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		Eventually(t, time.Minute, "cgroup "+dir+" empty", func() bool {
			return strings.TrimSpace(ReadFile(dir+"/cgroup.procs")) == ""
		})
		// The kernel may still hold the group a moment after its last task.
		Eventually(t, time.Minute, "cgroup "+dir+" removed", func() bool {
			err := os.Remove(dir)
			return err == nil || errors.Is(err, os.ErrNotExist)
		})
	})
	if err := os.WriteFile(dir+"/pids.max", []byte(strconv.Itoa(max)), 0); err != nil {
		t.Fatal(err)
	}
	return dir
}

// pidsParent finds where a pids-limited cgroup can be made: the cgroup v1
// pids hierarchy's root, or a cgroup v2 root whose children get the pids
// controller (it is enabled there if need be).
func pidsParent() (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	defer f.Close()
	var v2 []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent dev root mountpoint options [optional...] - fstype source superoptions
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		fields, tail := strings.Fields(pre), strings.Fields(post)
		if !ok || len(fields) < 5 || len(tail) < 3 {
			continue
		}
		switch mnt := fields[4]; tail[0] {
		case "cgroup":
			for _, o := range strings.Split(tail[2], ",") {
				if o == "pids" {
					return mnt, nil
				}
			}
		case "cgroup2":
			v2 = append(v2, mnt)
		}
	}
	for _, mnt := range v2 {
		if !strings.Contains(" "+ReadFile(mnt+"/cgroup.controllers")+" ", " pids ") {
			continue
		}
		if !strings.Contains(" "+ReadFile(mnt+"/cgroup.subtree_control")+" ", " pids ") {
			if err := os.WriteFile(mnt+"/cgroup.subtree_control", []byte("+pids"), 0); err != nil {
				return "", fmt.Errorf("enabling pids in %s: %v", mnt, err)
			}
		}
		return mnt, nil
	}
	return "", errors.New("neither a cgroup v1 pids hierarchy nor a cgroup v2 one with pids in /proc/self/mountinfo")
}
