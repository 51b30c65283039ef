package procfs

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// CgroupLine is one line of /proc/PID/cgroup: "ID:CONTROLLERS:PATH". For
// cgroup v2 the ID is 0 and there are no controllers.
type CgroupLine struct {
	ID          int
	Controllers []string
	Path        string
}

// ParseCgroup parses the text of /proc/PID/cgroup. The path may contain
// colons, so only the first two separate fields.
func ParseCgroup(text string) ([]CgroupLine, error) {
	var out []CgroupLine
	for _, l := range strings.Split(text, "\n") {
		if l == "" {
			continue
		}
		parts := strings.SplitN(l, ":", 3)
		if len(parts) != 3 {
			return nil, fmt.Errorf("cgroup: bad line %q", l)
		}
		id, err := strconv.Atoi(parts[0])
		if err != nil {
			return nil, fmt.Errorf("cgroup: bad hierarchy ID in %q", l)
		}
		c := CgroupLine{ID: id, Path: parts[2]}
		if parts[1] != "" {
			c.Controllers = strings.Split(parts[1], ",")
		}
		out = append(out, c)
	}
	return out, nil
}

// ReadCgroup reads /proc/PID/cgroup under root; pid 0 means "self".
func ReadCgroup(root string, pid int) ([]CgroupLine, error) {
	p := "self"
	if pid != 0 {
		p = strconv.Itoa(pid)
	}
	b, err := os.ReadFile(root + "/" + p + "/cgroup")
	if err != nil {
		return nil, err
	}
	return ParseCgroup(string(b))
}

// PidsLevel is the pids controller's state of one cgroup directory.
type PidsLevel struct {
	Dir     string
	Current int64
	// Max is the limit, -1 for "max" (no limit at this level).
	Max int64
}

// PidsCgroup is where the pids controller of a process is, and the limits
// from its cgroup up to the root of the mounted hierarchy.
type PidsCgroup struct {
	Version int    // 1 or 2
	Path    string // the path in /proc/PID/cgroup
	Dir     string // the directory it was found at
	// Levels are the directories from Dir up to the mount point that have
	// pids.max; a root cgroup has none. Ancestors limit their descendants
	// too, so the tightest level is the one that counts.
	Levels []PidsLevel
}

// FindPidsCgroup locates the pids cgroup described by lines under
// cgroupRoot (normally "/sys/fs/cgroup"): cgroup v1 at cgroupRoot/pids (or
// a co-mounted directory such as "pids,cpu"), v2 at cgroupRoot itself or,
// on hybrid systems, cgroupRoot/unified. In a container the hierarchy is
// often mounted with the container's own cgroup as its root while the path
// still names the host's view of it: when cgroupRoot/path does not exist,
// or the path leaves the cgroup namespace ("/.."), the mount point itself
// is the cgroup.
func FindPidsCgroup(cgroupRoot string, lines []CgroupLine) (PidsCgroup, error) {
	for _, l := range lines {
		for _, c := range l.Controllers {
			if c != "pids" {
				continue
			}
			for _, m := range []string{"pids", strings.Join(l.Controllers, ",")} {
				mount := filepath.Join(cgroupRoot, m)
				if isDir(mount) {
					return pidsLevels(1, mount, l.Path), nil
				}
			}
		}
	}
	for _, l := range lines {
		if l.ID != 0 || len(l.Controllers) != 0 {
			continue
		}
		for _, mount := range []string{cgroupRoot, filepath.Join(cgroupRoot, "unified")} {
			if !exists(filepath.Join(mount, "cgroup.controllers")) {
				continue
			}
			pc := pidsLevels(2, mount, l.Path)
			if len(pc.Levels) == 0 && !hasController(mount, "pids") {
				continue
			}
			return pc, nil
		}
	}
	return PidsCgroup{}, fmt.Errorf("no pids cgroup controller found under %s", cgroupRoot)
}

func pidsLevels(version int, mount, path string) PidsCgroup {
	pc := PidsCgroup{Version: version, Path: path}
	dir := mount
	if rel := filepath.Clean("/" + path); !strings.HasPrefix(path, "/..") && rel != "/" {
		if cand := filepath.Join(mount, rel); isDir(cand) {
			dir = cand
		}
	}
	pc.Dir = dir
	for d := dir; ; d = filepath.Dir(d) {
		if lv, err := ReadPidsLevel(d); err == nil {
			pc.Levels = append(pc.Levels, lv)
		}
		if d == mount || len(d) <= len(mount) {
			break
		}
	}
	return pc
}

// ReadPidsLevel reads pids.current and pids.max of one cgroup directory.
func ReadPidsLevel(dir string) (PidsLevel, error) {
	lv := PidsLevel{Dir: dir}
	b, err := os.ReadFile(filepath.Join(dir, "pids.max"))
	if err != nil {
		return lv, err
	}
	if s := strings.TrimSpace(string(b)); s == "max" {
		lv.Max = -1
	} else if lv.Max, err = strconv.ParseInt(s, 10, 64); err != nil {
		return lv, fmt.Errorf("%s/pids.max: %v", dir, err)
	}
	lv.Current, err = ReadInt(filepath.Join(dir, "pids.current"))
	return lv, err
}

func hasController(mount, name string) bool {
	b, err := os.ReadFile(filepath.Join(mount, "cgroup.controllers"))
	if err != nil {
		return false
	}
	for _, c := range strings.Fields(string(b)) {
		if c == name {
			return true
		}
	}
	return false
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
