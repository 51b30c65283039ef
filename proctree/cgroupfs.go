package proctree

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

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

// cgroupPath turns a directory of the cgroup v2 hierarchy into the path
// that /proc/PID/cgroup shows for its processes.
func cgroupPath(dir string) string {
	mnt, root, err := findMount(true)
	if err != nil {
		return ""
	}
	rel, err := filepath.Rel(mnt, dir)
	if err != nil || strings.HasPrefix(rel, "..") {
		return ""
	}
	return filepath.Join(root, rel)
}

// v2CgroupOf returns the cgroup v2 path of process pid, zombies included.
func v2CgroupOf(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			return p
		}
	}
	return ""
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
