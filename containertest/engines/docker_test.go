package engines

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sexton-init/sexton/doctor"
)

// dockerStockInit is what Debian's docker.io runs for --init: tini-static.
const dockerStockInit = "/usr/bin/docker-init"

// dockerd is a Docker daemon private to a test.
type dockerd struct {
	*engine
	dir string
}

// log is what the daemon has logged so far.
func (d *dockerd) log() string { return readFile(filepath.Join(d.dir, "dockerd.log")) }

// startDockerd starts a dockerd of its own: its own data root, exec root,
// socket, pid file and configuration file (so nothing of /etc/docker is
// read or written), no iptables, no bridge, the vfs storage driver, and
// initPath as its --init-path when not empty. It starts its own containerd
// below the exec root. The daemon is stopped, and its directory checked for
// leftovers and removed, when the test ends.
func startDockerd(t *testing.T, initPath string) *dockerd {
	t.Helper()
	requireRoot(t)
	bin := need(t, "dockerd", "docker.io")
	// docker.io's client; PATH may hold another one first.
	cli := "/usr/bin/docker"
	if _, err := os.Stat(cli); err != nil {
		cli = need(t, "docker", "docker.io")
	}
	dir := shortTempDir(t, "sxdk")
	conf := fmt.Sprintf(`{"deprecated-key-path": %q}`, dir+"/key.json")
	if err := os.WriteFile(filepath.Join(dir, "daemon.json"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	sock := "unix://" + dir + "/docker.sock"
	args := []string{"--config-file", dir + "/daemon.json", "--data-root", dir + "/data", "--exec-root", dir + "/exec",
		"--pidfile", dir + "/docker.pid", "-H", sock, "--iptables=false", "--ip-masq=false", "--bridge=none",
		"--storage-driver", "vfs"}
	if initPath != "" {
		args = append(args, "--init-path", initPath)
	}
	logFile, err := os.Create(filepath.Join(dir, "dockerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("dockerd: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	d := &dockerd{
		engine: &engine{name: "docker", argv: []string{cli}, env: []string{"DOCKER_HOST=" + sock, "DOCKER_CONFIG=" + dir + "/cli"}},
		dir:    dir,
	}
	t.Cleanup(func() {
		if ids := strings.Fields(d.run(t, "ps", "-aq").stdout); len(ids) > 0 {
			if r := d.run(t, append([]string{"rm", "-f"}, ids...)...); r.code != 0 {
				t.Errorf("docker rm -f: %v", r)
			}
		}
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(hangGuard):
			t.Errorf("dockerd still running %v after SIGTERM; killing it\n%s", hangGuard, d.log())
			cmd.Process.Kill()
			<-done
		}
		checkLeftovers(t, dir)
	})
	deadline := time.Now().Add(hangGuard)
	for d.run(t, "version").code != 0 {
		select {
		case <-done:
			t.Fatalf("dockerd exited before it answered:\n%s", d.log())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("dockerd did not answer within %v:\n%s", hangGuard, d.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
	return d
}

// TestDocker runs sexton in Docker: as the ENTRYPOINT, as dockerd's
// --init-path (installed under the name docker-init), and as the first
// container of a shared PID namespace; a second daemon with Docker's stock
// init (tini) is the control for the flush case and shows the doctor's
// verdict on tini.
func TestDocker(t *testing.T) {
	t.Parallel()
	initDir := t.TempDir()
	initPath := filepath.Join(initDir, "docker-init")
	if err := os.Symlink(sextonBinary(t), initPath); err != nil {
		t.Fatal(err)
	}
	d := startDockerd(t, initPath)
	stock := startDockerd(t, "")
	im := d.buildImages(t)
	stockIm := images{app: "localhost/sexton-e2e-app:stock", sleep: "localhost/sexton-e2e-sleep:stock"}
	stock.must(t, "build", "-q", "-t", stockIm.app, imageContext(t, true, appDockerfile))
	stock.must(t, "build", "-q", "-t", stockIm.sleep, imageContext(t, false, sleepDockerfile))

	t.Run("orphans-reaped-as-entrypoint", func(t *testing.T) { t.Parallel(); testOrphans(t, d.engine, im) })
	t.Run("stop", func(t *testing.T) { t.Parallel(); testStop(t, d.engine, im) })
	t.Run("flush", func(t *testing.T) {
		t.Parallel()
		testFlush(t, d.engine, im, stock.engine, stockIm, []string{"--init"}, dockerStockInit)
	})
	t.Run("init-path", func(t *testing.T) {
		t.Parallel()
		testInitFlush(t, d.engine, im, []string{"--init"}, "/sbin/docker-init", []string{"/sbin/docker-init", "--doctor"})
	})
	// Control for --doctor: under the name docker-init sexton takes tini's
	// command line, where a first word "doctor" is the program to run.
	t.Run("control-init-path-doctor-word", func(t *testing.T) {
		t.Parallel()
		c := d.start(t, newDataDir(t), "--init", "--entrypoint", "/bin/sh", im.sleep, "/srv/service.sh")
		c.waitData(t, "ready")
		if r := d.run(t, "exec", c.name, "/sbin/docker-init", "doctor"); r.code != 127 || !strings.Contains(r.stderr, `exec doctor failed: No such file or directory`) {
			t.Errorf("docker exec C /sbin/docker-init doctor: %v, want tini's 127", r)
		}
	})
	t.Run("ctrl-c", func(t *testing.T) { t.Parallel(); testCtrlC(t, d.engine, im) })
	t.Run("shared-pid-namespace", func(t *testing.T) {
		t.Parallel()
		testSharedPID(t, d.engine, im, func(t *testing.T, image string) (int, []string) {
			pause := d.start(t, newDataDir(t), image)
			return pause.pid(t), []string{"--pid", "container:" + pause.name}
		})
	})
	t.Run("doctor-on-stock-tini", func(t *testing.T) { t.Parallel(); testDoctorOnTini(t, stock.engine, stockIm) })
	t.Run("info", func(t *testing.T) {
		t.Parallel()
		testInfo(t, d, initPath, "")
		// Control: the same binary under its own name prints "sexton
		// VERSION", which dockerd cannot parse.
		testInfo(t, startDockerd(t, sextonBinary(t)), sextonBinary(t), "failed to parse "+sextonBinary(t)+" version")
	})
}

// testDoctorOnTini: with tini as PID 1 (docker run --init), SIGTERM shows
// as neither caught nor blocked while tini waits for it in sigtimedwait. The
// doctor must call it handled, and docker stop proves it: the service
// ends at once with 143.
func testDoctorOnTini(t *testing.T, e *engine, im images) {
	c := e.start(t, newDataDir(t), "--init", "--entrypoint", "/bin/sh", im.app, "/srv/service.sh")
	c.waitData(t, "ready")
	code, r := c.doctor(t, "/sbin/sexton", "doctor")
	p := r.PID1
	if got := p.Signals["SIGTERM"]; got != doctor.Waited && got != doctor.Blocked {
		t.Errorf("SIGTERM of tini: %q (wait %q), want waited or blocked", got, p.SignalWait)
	}
	for _, f := range r.Findings {
		if f.Code == "pid1-signals" {
			t.Errorf("warning about tini's signals: %s", f.Message)
		}
	}
	if code != 0 || p.Init != "docker-init" || p.IdentifiedBy != doctor.ByName {
		t.Errorf("exit %d, PID 1 %+v", code, p)
	}
	if got := c.stop(t, 600); got != 128+15 {
		t.Errorf("docker stop with tini as PID 1: exit code %d, want 143", got)
	}
}

// testInfo: `docker info` names the init binary and dockerd parses its
// version, or, when wantLog is not empty, logs that it could not.
func testInfo(t *testing.T, d *dockerd, initPath, wantLog string) {
	t.Helper()
	out := d.must(t, "info")
	if !strings.Contains(out, "Init Binary: "+initPath) {
		t.Errorf("docker info does not name %s:\n%s", initPath, out)
	}
	logged := strings.Contains(d.log(), "failed to parse")
	switch {
	case wantLog == "" && logged:
		t.Errorf("dockerd could not parse the version of %s:\n%s", initPath, d.log())
	case wantLog != "" && !strings.Contains(d.log(), wantLog):
		t.Errorf("dockerd did not log %q; the control assumption is wrong:\n%s", wantLog, d.log())
	}
}
