package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// The Go floor: what the Go runtime itself needs before any of a program's
// own code runs, for tests that must tell sexton's failures from the
// runtime's.

var (
	floorOnce sync.Once
	floorPath string
	floorErr  error

	runtimeOnce sync.Once
	runtimePkgs map[string]bool
	runtimeErr  error
)

// MinimalGo builds, once per test process, `package main; func main() {}`
// as a static executable (as sexton is built) and returns its path.
func MinimalGo(t testing.TB) string {
	t.Helper()
	floorOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sexton-gofloor-")
		if err != nil {
			floorErr = err
			return
		}
		builtDirs = append(builtDirs, dir)
		src := map[string]string{"go.mod": "module gofloor\n", "main.go": "package main\n\nfunc main() {}\n"}
		for name, text := range src {
			if floorErr = os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); floorErr != nil {
				return
			}
		}
		floorPath = filepath.Join(dir, "gofloor")
		cmd := exec.Command("go", "build", "-trimpath", "-o", floorPath, ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=")
		if out, err := cmd.CombinedOutput(); err != nil {
			floorErr = &buildError{err: err, out: string(out)}
		}
	})
	if floorErr != nil {
		t.Fatalf("building the minimal Go program: %v", floorErr)
	}
	return floorPath
}

// FloorCPUs is how many CPUs the Go floor values of the tests (the tasks
// the runtime needs to start) were measured on: the runtime starts more
// threads before main when it has more CPUs, so the tests pin what they
// run to at most this many (PinCPUs). With one CPU the floor is lower.
const FloorCPUs = 2

// PinCPUs returns an argv prefix that runs a command on the first
// FloorCPUs of the CPUs this test may use (taskset executes the command,
// so it keeps taskset's PID: PID 1 stays PID 1).
func PinCPUs(t testing.TB) []string {
	t.Helper()
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		t.Fatalf("sched_getaffinity: %v", err)
	}
	var cpus []string
	for c := 0; c < len(set)*64 && len(cpus) < FloorCPUs; c++ {
		if set.IsSet(c) {
			cpus = append(cpus, strconv.Itoa(c))
		}
	}
	return []string{"taskset", "-c", strings.Join(cpus, ",")}
}

// RuntimePackage reports whether a function symbol (as in the symbol table
// of a Go executable: "runtime.main", "internal/cpu.doinit",
// "github.com/x/y.(*T).M") belongs to the runtime or to a package the
// runtime imports: the code that runs before any package init.
func RuntimePackage(t testing.TB, symbol string) bool {
	t.Helper()
	runtimeOnce.Do(func() {
		out, err := exec.Command("go", "list", "-deps", "runtime").Output()
		if err != nil {
			runtimeErr = err
			return
		}
		runtimePkgs = map[string]bool{}
		for _, p := range strings.Fields(string(out)) {
			runtimePkgs[p] = true
		}
	})
	if runtimeErr != nil {
		t.Fatalf("go list -deps runtime: %v", runtimeErr)
	}
	return runtimePkgs[symbolPackage(symbol)]
}

// symbolPackage returns the import path of a Go function symbol.
func symbolPackage(symbol string) string {
	slash := strings.LastIndex(symbol, "/")
	dot := strings.Index(symbol[slash+1:], ".")
	if dot < 0 {
		return symbol
	}
	return symbol[:slash+1+dot]
}
