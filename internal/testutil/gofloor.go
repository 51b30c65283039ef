package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
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
	return runtimePkgs[SymbolPackage(symbol)]
}

// SymbolPackage returns the import path of a Go function symbol.
func SymbolPackage(symbol string) string {
	slash := strings.LastIndex(symbol, "/")
	dot := strings.Index(symbol[slash+1:], ".")
	if dot < 0 {
		return symbol
	}
	return symbol[:slash+1+dot]
}
