package procfs

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestParseCgroup(t *testing.T) {
	lines, err := ParseCgroup(readTestdata(t, "cgroup-v1"))
	if err != nil {
		t.Fatal(err)
	}
	want := []CgroupLine{
		{12, []string{"pids"}, "/docker/0123abcd"},
		{11, []string{"cpu", "cpuacct"}, "/docker/0123abcd"},
		{1, []string{"name=systemd"}, "/docker/0123abcd"},
		{0, nil, "/docker/0123abcd"},
	}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("got %+v", lines)
	}
	if l, err := ParseCgroup("0::/a:b\n"); err != nil || l[0].Path != "/a:b" {
		t.Errorf("colon in path: %+v %v", l, err)
	}
	if _, err := ParseCgroup("garbage\n"); err == nil {
		t.Error("no error for a bad line")
	}
}

// mkCgroup writes a fake cgroup directory with pids files (max "" = none).
func mkCgroup(t *testing.T, dir, max, current string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if max != "" {
		os.WriteFile(filepath.Join(dir, "pids.max"), []byte(max+"\n"), 0o644)
		os.WriteFile(filepath.Join(dir, "pids.current"), []byte(current+"\n"), 0o644)
	}
}

func TestFindPidsCgroupV1(t *testing.T) {
	root := t.TempDir()
	mkCgroup(t, root+"/pids", "", "")
	mkCgroup(t, root+"/pids/docker", "500", "120")
	mkCgroup(t, root+"/pids/docker/0123abcd", "max", "40")
	lines, _ := ParseCgroup(readTestdata(t, "cgroup-v1"))
	pc, err := FindPidsCgroup(root, lines)
	if err != nil {
		t.Fatal(err)
	}
	want := []PidsLevel{{root + "/pids/docker/0123abcd", 40, -1}, {root + "/pids/docker", 120, 500}}
	if pc.Version != 1 || pc.Dir != root+"/pids/docker/0123abcd" || !reflect.DeepEqual(pc.Levels, want) {
		t.Errorf("got %+v", pc)
	}
}

// Inside a container the hierarchy is mounted with the container's cgroup
// as its root, while /proc/self/cgroup still shows the host's path.
func TestFindPidsCgroupContainerRoot(t *testing.T) {
	root := t.TempDir()
	mkCgroup(t, root+"/pids", "100", "7")
	lines, _ := ParseCgroup(readTestdata(t, "cgroup-v1"))
	pc, err := FindPidsCgroup(root, lines)
	if err != nil {
		t.Fatal(err)
	}
	if pc.Dir != root+"/pids" || len(pc.Levels) != 1 || pc.Levels[0].Max != 100 || pc.Levels[0].Current != 7 {
		t.Errorf("got %+v", pc)
	}
}

func TestFindPidsCgroupV2(t *testing.T) {
	root := t.TempDir()
	mkCgroup(t, root, "", "")
	os.WriteFile(root+"/cgroup.controllers", []byte("cpu io memory pids\n"), 0o644)
	mkCgroup(t, root+"/system.slice/docker-0123abcd.scope", "2048", "3")
	lines, _ := ParseCgroup(readTestdata(t, "cgroup-v2"))
	pc, err := FindPidsCgroup(root, lines)
	if err != nil {
		t.Fatal(err)
	}
	if pc.Version != 2 || len(pc.Levels) != 1 || pc.Levels[0].Max != 2048 {
		t.Errorf("got %+v", pc)
	}
	// With a cgroup namespace the path is "/" and the mount is the cgroup;
	// a path outside the namespace ("/../x") also means the mount point.
	for _, path := range []string{"/", "/../sibling"} {
		mkCgroup(t, root, "64", "9")
		pc, err := FindPidsCgroup(root, []CgroupLine{{0, nil, path}})
		if err != nil || pc.Dir != root || len(pc.Levels) != 1 || pc.Levels[0].Max != 64 {
			t.Errorf("path %q: got %+v, %v", path, pc, err)
		}
	}
}

// A v1 root pids cgroup has no pids.max; hybrid systems list an unrelated
// "0::/" line that must not be taken for a pids controller.
func TestFindPidsCgroupHybridRoot(t *testing.T) {
	root := t.TempDir()
	mkCgroup(t, root+"/pids", "", "")
	mkCgroup(t, root+"/unified", "", "")
	os.WriteFile(root+"/unified/cgroup.controllers", nil, 0o644)
	lines, err := ParseCgroup(readTestdata(t, "cgroup-hybrid-root"))
	if err != nil {
		t.Fatal(err)
	}
	pc, err := FindPidsCgroup(root, lines)
	if err != nil || pc.Version != 1 || len(pc.Levels) != 0 {
		t.Errorf("got %+v, %v", pc, err)
	}
	if _, err := FindPidsCgroup(t.TempDir(), lines); err == nil {
		t.Error("no error without any pids controller")
	}
}

func TestReadUptimeAndInt(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(dir+"/uptime", []byte("4101.52 8000.01\n"), 0o644)
	if u, err := ReadUptime(dir); err != nil || u != 4101.52 {
		t.Errorf("uptime %v %v", u, err)
	}
	os.WriteFile(dir+"/n", []byte("32768\n"), 0o644)
	if n, err := ReadInt(dir + "/n"); err != nil || n != 32768 {
		t.Errorf("int %v %v", n, err)
	}
	os.WriteFile(dir+"/bad", []byte("max\n"), 0o644)
	if _, err := ReadInt(dir + "/bad"); err == nil {
		t.Error("no error for max")
	}
}
