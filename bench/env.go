package main

import (
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

//go:embed helpers/benchhelper.c
var helperSource []byte

// Init is one contender for PID 1.
type Init struct {
	Name    string
	Path    string   // the binary ("" for no init)
	Argv    []string // what goes before the workload's argv
	Pkg     string   // Debian package, for peers
	Syms    string   // a build of the same source that keeps its symbol table (Go contenders)
	NoRelay bool     // passes no signal on (go-floor): left out of the signal scenarios
}

// None reports whether this is the "no init" case: the workload is PID 1.
func (in *Init) None() bool { return in.Path == "" }

// Command returns the argv that runs workload under this init.
func (in *Init) Command(workload ...string) []string {
	return append(append([]string{}, in.Argv...), workload...)
}

// Env is what the setup found and built.
type Env struct {
	Root    string // the sexton module's root
	Bench   string // the bench module's root (Root/bench)
	Work    string // scratch dir (bench/out)
	Helper  string // the compiled C helper
	Inits   []*Init
	Sexton  *Init // nil when it could not be built
	GoFloor *Init // nil when it could not be built
	GoFwd   *Init // signal scenarios only; nil when it could not be built
	Tini    *Init // nil when missing
	Missing []string
	Notes   []string
	Machine Machine
}

// Machine describes where the numbers come from.
type Machine struct {
	CPU, Kernel, OS, Go, Memory string
	CPUs                        int
	LoadStart, LoadEnd          string
	Versions                    map[string]string
	Commit                      string
	Date                        string
}

func (e *Env) logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", a...)
}

// LogPath is where the stderr of a run goes.
func (e *Env) LogPath(scenario string, in *Init) string {
	return filepath.Join(e.Work, "logs", scenario+"-"+strings.ReplaceAll(in.Name, " ", "_")+".log")
}

var peers = []struct{ name, path, pkg string }{
	{"tini", "/usr/bin/tini", "tini"},
	{"tini-static", "/usr/bin/tini-static", "tini"},
	{"dumb-init", "/usr/bin/dumb-init", "dumb-init"},
	{"catatonit", "/usr/bin/catatonit", "catatonit"},
}

// setup checks the prerequisites, installs missing peers when allowed,
// compiles the helper and builds sexton.
func setup(work string, install bool) (*Env, error) {
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("must run as root (PID namespaces, mounts, cgroups)")
	}
	if _, err := os.Stat(filepath.Join(pidsRoot, "cgroup.procs")); err != nil {
		return nil, fmt.Errorf("cgroup v1 pids controller not mounted at %s: %v", pidsRoot, err)
	}
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	benchDir := filepath.Dir(strings.TrimSpace(string(gomod)))
	if err != nil || filepath.Base(benchDir) != "bench" || !isSextonRoot(filepath.Dir(benchDir)) {
		return nil, fmt.Errorf("run from the bench module, the bench directory of the sexton repository (go env GOMOD: %q %v)", strings.TrimSpace(string(gomod)), err)
	}
	e := &Env{Root: filepath.Dir(benchDir), Bench: benchDir}
	if !filepath.IsAbs(work) {
		work = filepath.Join(benchDir, work)
	}
	e.Work = work
	for _, d := range []string{"bin", "logs"} {
		if err := os.MkdirAll(filepath.Join(work, d), 0o755); err != nil {
			return nil, err
		}
	}
	old, _ := filepath.Glob(filepath.Join(work, "logs", "*.log"))
	for _, f := range old {
		os.Remove(f)
	}

	// The C helper.
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		return nil, fmt.Errorf("gcc not found: apt-get install gcc libc6-dev")
	}
	src := filepath.Join(work, "benchhelper.c")
	if err := os.WriteFile(src, helperSource, 0o644); err != nil {
		return nil, err
	}
	e.Helper = filepath.Join(work, "bin", "benchhelper")
	if out, err := exec.Command(gcc, "-O2", "-Wall", "-static", "-o", e.Helper, src).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("compiling the helper: %v\n%s", err, out)
	}

	// The peers.
	var missingPkgs []string
	for _, p := range peers {
		if _, err := os.Stat(p.path); err != nil && !contains(missingPkgs, p.pkg) {
			missingPkgs = append(missingPkgs, p.pkg)
		}
	}
	if len(missingPkgs) > 0 {
		if install {
			e.logf("installing %v with apt-get", missingPkgs)
			args := append([]string{"install", "-y", "--no-install-recommends"}, missingPkgs...)
			cmd := exec.Command("apt-get", args...)
			cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
			if out, err := cmd.CombinedOutput(); err != nil {
				e.logf("apt-get install failed: %v\n%s", err, lastLines(string(out), 5))
			}
		} else {
			e.logf("missing packages %v (run without -install=false, or apt-get install them)", missingPkgs)
		}
	}

	// sexton, built the way it ships, and the Go floor contenders built the
	// same way.
	e.Sexton = e.buildGo("sexton", e.Root, "./cmd/sexton", "--")
	e.GoFloor = e.buildGo("go-floor", e.Bench, "./contenders/gofloor")
	e.GoFwd = e.buildGo("go-fwd", e.Bench, "./contenders/gofwd")
	if e.GoFloor != nil {
		e.GoFloor.NoRelay = true
	}
	for _, in := range []*Init{e.Sexton, e.GoFloor} {
		if in != nil {
			e.Inits = append(e.Inits, in)
		}
	}
	for _, p := range peers {
		if _, err := os.Stat(p.path); err != nil {
			e.Missing = append(e.Missing, fmt.Sprintf("%s (%s; package %s)", p.name, p.path, p.pkg))
			continue
		}
		in := &Init{Name: p.name, Path: p.path, Argv: []string{p.path, "--"}, Pkg: p.pkg}
		e.Inits = append(e.Inits, in)
		if p.name == "tini" {
			e.Tini = in
		}
	}
	e.Inits = append(e.Inits, &Init{Name: "no init"})
	for _, m := range e.Missing {
		e.logf("MISSING: %s", m)
	}
	e.Machine = describeMachine(e.Root)
	return e, nil
}

// isSextonRoot reports whether dir holds the go.mod of the sexton module.
func isSextonRoot(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	return err == nil && strings.HasPrefix(string(b), "module github.com/sexton-init/sexton\n")
}

// buildGo builds the Go program pkg of the module in dir the way sexton
// ships (static, -trimpath, stripped) into work/bin/name, plus a copy that
// keeps its symbol table for `go tool nm`. argv is what goes between the
// binary and the workload. A failed build is recorded as missing (nil).
func (e *Env) buildGo(name, dir, pkg string, argv ...string) *Init {
	bin := filepath.Join(e.Work, "bin", name)
	for _, b := range []struct{ out, ldflags string }{{bin, "-s -w"}, {bin + ".syms", "-w"}} {
		build := exec.Command("go", "build", "-trimpath", "-ldflags="+b.ldflags, "-o", b.out, pkg)
		build.Dir = dir
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			e.Missing = append(e.Missing, fmt.Sprintf("%s (go build %s failed: %s)", name, pkg, lastLines(string(out), 3)))
			return nil
		}
	}
	return &Init{Name: name, Path: bin, Argv: append([]string{bin}, argv...), Syms: bin + ".syms"}
}

func describeMachine(root string) Machine {
	m := Machine{CPUs: runtime.NumCPU(), Go: runtime.Version(), Versions: map[string]string{}, Date: time.Now().UTC().Format("2006-01-02 15:04 MST")}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				m.CPU = strings.TrimSpace(l[strings.IndexByte(l, ':')+1:])
				break
			}
		}
	}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		m.Kernel = unix.ByteSliceToString(u.Sysname[:]) + " " + unix.ByteSliceToString(u.Release[:]) + " " + unix.ByteSliceToString(u.Machine[:])
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
				m.OS = strings.Trim(v, `"`)
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			m.Memory = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
		}
	}
	m.LoadStart = loadavg()
	for _, pkg := range []string{"tini", "dumb-init", "catatonit"} {
		if out, err := exec.Command("dpkg-query", "-W", "-f", "${Version}", pkg).Output(); err == nil {
			m.Versions[pkg] = string(out)
		}
	}
	git := exec.Command("git", "log", "-1", "--format=%h %s", "--", "cmd", "supervise", "reap", "signals", "procfs", "cli", "sigcatch", "logq", "leftover", "doctor")
	git.Dir = root
	if out, err := git.Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
	}
	dirty := exec.Command("git", "status", "--porcelain", "--", "cmd", "supervise", "reap", "signals", "procfs", "cli", "sigcatch", "logq", "leftover", "doctor")
	dirty.Dir = root
	if out, err := dirty.Output(); err == nil && len(strings.TrimSpace(string(out))) > 0 {
		m.Commit += " plus uncommitted changes in the working tree"
	}
	return m
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// keepOnly drops every contender not named (for a partial run; the report
// then compares only those).
func (e *Env) keepOnly(names []string) error {
	known := append(initNames(e), "go-fwd")
	for _, n := range names {
		if !contains(known, n) {
			return fmt.Errorf("unknown contender %q (known: %s)", n, strings.Join(known, ","))
		}
	}
	var kept []*Init
	for _, in := range e.Inits {
		if contains(names, in.Name) {
			kept = append(kept, in)
		}
	}
	e.Inits = kept
	if !contains(names, "go-fwd") {
		e.GoFwd = nil
	}
	if !contains(names, "sexton") {
		e.Sexton = nil
	}
	if !contains(names, "go-floor") {
		e.GoFloor = nil
	}
	if !contains(names, "tini") {
		e.Tini = nil
	}
	return nil
}
