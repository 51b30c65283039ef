package engines

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sexton-init/sexton/procfs"
)

// The services the containers run, from /srv, all writing their markers to
// /data, which each test binds to a folder of its own on the host.

// serviceScript is the typical entrypoint script: it prepares, then runs
// the service in the foreground without exec, so that without an init the
// shell would be PID 1 and drop SIGTERM.
const serviceScript = `#!/bin/sh
echo ready > /data/ready
sleep 100000
`

// trapScript shuts down cleanly on SIGTERM with exit status 3; the sleep
// runs in the background so that the trap runs at once.
const trapScript = `#!/bin/sh
trap 'echo graceful > /data/stopped; exit 3' TERM
echo ready > /data/ready
while :; do sleep 1 & wait $!; done
`

// leakScript leaks $1 orphans: each subshell starts a short-lived usleep in
// the background and exits at once, so the usleep is reparented to PID 1.
const leakScript = `#!/bin/sh
i=0
while [ $i -lt $1 ]; do
	(usleep 20000 &)
	i=$((i+1))
done
echo $1 > /data/leaked
while :; do sleep 1000; done
`

// leaked is how many orphans leakScript leaks in these tests.
const leaked = 100

// flushMain exits at once on SIGTERM (the default action), after starting
// a helper that needs time to flush on SIGTERM.
const flushMain = `#!/bin/sh
/bin/sh /srv/helper.sh &
while [ ! -e /data/helper-ready ]; do usleep 10000; done
echo ready > /data/ready
while :; do sleep 1; done
`

// flushHelper needs 300 ms after SIGTERM to write its data; its trap ignores
// further SIGTERMs so that the init's shutdown of leftovers cannot cut the
// flush short.
const flushHelper = `#!/bin/sh
trap 'trap "" TERM; usleep 300000; echo flushed > /data/flushed; exit 0' TERM
echo ready > /data/helper-ready
while :; do sleep 1 & wait $!; done
`

var scripts = map[string]string{
	"service.sh": serviceScript,
	"trap.sh":    trapScript,
	"leak.sh":    leakScript,
	"main.sh":    flushMain,
	"helper.sh":  flushHelper,
}

// imageContext lays out a build context: dir/rootfs holds a static busybox
// with its applets in /bin, the scripts in /srv, /data and /tmp, and, with
// withSexton, the sexton under test at /sbin/sexton, where the Dockerfile
// puts it. dir/Dockerfile is dockerfile.
func imageContext(t *testing.T, withSexton bool, dockerfile string) string {
	t.Helper()
	dir := t.TempDir()
	rootfs := filepath.Join(dir, "rootfs")
	for _, d := range []string{"bin", "sbin", "srv", "data", "tmp", "proc", "dev", "sys", "etc"} {
		if err := os.MkdirAll(filepath.Join(rootfs, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(filepath.Join(rootfs, "tmp"), 0o1777)
	busybox := staticBusybox(t)
	copyFile(t, busybox, filepath.Join(rootfs, "bin", "busybox"), 0o755)
	if withSexton {
		copyFile(t, sextonBinary(t), filepath.Join(rootfs, "sbin", "sexton"), 0o755)
	}
	list, err := exec.Command(busybox, "--list").Output()
	if err != nil {
		t.Fatalf("busybox --list: %v", err)
	}
	for _, applet := range strings.Fields(string(list)) {
		if applet != "busybox" {
			if err := os.Symlink("busybox", filepath.Join(rootfs, "bin", applet)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, text := range scripts {
		if err := os.WriteFile(filepath.Join(rootfs, "srv", name), []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, mode); err != nil {
		t.Fatal(err)
	}
}

// dataDir is a host folder for a container's /data.
type dataDir string

func newDataDir(t *testing.T) dataDir { return dataDir(t.TempDir()) }

// read returns the content of a marker file, "" if it does not exist.
func (d dataDir) read(name string) string {
	b, _ := os.ReadFile(filepath.Join(string(d), name))
	return string(b)
}

// wait waits until the service has written name; stopped, when it returns
// true, means the container ended first.
func (d dataDir) wait(t *testing.T, name string, stopped func() bool, output func() string) {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	for d.read(name) == "" {
		if stopped != nil && stopped() {
			t.Fatalf("the container ended before it wrote /data/%s\n%s", name, output())
		}
		if time.Now().After(deadline) {
			t.Fatalf("no /data/%s after %v\n%s", name, hangGuard, output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// procsInPIDNamespaceOf lists the processes (host view) sharing the PID
// namespace of host process pid: a container, or a pod sharing its PID
// namespace.
func procsInPIDNamespaceOf(t *testing.T, pid int) []procfs.Stat {
	t.Helper()
	want, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid))
	if err != nil {
		t.Fatalf("PID namespace of %d: %v", pid, err)
	}
	table, err := procfs.Scan("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []procfs.Stat
	for _, s := range table {
		if ns, err := os.Readlink("/proc/" + strconv.Itoa(s.PID) + "/ns/pid"); err == nil && ns == want {
			out = append(out, s)
		}
	}
	return out
}

func describe(ps []procfs.Stat) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "  pid %d ppid %d %c %s\n", p.PID, p.PPID, p.State, p.Comm)
	}
	return b.String()
}

// waitLeakDone waits until no leaked usleep runs in the PID namespace of
// host pid init any more, and returns the namespace's processes then.
func waitLeakDone(t *testing.T, init int) []procfs.Stat {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	for {
		ps := procsInPIDNamespaceOf(t, init)
		live := 0
		for _, p := range ps {
			if p.Comm == "usleep" && p.State != 'Z' {
				live++
			}
		}
		if live == 0 {
			return ps
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d leaked orphans still running after %v:\n%s", live, hangGuard, describe(ps))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// zombiesOf counts the zombies of parent among ps.
func zombiesOf(ps []procfs.Stat, parent int) int {
	n := 0
	for _, p := range ps {
		if p.State == 'Z' && p.PPID == parent {
			n++
		}
	}
	return n
}

// waitNoZombies waits until the PID namespace of host pid init holds no
// zombie, failing with the list when some stay for the whole guard.
func waitNoZombies(t *testing.T, init int) {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	for {
		ps := procsInPIDNamespaceOf(t, init)
		z := 0
		for _, p := range ps {
			if p.State == 'Z' {
				z++
			}
		}
		if z == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d zombies left after %v:\n%s", z, hangGuard, describe(ps))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
