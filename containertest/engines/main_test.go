package engines

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/internal/testutil"
)

// hangGuard bounds every command and every wait. It is not a timing
// assertion: it turns a hang (a stop that would wait for the engine's
// timeout, a daemon that never answers) into a failure with a message.
const hangGuard = 90 * time.Second

// testVersion is stamped into the sexton binary the tests build.
const testVersion = "e2e-engines"

var (
	buildOnce sync.Once
	buildDir  string
	buildPath string
	buildErr  error
)

// hostDirs are what the engines make outside the tests' own directories,
// whatever they are told: Podman 4.3 writes a blob-info cache to
// /var/lib/containers/cache and netavark's IP allocations to
// /run/containers/networks, containerd (dockerd's and the CRI test's) makes
// /run/containerd/s for its shims' sockets, and dockerd /run/docker/plugins.
// Those that did not exist before the tests are removed after them:
// Podman's with what they hold, the others when empty.
var hostDirs = []string{"/var/lib/containers", "/run/containers", "/run/containerd/s", "/run/containerd", "/run/docker/plugins", "/run/docker"}

func TestMain(m *testing.M) {
	var made []string
	for _, d := range hostDirs {
		if _, err := os.Lstat(d); err != nil {
			made = append(made, d)
		}
	}
	code := m.Run()
	for _, d := range made {
		if d == "/var/lib/containers" || d == "/run/containers" {
			os.RemoveAll(d)
		} else {
			os.Remove(d)
		}
	}
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// repoRoot is the root of the sexton repository (this module is two
// levels below it).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "cmd", "sexton")); err != nil {
		t.Fatalf("repository root: %v", err)
	}
	return root
}

// requireRoot ends the test unless it runs as root (skip; fail under CI).
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		testutil.Unavailable(t, "engine tests need root")
	}
}

// need returns the path of program, or ends the test (failing under CI=true).
func need(t *testing.T, program, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(program)
	if err != nil {
		testutil.Unavailable(t, "%s not found (apt-get install -y %s): %v", program, pkg, err)
	}
	return p
}

// isStatic reports an error unless path is an ELF executable without a
// program interpreter, one that runs in an image with no libc.
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

// staticBusybox returns the path of a statically linked busybox.
func staticBusybox(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/bin/busybox", "/usr/bin/busybox"} {
		if isStatic(p) == nil {
			return p
		}
	}
	testutil.Unavailable(t, "no static busybox at /bin/busybox (apt-get install -y busybox-static)")
	return ""
}

// sextonBinary returns the static sexton under test: SEXTON_E2E_BINARY, or
// one built once from ./cmd/sexton with the release flags.
func sextonBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("SEXTON_E2E_BINARY"); p != "" {
		if err := isStatic(p); err != nil {
			t.Fatalf("SEXTON_E2E_BINARY: %v", err)
		}
		return p
	}
	root := repoRoot(t)
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "sexton-engines-"); buildErr != nil {
			return
		}
		buildPath = filepath.Join(buildDir, "sexton")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w -X main.version="+testVersion,
			"-o", buildPath, "./cmd/sexton")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/sexton: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// result is how a command ended.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// run runs argv with env added to the environment, within the hang guard,
// and returns how it ended. It fails the test if argv cannot be started or
// exceeds the guard.
func run(t testing.TB, env []string, argv ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%q did not end within %v\nstdout:\n%s\nstderr:\n%s", argv, hangGuard, r.stdout, r.stderr)
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("%q: %v", argv, err)
	}
	return r
}

// must runs argv and fails the test unless it exits 0; it returns stdout.
func must(t testing.TB, env []string, argv ...string) string {
	t.Helper()
	r := run(t, env, argv...)
	if r.code != 0 {
		t.Fatalf("%q: %v", argv, r)
	}
	return r.stdout
}

// shortTempDir makes a directory with a short path under /tmp (engines put
// unix sockets below their directories, and a socket path has at most 107
// bytes) and removes it when the test ends. t.TempDir's paths are long.
func shortTempDir(t *testing.T, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("removing %s: %v", dir, err)
		}
	})
	return dir
}

// mountsUnder lists the mount points below dir.
func mountsUnder(dir string) []string {
	b, _ := os.ReadFile("/proc/self/mountinfo")
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && (f[4] == dir || strings.HasPrefix(f[4], dir+"/")) {
			out = append(out, f[4])
		}
	}
	return out
}

// processesMentioning lists the host's processes whose command line
// contains s (a private daemon's directory).
func processesMentioning(s string) []string {
	entries, _ := os.ReadDir("/proc")
	var out []string
	self := fmt.Sprint(os.Getpid())
	for _, e := range entries {
		if e.Name() == self || e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(b, []byte(s)) {
			out = append(out, e.Name()+": "+strings.ReplaceAll(string(bytes.TrimRight(b, "\x00")), "\x00", " "))
		}
	}
	return out
}

// checkLeftovers fails the test if a process still names dir or a mount
// is left below it, after waiting (within the hang guard) for the engine's
// own clean-up processes to end.
func checkLeftovers(t *testing.T, dir string) {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	for len(processesMentioning(dir)) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if ps := processesMentioning(dir); len(ps) > 0 {
		t.Errorf("processes left that use %s:\n%s", dir, strings.Join(ps, "\n"))
	}
	if ms := mountsUnder(dir); len(ms) > 0 {
		t.Errorf("mounts left under %s: %q", dir, ms)
		// Detach them, deepest first, so that removing dir cannot reach
		// into what they show.
		for i := len(ms) - 1; i >= 0; i-- {
			if err := unix.Unmount(ms[i], unix.MNT_DETACH); err != nil {
				t.Errorf("umount %s: %v", ms[i], err)
			}
		}
	}
}
