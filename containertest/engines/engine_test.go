package engines

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sexton-init/sexton/doctor"
)

// engine is a container engine's command line (podman or docker, with the
// global flags that make it private to the test) and its environment. The
// two take the same commands for everything these tests do.
type engine struct {
	name string
	argv []string
	env  []string
}

// cmd is the engine's command line for args.
func (e *engine) cmd(args ...string) []string {
	return append(append([]string{}, e.argv...), args...)
}

func (e *engine) run(t testing.TB, args ...string) result {
	t.Helper()
	return run(t, e.env, e.cmd(args...)...)
}

func (e *engine) must(t testing.TB, args ...string) string {
	t.Helper()
	return strings.TrimSpace(must(t, e.env, e.cmd(args...)...))
}

var nameSeq atomic.Int64

// uniqueName names a container or pod after the test, unique in the run.
func uniqueName(kind string) string {
	return fmt.Sprintf("sexton-e2e-%s-%d-%d", kind, os.Getpid(), nameSeq.Add(1))
}

// container is a container started with `run -d`.
type container struct {
	e    *engine
	name string
	data dataDir
}

// start starts a container in the background with data at /data, no
// network, and the given run options, image and command; it is removed
// when the test ends.
func (e *engine) start(t *testing.T, data dataDir, args ...string) *container {
	t.Helper()
	c := &container{e: e, name: uniqueName("c"), data: data}
	t.Cleanup(func() {
		// Gone already is no error (docker: "No such container", podman:
		// "no container with name or ID").
		if r := e.run(t, "rm", "-f", c.name); r.code != 0 && !strings.Contains(strings.ToLower(r.stderr), "no such container") &&
			!strings.Contains(strings.ToLower(r.stderr), "no container with name") {
			t.Errorf("%s rm -f %s: %v", e.name, c.name, r)
		}
	})
	opts := []string{"run", "-d", "--name", c.name, "-v", string(data) + ":/data"}
	if !slices.Contains(args, "--pod") { // a pod's containers share its network
		opts = append(opts, "--network", "none")
	}
	e.must(t, append(opts, args...)...)
	return c
}

// inspect returns a field of the container's state, e.g. Pid or ExitCode.
func (c *container) inspect(t *testing.T, field string) string {
	t.Helper()
	return c.e.must(t, "inspect", "-f", "{{.State."+field+"}}", c.name)
}

// pid is the host pid of the container's PID 1.
func (c *container) pid(t *testing.T) int {
	t.Helper()
	pid, err := strconv.Atoi(c.inspect(t, "Pid"))
	if err != nil || pid <= 0 {
		t.Fatalf("%s: no pid (%v)\n%s", c.name, err, c.logs(t))
	}
	return pid
}

// running reports whether the container still runs.
func (c *container) running(t *testing.T) bool {
	t.Helper()
	return c.inspect(t, "Running") == "true"
}

func (c *container) logs(t *testing.T) string {
	t.Helper()
	r := c.e.run(t, "logs", c.name)
	return "logs of " + c.name + ":\n" + r.stdout + r.stderr
}

// waitData waits until the service wrote /data/name.
func (c *container) waitData(t *testing.T, name string) {
	t.Helper()
	c.data.wait(t, name, func() bool { return !c.running(t) }, func() string { return c.logs(t) })
}

// stop runs the engine's stop with a timeout in seconds and returns the
// container's exit code afterwards.
func (c *container) stop(t *testing.T, timeout int) int {
	t.Helper()
	c.e.must(t, "stop", "-t", strconv.Itoa(timeout), c.name)
	code, err := strconv.Atoi(c.inspect(t, "ExitCode"))
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// doctor runs `exec CONTAINER argv... --json` and decodes the report.
func (c *container) doctor(t *testing.T, argv ...string) (int, *doctor.Report) {
	t.Helper()
	r := c.e.run(t, append(append([]string{"exec", c.name}, argv...), "--json")...)
	var rep doctor.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("exec %s %q: %v\n%v", c.name, argv, err, r)
	}
	return r.code, &rep
}

// images are the images the scenarios use.
type images struct {
	app   string // busybox, the scripts and /sbin/sexton; ENTRYPOINT ["/sbin/sexton", "--"]
	pause string // the image `make image` builds: /sbin/sexton alone, ENTRYPOINT ["/sbin/sexton"], CMD ["--pause"]
	sleep string // busybox and the scripts; ENTRYPOINT ["/bin/sleep", "100000"]: a pause that never reaps
}

// Dockerfiles of the test images, built from a folder (imageContext).
const (
	appDockerfile = "FROM scratch\nCOPY rootfs/ /\nENTRYPOINT [\"/sbin/sexton\", \"--\"]\n"
	// sleepDockerfile is a pod's pause that never reaps.
	sleepDockerfile = "FROM scratch\nCOPY rootfs/ /\nENTRYPOINT [\"/bin/sleep\", \"100000\"]\n"
)

// buildImages builds the images with the engine: app and sleep from local
// folders, pause with `make image` and the engine, from a binary built on
// the host. Nothing is pulled.
func (e *engine) buildImages(t *testing.T) images {
	t.Helper()
	tag := fmt.Sprintf("%d", os.Getpid())
	im := images{
		app:   "localhost/sexton-e2e-app:" + tag,
		pause: "localhost/sexton-e2e-pause:" + tag,
		sleep: "localhost/sexton-e2e-sleep:" + tag,
	}
	e.must(t, "build", "-q", "-t", im.app, imageContext(t, true, appDockerfile))
	e.must(t, "build", "-q", "-t", im.sleep, imageContext(t, false, sleepDockerfile))
	r := run(t, e.env, "make", "-C", repoRoot(t), "image", "DIST="+t.TempDir(), "IMAGE="+im.pause,
		"VERSION="+testVersion, "ENGINE="+strings.Join(e.argv, " "))
	if r.code != 0 {
		t.Fatalf("make image: %v", r)
	}
	return im
}
