package engines

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// newPodman sets up a Podman private to the test: its own storage root,
// run root, temporary directory and configuration, runc as the runtime,
// cgroupfs, the vfs storage driver (no overlay mounts to leave behind), no
// network. Everything it made is removed when the test ends.
func newPodman(t *testing.T) *engine {
	t.Helper()
	requireRoot(t)
	bin := need(t, "podman", "podman")
	runc := need(t, "runc", "runc")
	dir := shortTempDir(t, "sxpod")
	// rlimits: Podman gives containers RLIMIT_NOFILE and RLIMIT_NPROC of
	// 1048576 unless told otherwise, and only a root with
	// CAP_SYS_RESOURCE may raise a hard limit: inside another container
	// (as here, and on many CI machines) runc fails with "error setting
	// rlimit type 7: operation not permitted". So the containers get this
	// process's own hard limits, which any root may set; RLIMIT_NPROC at
	// most 32768, because podman 4.3 lowers its own to that at start.
	var nofile, nproc unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_NOFILE, &nofile)
	unix.Getrlimit(unix.RLIMIT_NPROC, &nproc)
	nproc.Max = min(nproc.Max, 32768)
	conf := fmt.Sprintf(`[containers]
default_ulimits = ["nofile=%[1]d:%[1]d", "nproc=%[2]d:%[2]d"]
[engine]
events_logger = "file"
events_logfile_path = "%[3]s/events.log"
`, nofile.Max, nproc.Max, dir)
	storage := fmt.Sprintf("[storage]\ndriver = \"vfs\"\nrunroot = \"%[1]s/run\"\ngraphroot = \"%[1]s/root\"\n", dir)
	for name, text := range map[string]string{"containers.conf": conf, "storage.conf": storage} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e := &engine{
		name: "podman",
		argv: []string{bin, "--root", dir + "/root", "--runroot", dir + "/run", "--tmpdir", dir + "/tmp",
			"--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--runtime", runc,
			"--network-config-dir", dir + "/net"},
		env: []string{"CONTAINERS_CONF=" + dir + "/containers.conf", "CONTAINERS_STORAGE_CONF=" + dir + "/storage.conf"},
	}
	t.Cleanup(func() {
		for _, args := range [][]string{{"pod", "rm", "-af", "-t", "0"}, {"rm", "-af", "-t", "0"}, {"rmi", "-af"}} {
			if r := e.run(t, args...); r.code != 0 {
				t.Errorf("podman %q: %v", args, r)
			}
		}
		checkLeftovers(t, dir)
	})
	return e
}

// podmanStockInit is what Debian's podman runs for --init.
const podmanStockInit = "/usr/libexec/podman/catatonit"

// TestPodman runs sexton in Podman with runc: as the ENTRYPOINT, as
// `podman run --init --init-path`, and as a pod's infra (pause) container.
func TestPodman(t *testing.T) {
	t.Parallel()
	e := newPodman(t)
	im := e.buildImages(t)

	t.Run("orphans-reaped-as-entrypoint", func(t *testing.T) { t.Parallel(); testOrphans(t, e, im) })
	t.Run("stop", func(t *testing.T) { t.Parallel(); testStop(t, e, im) })
	t.Run("flush", func(t *testing.T) {
		t.Parallel()
		// The stock init of podman run --init is catatonit.
		testFlush(t, e, im, e, im, []string{"--init"}, podmanStockInit)
	})
	t.Run("init-path", func(t *testing.T) {
		t.Parallel()
		testInitFlush(t, e, im, []string{"--init", "--init-path", sextonBinary(t)}, "/run/podman-init",
			[]string{"/run/podman-init", "doctor"})
	})
	t.Run("ctrl-c", func(t *testing.T) { t.Parallel(); testCtrlC(t, e, im) })
	t.Run("pod", func(t *testing.T) {
		t.Parallel()
		testSharedPID(t, e, im, func(t *testing.T, pauseImage string) (int, []string) {
			pod := uniqueName("pod")
			t.Cleanup(func() {
				if r := e.run(t, "pod", "rm", "-f", "-t", "0", pod); r.code != 0 {
					t.Errorf("podman pod rm %s: %v", pod, r)
				}
			})
			// The infra container runs the image's ENTRYPOINT and CMD:
			// sexton --pause for the image of `make image`.
			e.must(t, "pod", "create", "--name", pod, "--network", "none", "--share", "pid,ipc,uts", "--infra-image", pauseImage)
			e.must(t, "pod", "start", pod)
			infra := e.must(t, "pod", "inspect", "-f", "{{.InfraContainerID}}", pod)
			pid := (&container{e: e, name: infra}).pid(t)
			return pid, []string{"--pod", pod}
		})
	})
}
