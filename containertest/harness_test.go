package containertest

import (
	"bytes"
	"crypto/rand"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sexton-init/sexton/internal/testutil"
	"golang.org/x/sys/unix"
)

// hangGuard bounds every wait in these tests. It is not a timing assertion:
// nothing here should take more than a few hundred milliseconds, and the guard
// only turns a hang into a failure with a useful message.
const hangGuard = 30 * time.Second

// testVersion is stamped into the sexton binary the tests build.
const testVersion = "e2e-containertest"

// env is what every container test needs from the host.
type env struct {
	runc    string // path of the runc binary
	busybox string // path of a statically linked busybox
	sexton  string // path of the statically linked sexton under test
}

// requireHost returns the runc and busybox paths, or skips the test (fails it
// when CI=true) if the host cannot run the container tests.
func requireHost(t *testing.T) env {
	t.Helper()
	missing := func(format string, args ...any) {
		t.Helper()
		testutil.Unavailable(t, "container tests need it: "+format, args...)
	}
	if os.Geteuid() != 0 {
		missing("not root (runc needs root here)")
	}
	var e env
	var err error
	if e.runc, err = exec.LookPath("runc"); err != nil {
		missing("runc not found (apt-get install -y runc): %v", err)
	}
	for _, p := range []string{"/bin/busybox", "/usr/bin/busybox"} {
		if isStatic(p) == nil {
			e.busybox = p
			break
		}
	}
	if e.busybox == "" {
		missing("no static busybox at /bin/busybox (apt-get install -y busybox-static)")
	}
	return e
}

// isStatic reports an error unless path is an ELF executable without a
// program interpreter, i.e. one that runs in a rootfs with no libc.
func isStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked", path)
		}
	}
	return nil
}

// setup checks the host and provides the sexton binary for t: the one named
// by SEXTON_E2E_BINARY, or one built from ./cmd/sexton into t.TempDir() with
// the release build's flags and testVersion stamped in.
func setup(t *testing.T) env {
	t.Helper()
	e := requireHost(t)
	if p := os.Getenv("SEXTON_E2E_BINARY"); p != "" {
		if err := isStatic(p); err != nil {
			t.Fatalf("SEXTON_E2E_BINARY: %v", err)
		}
		e.sexton = p
		return e
	}
	out := filepath.Join(t.TempDir(), "sexton")
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("cannot build sexton: %v", err)
	}
	cmd := exec.Command(goTool, "build", "-trimpath",
		"-ldflags=-s -w -X main.version="+testVersion,
		"-o", out, "github.com/sexton-init/sexton/cmd/sexton")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/sexton: %v\n%s", err, b)
	}
	if err := isStatic(out); err != nil {
		t.Fatalf("built sexton: %v", err)
	}
	e.sexton = out
	return e
}

// bundle is an OCI bundle under t.TempDir(): config.json plus a rootfs folder.
type bundle struct {
	dir    string
	rootfs string
	config map[string]any
}

// newBundle lays out a rootfs with busybox and sexton, and a config.json from
// `runc spec` that runs args as the container's process.
//
// Changes to the generated spec, and why:
//   - process.terminal false: there is no terminal; the container's stdout and
//     stderr are runc's, which the tests point at a file.
//   - root.readonly false: the services write their marker files into /data,
//     which the test reads from the host side of the rootfs folder.
//   - the network namespace stays (a private one with only lo): nothing here
//     needs the network, and runc needs no setup for it.
//   - cgroups: nothing to change on cgroup v1; runc makes /<id> under each
//     controller and removes it on delete.
func newBundle(t *testing.T, e env, args ...string) *bundle {
	t.Helper()
	b := &bundle{dir: t.TempDir()}
	b.rootfs = filepath.Join(b.dir, "rootfs")
	for _, d := range []string{"bin", "sbin", "data", "srv", "proc", "dev", "sys", "tmp"} {
		if err := os.MkdirAll(filepath.Join(b.rootfs, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(b.rootfs, "tmp"), 0o1777); err != nil {
		t.Fatal(err)
	}
	copyFile(t, e.busybox, filepath.Join(b.rootfs, "bin", "busybox"))
	copyFile(t, e.sexton, filepath.Join(b.rootfs, "sbin", "sexton"))
	list, err := exec.Command(e.busybox, "--list").Output()
	if err != nil {
		t.Fatalf("busybox --list: %v", err)
	}
	for _, applet := range strings.Fields(string(list)) {
		if applet == "busybox" {
			continue
		}
		if err := os.Symlink("busybox", filepath.Join(b.rootfs, "bin", applet)); err != nil {
			t.Fatal(err)
		}
	}

	if out, err := exec.Command(e.runc, "spec", "--bundle", b.dir).CombinedOutput(); err != nil {
		t.Fatalf("runc spec: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(filepath.Join(b.dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &b.config); err != nil {
		t.Fatalf("config.json from runc spec: %v", err)
	}
	proc := b.config["process"].(map[string]any)
	proc["terminal"] = false
	proc["args"] = args
	proc["env"] = []string{"PATH=/sbin:/bin", "HOME=/"}
	b.config["root"].(map[string]any)["readonly"] = false
	b.config["hostname"] = "sexton-e2e"
	return b
}

// joinPIDNamespace makes the container join the PID namespace of the process
// with host pid pid instead of getting its own, the way a pod's containers
// join the sandbox's with shareProcessNamespace.
func (b *bundle) joinPIDNamespace(t *testing.T, pid int) {
	t.Helper()
	linux := b.config["linux"].(map[string]any)
	nss := linux["namespaces"].([]any)
	found := false
	for _, ns := range nss {
		m := ns.(map[string]any)
		if m["type"] == "pid" {
			m["path"] = fmt.Sprintf("/proc/%d/ns/pid", pid)
			found = true
		}
	}
	if !found {
		t.Fatal("config.json from runc spec has no pid namespace")
	}
}

// writeFile puts a file into the rootfs, at a path like /srv/service.sh.
func (b *bundle) writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(b.rootfs, path), []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// hostPath is where the container's path lives on the host.
func (b *bundle) hostPath(path string) string { return filepath.Join(b.rootfs, path) }

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestMain makes the test process a child subreaper, the way containerd's
// shim is one: `runc run -d` starts a container and exits, and the
// container's init is reparented to the test process, which can then wait4
// for it and see exactly how it ended (an exit code, or the signal that
// killed it), rather than runc's 128+N summary of it.
func TestMain(m *testing.M) {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintf(os.Stderr, "containertest: PR_SET_CHILD_SUBREAPER: %v\n", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// exit is how a container's init ended, as its parent sees it in wait4.
type exit struct {
	code   int            // the exit code, when signal is 0
	signal syscall.Signal // the signal that killed the init, or 0
}

func exited(code int) exit             { return exit{code: code} }
func killedBy(sig syscall.Signal) exit { return exit{signal: sig} }

func (x exit) String() string {
	if x.signal != 0 {
		return "killed by " + unix.SignalName(x.signal)
	}
	s := fmt.Sprintf("exit code %d", x.code)
	if x.code > 128 && x.code < 128+65 {
		if name := unix.SignalName(syscall.Signal(x.code - 128)); name != "" {
			s += " (128+" + name + ")"
		}
	}
	return s
}

// container is a container started with `runc run -d`. Its init is a child
// of the test process (see TestMain); a goroutine waits for it.
type container struct {
	e       env
	id      string
	b       *bundle
	pid     int // host pid of the container's init
	logPath string
	done    chan struct{}
	result  exit  // valid once done is closed
	waitErr error // valid once done is closed
}

// containerSeq and runTag keep container IDs unique within and across runs.
var (
	containerSeq int
	seqMu        sync.Mutex
	runTag       = randomTag()
)

func randomTag() string {
	b := make([]byte, 3)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func newID(name string) string {
	seqMu.Lock()
	defer seqMu.Unlock()
	containerSeq++
	return fmt.Sprintf("sexton-e2e-%s-%s-%d", name, runTag, containerSeq)
}

// run writes config.json and starts the container with `runc run -d`; the
// container's stdout and stderr go to a file in the bundle. t.Cleanup
// deletes it with `runc delete -f` (which also kills whatever is left in it)
// and waits for its init.
func (b *bundle) run(t *testing.T, e env, name string) *container {
	t.Helper()
	raw, err := json.MarshalIndent(b.config, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.dir, "config.json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	c := &container{e: e, id: newID(name), b: b, done: make(chan struct{})}
	c.logPath = filepath.Join(b.dir, "output.log")
	logFile, err := os.Create(c.logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	t.Cleanup(func() {
		out, err := exec.Command(e.runc, "delete", "-f", c.id).CombinedOutput()
		if c.pid != 0 {
			select {
			case <-c.done:
			case <-time.After(hangGuard):
				t.Errorf("init of %s (pid %d) still running after runc delete -f", c.id, c.pid)
			}
		}
		// After a failed start there may be nothing to delete.
		if err != nil && !bytes.Contains(out, []byte("does not exist")) {
			t.Errorf("runc delete -f %s: %v\n%s", c.id, err, out)
		}
	})
	// The pid comes from --pid-file: `runc state` says pid 0 once the init
	// has exited, which a short-lived container may have done already.
	pidFile := filepath.Join(b.dir, "init.pid")
	cmd := exec.Command(e.runc, "run", "-d", "--pid-file", pidFile, "--bundle", b.dir, c.id)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	if err := cmd.Run(); err != nil {
		t.Fatalf("runc run -d %s: %v\n%s", c.id, err, c.output())
	}
	pid, err := strconv.Atoi(strings.TrimSpace(readFile(pidFile)))
	if err != nil || pid <= 0 {
		t.Fatalf("runc run -d %s: bad --pid-file: %q (%v)", c.id, readFile(pidFile), err)
	}
	c.pid = pid
	go func() {
		defer close(c.done)
		var ws unix.WaitStatus
		for {
			_, err := unix.Wait4(c.pid, &ws, 0, nil)
			if err == unix.EINTR {
				continue
			}
			c.waitErr = err
			break
		}
		switch {
		case ws.Exited():
			c.result = exited(ws.ExitStatus())
		case ws.Signaled():
			c.result = killedBy(ws.Signal())
		}
	}()
	return c
}

// kill sends sig (a name like TERM) to the container's init with runc kill.
func (c *container) kill(t *testing.T, sig string) {
	t.Helper()
	if out, err := exec.Command(c.e.runc, "kill", c.id, sig).CombinedOutput(); err != nil {
		t.Fatalf("runc kill %s %s: %v\n%s\n%s", c.id, sig, err, out, c.output())
	}
}

// wait returns how the container's init ended.
func (c *container) wait(t *testing.T) exit {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(hangGuard):
		t.Fatalf("container %s did not stop within %v\noutput:\n%s", c.id, hangGuard, c.output())
	}
	if c.waitErr != nil {
		t.Fatalf("wait4 for the init of %s (pid %d): %v (was it reparented to the test process?)",
			c.id, c.pid, c.waitErr)
	}
	return c.result
}

// stopped reports whether the container's init has ended.
func (c *container) stopped() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// output is what the container (and runc) wrote to stdout and stderr.
func (c *container) output() string {
	b, _ := os.ReadFile(c.logPath)
	return string(b)
}

// state is the part of `runc state` the tests use.
type state struct {
	Status string `json:"status"`
	Pid    int    `json:"pid"`
}

func (c *container) state(t *testing.T) state {
	t.Helper()
	out, err := exec.Command(c.e.runc, "state", c.id).Output()
	if err != nil {
		t.Fatalf("runc state %s: %v\n%s", c.id, err, c.output())
	}
	var s state
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatalf("runc state %s: %v\n%s", c.id, err, out)
	}
	return s
}

// waitFile waits until the service has created path (a container path, e.g.
// /data/ready), failing early if the container stops first.
func (c *container) waitFile(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	for {
		if b, err := os.ReadFile(c.b.hostPath(path)); err == nil {
			return string(b)
		}
		if c.stopped() {
			t.Fatalf("container %s stopped (%v) before it wrote %s\noutput:\n%s",
				c.id, c.result, path, c.output())
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s did not write %s within %v\noutput:\n%s", c.id, path, hangGuard, c.output())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// proc is one process as the host sees it.
type proc struct {
	pid, ppid int
	comm      string
	state     string // R, S, Z, ...
}

// procsInPIDNamespaceOf lists the processes (host view) that share the PID
// namespace of the host process pid: everything in that container, or in that
// pod when containers join the namespace.
func procsInPIDNamespaceOf(t *testing.T, pid int) []proc {
	t.Helper()
	want, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid))
	if err != nil {
		t.Fatalf("pid namespace of %d: %v", pid, err)
	}
	var ps []proc
	entries, _ := os.ReadDir("/proc")
	for _, ent := range entries {
		p, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		if ns, err := os.Readlink(filepath.Join("/proc", ent.Name(), "ns/pid")); err != nil || ns != want {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", ent.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		s := string(b)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open {
			continue
		}
		f := strings.Fields(s[end+1:])
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		ps = append(ps, proc{pid: p, ppid: ppid, comm: s[open+1 : end], state: f[0]})
	}
	return ps
}

// count returns how many of ps satisfy keep.
func count(ps []proc, keep func(proc) bool) int {
	n := 0
	for _, p := range ps {
		if keep(p) {
			n++
		}
	}
	return n
}

func isZombie(p proc) bool { return p.state == "Z" }

// describe formats ps for a failure message.
func describe(ps []proc) string {
	var sb strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&sb, "  pid %d ppid %d %s %s\n", p.pid, p.ppid, p.state, p.comm)
	}
	return sb.String()
}

// readFile returns the content of path, or "" if it cannot be read.
func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

func itoa(n int) string { return strconv.Itoa(n) }
