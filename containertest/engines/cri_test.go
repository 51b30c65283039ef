package engines

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	cri "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/sexton-init/sexton/doctor"
)

// criNode is a containerd private to the test, driven through its CRI API
// the way the kubelet drives it.
type criNode struct {
	dir, sock, ctr string
	rt             cri.RuntimeServiceClient
	img            cri.ImageServiceClient
}

// containerdConfig is the node's containerd configuration: its own root,
// state and sockets; the CRI plugin with sandboxImage as the pods' sandbox
// ("pause") image; runc with its own state root, cgroupfs; the native
// snapshotter (no overlay mounts); no CNI (the pods use the node's
// network); the stream server on a free loopback port; and the
// oom_score_adj of the containers no lower than containerd's own, which a
// root without CAP_SYS_RESOURCE cannot lower.
const containerdConfig = `version = 2
root = "%[1]s/root"
state = "%[1]s/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.internal.v1.opt", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "%[1]s/containerd.sock"
[ttrpc]
  address = "%[1]s/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "%[2]s"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  restrict_oom_score_adj = true
  disable_apparmor = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "native"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "%[3]s"
        Root = "%[1]s/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "%[1]s/cni/bin"
    conf_dir = "%[1]s/cni/conf"
`

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), hangGuard)
	t.Cleanup(cancel)
	return c
}

// startContainerd starts the node's containerd and connects to its CRI;
// the pods are stopped and removed, containerd stopped, and its directory
// checked for leftovers, when the test ends.
func startContainerd(t *testing.T, sandboxImage string) *criNode {
	t.Helper()
	requireRoot(t)
	bin := need(t, "containerd", "containerd")
	n := &criNode{ctr: need(t, "ctr", "containerd")}
	n.dir = shortTempDir(t, "sxcri")
	n.sock = n.dir + "/containerd.sock"
	conf := fmt.Sprintf(containerdConfig, n.dir, sandboxImage, need(t, "runc", "runc"))
	if err := os.WriteFile(filepath.Join(n.dir, "config.toml"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(filepath.Join(n.dir, "containerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "--config", filepath.Join(n.dir, "config.toml"))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("containerd: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	conn, err := grpc.NewClient("unix://"+n.sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	n.rt, n.img = cri.NewRuntimeServiceClient(conn), cri.NewImageServiceClient(conn)
	t.Cleanup(func() {
		if pods, err := n.rt.ListPodSandbox(ctx(t), &cri.ListPodSandboxRequest{}); err == nil {
			for _, p := range pods.Items {
				n.removePod(t, p.Id)
			}
		} else {
			t.Errorf("ListPodSandbox: %v", err)
		}
		conn.Close()
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(hangGuard):
			t.Errorf("containerd still running %v after SIGTERM; killing it", hangGuard)
			cmd.Process.Kill()
			<-done
		}
		checkLeftovers(t, n.dir)
	})
	deadline := time.Now().Add(hangGuard)
	for {
		v, err := n.rt.Version(ctx(t), &cri.VersionRequest{})
		if err == nil {
			t.Logf("containerd: %s %s, CRI %s", v.RuntimeName, v.RuntimeVersion, v.RuntimeApiVersion)
			break
		}
		select {
		case <-done:
			t.Fatalf("containerd exited:\n%s", n.log())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("containerd's CRI did not answer within %v: %v\n%s", hangGuard, err, n.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
	return n
}

func (n *criNode) log() string { return readFile(filepath.Join(n.dir, "containerd.log")) }

// importImage imports an OCI archive into the namespace the CRI uses and
// waits until the CRI lists the image.
func (n *criNode) importImage(t *testing.T, archive, name string) {
	t.Helper()
	must(t, nil, n.ctr, "--address", n.sock, "-n", "k8s.io", "images", "import", "--snapshotter", "native", archive)
	deadline := time.Now().Add(hangGuard)
	for {
		st, err := n.img.ImageStatus(ctx(t), &cri.ImageStatusRequest{Image: &cri.ImageSpec{Image: name}})
		if err == nil && st.Image != nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the CRI does not list %s after the import: %v", name, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pod is a pod sandbox and its configuration.
type pod struct {
	id  string
	cfg *cri.PodSandboxConfig
}

// sharedPID is what a pod with shareProcessNamespace: true asks for: one
// PID namespace for the pod (the sandbox's), the node's network.
var sharedPID = &cri.NamespaceOption{Network: cri.NamespaceMode_NODE, Pid: cri.NamespaceMode_POD, Ipc: cri.NamespaceMode_POD}

// runPod starts a pod sandbox with a shared PID namespace.
func (n *criNode) runPod(t *testing.T) *pod {
	t.Helper()
	name := uniqueName("pod")
	cfg := &cri.PodSandboxConfig{
		Metadata:     &cri.PodSandboxMetadata{Name: name, Namespace: "default", Uid: name},
		LogDirectory: t.TempDir(),
		Linux:        &cri.LinuxPodSandboxConfig{SecurityContext: &cri.LinuxSandboxSecurityContext{NamespaceOptions: sharedPID}},
	}
	r, err := n.rt.RunPodSandbox(ctx(t), &cri.RunPodSandboxRequest{Config: cfg})
	if err != nil {
		t.Fatalf("RunPodSandbox: %v\n%s", err, n.log())
	}
	p := &pod{id: r.PodSandboxId, cfg: cfg}
	t.Cleanup(func() { n.removePod(t, p.id) })
	return p
}

// removePod stops and removes a pod sandbox and its containers; a pod
// already removed is no error.
func (n *criNode) removePod(t *testing.T, id string) {
	t.Helper()
	if _, err := n.rt.StopPodSandbox(ctx(t), &cri.StopPodSandboxRequest{PodSandboxId: id}); err != nil && !strings.Contains(err.Error(), "not found") {
		t.Errorf("StopPodSandbox %s: %v", id, err)
	}
	if _, err := n.rt.RemovePodSandbox(ctx(t), &cri.RemovePodSandboxRequest{PodSandboxId: id}); err != nil && !strings.Contains(err.Error(), "not found") {
		t.Errorf("RemovePodSandbox %s: %v", id, err)
	}
}

// infoPid reads the host pid from a verbose status's info.
func infoPid(t *testing.T, info map[string]string) int {
	t.Helper()
	var v struct {
		Pid int `json:"pid"`
	}
	if err := json.Unmarshal([]byte(info["info"]), &v); err != nil || v.Pid <= 0 {
		t.Fatalf("no pid in the verbose status (%v): %q", err, info["info"])
	}
	return v.Pid
}

// sandboxPid is the host pid of the pod's sandbox process, its PID 1.
func (n *criNode) sandboxPid(t *testing.T, p *pod) int {
	t.Helper()
	st, err := n.rt.PodSandboxStatus(ctx(t), &cri.PodSandboxStatusRequest{PodSandboxId: p.id, Verbose: true})
	if err != nil {
		t.Fatalf("PodSandboxStatus: %v", err)
	}
	return infoPid(t, st.Info)
}

// startContainer creates and starts a container in the pod, with data at
// /data; command replaces the image's ENTRYPOINT and args its CMD.
func (n *criNode) startContainer(t *testing.T, p *pod, image string, data dataDir, command, args []string) string {
	t.Helper()
	name := uniqueName("c")
	cfg := &cri.ContainerConfig{
		Metadata: &cri.ContainerMetadata{Name: name},
		Image:    &cri.ImageSpec{Image: image},
		Command:  command,
		Args:     args,
		Mounts:   []*cri.Mount{{ContainerPath: "/data", HostPath: string(data)}},
		LogPath:  name + ".log",
		Linux:    &cri.LinuxContainerConfig{SecurityContext: &cri.LinuxContainerSecurityContext{NamespaceOptions: sharedPID}},
	}
	r, err := n.rt.CreateContainer(ctx(t), &cri.CreateContainerRequest{PodSandboxId: p.id, Config: cfg, SandboxConfig: p.cfg})
	if err != nil {
		t.Fatalf("CreateContainer: %v\n%s", err, n.log())
	}
	if _, err := n.rt.StartContainer(ctx(t), &cri.StartContainerRequest{ContainerId: r.ContainerId}); err != nil {
		t.Fatalf("StartContainer: %v\n%s", err, n.log())
	}
	return r.ContainerId
}

// output is what a container wrote, from the log file the CRI keeps.
func (n *criNode) output(t *testing.T, id string) string {
	st, err := n.rt.ContainerStatus(ctx(t), &cri.ContainerStatusRequest{ContainerId: id})
	if err != nil {
		return err.Error()
	}
	return "log " + st.Status.LogPath + ":\n" + readFile(st.Status.LogPath)
}

// stopContainer stops a container as the kubelet does, with SIGTERM and,
// after timeout seconds, SIGKILL, and returns its exit code.
func (n *criNode) stopContainer(t *testing.T, id string, timeout int64) int32 {
	t.Helper()
	if _, err := n.rt.StopContainer(ctx(t), &cri.StopContainerRequest{ContainerId: id, Timeout: timeout}); err != nil {
		t.Fatalf("StopContainer: %v", err)
	}
	st, err := n.rt.ContainerStatus(ctx(t), &cri.ContainerStatusRequest{ContainerId: id})
	if err != nil {
		t.Fatalf("ContainerStatus: %v", err)
	}
	if st.Status.State != cri.ContainerState_CONTAINER_EXITED {
		t.Fatalf("container %s is %v after StopContainer", id, st.Status.State)
	}
	return st.Status.ExitCode
}

// The CRI test's images, imported as OCI archives built from folders.
const (
	criPause = "localhost/sexton-e2e-pause:cri" // /sbin/sexton alone; sexton --pause
	criApp   = "localhost/sexton-e2e-app:cri"   // busybox, the scripts, /sbin/sexton; ENTRYPOINT sexton --
	criSleep = "localhost/sexton-e2e-sleep:cri" // busybox; a pause that never reaps
)

// TestCRI plays the kubelet against containerd's CRI: pods with a shared
// PID namespace (shareProcessNamespace: true) whose sandbox image is
// sexton --pause, a container leaking orphans, and stops with a timeout.
func TestCRI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pauseRoot := filepath.Join(dir, "pause")
	os.MkdirAll(filepath.Join(pauseRoot, "sbin"), 0o755)
	copyFile(t, sextonBinary(t), filepath.Join(pauseRoot, "sbin", "sexton"), 0o755)
	appRoot := filepath.Join(imageContext(t, true, ""), "rootfs")
	archives := map[string]string{}
	for name, img := range map[string]struct {
		root             string
		entrypoint, args []string
	}{
		criPause: {pauseRoot, []string{"/sbin/sexton"}, []string{"--pause"}},
		criApp:   {appRoot, []string{"/sbin/sexton", "--"}, nil},
		criSleep: {appRoot, []string{"/bin/sleep", "100000"}, nil},
	} {
		archives[name] = filepath.Join(dir, strings.NewReplacer("/", "-", ":", "-").Replace(name)+".tar")
		writeOCIArchive(t, archives[name], img.root, name, img.entrypoint, img.args)
	}
	node := startContainerd(t, criPause)
	control := startContainerd(t, criSleep)
	node.importImage(t, archives[criPause], criPause)
	node.importImage(t, archives[criApp], criApp)
	control.importImage(t, archives[criSleep], criSleep)
	control.importImage(t, archives[criApp], criApp)

	leak := []string{"/bin/sh", "/srv/leak.sh", fmt.Sprint(leaked)}
	t.Run("pause-reaps-orphans", func(t *testing.T) {
		t.Parallel()
		p := node.runPod(t)
		pause := node.sandboxPid(t, p)
		data := newDataDir(t)
		id := node.startContainer(t, p, criApp, data, leak[:1], leak[1:])
		data.wait(t, "leaked", nil, func() string { return node.output(t, id) })
		waitLeakDone(t, pause)
		waitNoZombies(t, pause)
		// What docs/kubernetes.md says of the sandbox: its output goes
		// nowhere, so -w on it shows nothing.
		for _, fd := range []string{"1", "2"} {
			if out, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pause, fd)); out != "/dev/null" {
				t.Errorf("the sandbox's fd %s is %q, want /dev/null", fd, out)
			}
		}
		r, err := node.rt.ExecSync(ctx(t), &cri.ExecSyncRequest{ContainerId: id, Cmd: []string{"/sbin/sexton", "doctor", "--json"}, Timeout: 60})
		if err != nil {
			t.Fatalf("ExecSync sexton doctor: %v", err)
		}
		var rep doctor.Report
		if err := json.Unmarshal(r.Stdout, &rep); err != nil {
			t.Fatalf("doctor: %v\n%s%s", err, r.Stdout, r.Stderr)
		}
		if pp := rep.PID1; r.ExitCode != 0 || pp.Init != "sexton" || pp.Mode != "pause" || pp.IdentifiedBy != doctor.ByBinary {
			t.Errorf("doctor in the pod: exit %d, PID 1 %+v", r.ExitCode, pp)
		}
	})
	t.Run("control-sleep-sandbox", func(t *testing.T) {
		t.Parallel()
		p := control.runPod(t)
		pause := control.sandboxPid(t, p)
		data := newDataDir(t)
		id := control.startContainer(t, p, criApp, data, leak[:1], leak[1:])
		data.wait(t, "leaked", nil, func() string { return control.output(t, id) })
		ps := waitLeakDone(t, pause)
		if z := zombiesOf(ps, pause); z < leaked {
			t.Errorf("%d zombies of a sleep sandbox, want at least %d\n%s", z, leaked, describe(ps))
		}
	})
	// In a pod with a shared PID namespace the application's sexton is not
	// PID 1: with -s it is a subreaper, and StopContainer's SIGTERM gives its
	// background helper the time to flush. Without it, the helper is killed
	// with the container.
	for _, c := range []struct {
		name    string
		command []string
		flushed string
	}{
		{"stop-with-timeout", []string{"/sbin/sexton", "-s", "--grace", "60s", "--", "/bin/sh", "/srv/main.sh"}, "flushed\n"},
		{"control-stop-without-init", []string{"/bin/sh", "/srv/main.sh"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := node.runPod(t)
			data := newDataDir(t)
			id := node.startContainer(t, p, criApp, data, c.command, nil)
			data.wait(t, "ready", nil, func() string { return node.output(t, id) })
			if got := node.stopContainer(t, id, 600); got != 128+15 {
				t.Errorf("exit code %d after StopContainer, want 143\n%s", got, node.output(t, id))
			}
			if got := data.read("flushed"); got != c.flushed {
				t.Errorf("/data/flushed = %q, want %q\n%s", got, c.flushed, node.output(t, id))
			}
		})
	}
	// StopPodSandbox ends the sandbox with SIGKILL, not SIGTERM: what the
	// pause does on SIGTERM never matters on containerd.
	t.Run("sandbox-stop-is-sigkill", func(t *testing.T) {
		t.Parallel()
		p := node.runPod(t)
		exit := node.watchExit(t, p.id)
		if _, err := node.rt.StopPodSandbox(ctx(t), &cri.StopPodSandboxRequest{PodSandboxId: p.id}); err != nil {
			t.Fatalf("StopPodSandbox: %v", err)
		}
		if got := <-exit; got != 128+9 {
			t.Errorf("the sandbox's exit status %d, want 137 (SIGKILL)", got)
		}
	})
}

// watchExit follows containerd's events (ctr events) and sends the exit
// status of the task of container id when it exits. It returns once ctr is
// known to receive events: it has seen one that the test caused (creating
// a namespace).
func (n *criNode) watchExit(t *testing.T, id string) <-chan int {
	t.Helper()
	c, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(c, n.ctr, "--address", n.sock, "events")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	probe := uniqueName("probe")
	ctr := func(args ...string) { must(t, nil, append([]string{n.ctr, "--address", n.sock}, args...)...) }
	deadline := time.Now().Add(hangGuard)
	for !sawLine(lines, time.Second, func(l string) bool {
		return strings.Contains(l, "/namespaces/create") && strings.Contains(l, probe)
	}) {
		if time.Now().After(deadline) {
			t.Fatalf("ctr events saw no event within %v", hangGuard)
		}
		ctr("namespaces", "create", probe)
		ctr("namespaces", "remove", probe)
	}
	exit := make(chan int, 1)
	go func() {
		for line := range lines {
			// ... k8s.io /tasks/exit {"container_id":"...","exit_status":137,...}
			i := strings.Index(line, "/tasks/exit ")
			if i < 0 {
				continue
			}
			var ev struct {
				ContainerID string `json:"container_id"`
				ExitStatus  int    `json:"exit_status"`
			}
			if json.Unmarshal([]byte(line[i+len("/tasks/exit "):]), &ev) == nil && ev.ContainerID == id {
				exit <- ev.ExitStatus
				return
			}
		}
		exit <- -1
	}()
	return exit
}

// sawLine reads lines for at most d and reports whether one matched.
func sawLine(lines <-chan string, d time.Duration, match func(string) bool) bool {
	timeout := time.After(d)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				return false
			}
			if match(l) {
				return true
			}
		case <-timeout:
			return false
		}
	}
}
