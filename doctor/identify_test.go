package doctor

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/internal/testutil"
)

// The main package is read from the binary itself, whatever it is called.
func TestGoMainPackage(t *testing.T) {
	sexton := testutil.Sexton(t)
	renamed := filepath.Join(t.TempDir(), "docker-init")
	b, err := os.ReadFile(sexton)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(renamed, b, 0o755)
	for _, p := range []string{sexton, renamed} {
		if got, err := goMainPackage(p); err != nil || got != sextonMain {
			t.Errorf("goMainPackage(%s) = %q, %v; want %q", p, got, err, sextonMain)
		}
	}
	// The test binary is a Go binary too, with another main package.
	exe, _ := os.Executable()
	if got, err := goMainPackage(exe); err != nil || got == sextonMain || got == "" {
		t.Errorf("goMainPackage(test binary) = %q, %v", got, err)
	}
	// Not Go, not ELF, truncated: no build information, no panic.
	trunc := filepath.Join(t.TempDir(), "trunc")
	os.WriteFile(trunc, b[:4096], 0o755)
	for _, p := range []string{"/bin/sh", "/etc/passwd", trunc} {
		if got, err := goMainPackage(p); err == nil {
			t.Errorf("goMainPackage(%s) = %q, want an error", p, got)
		}
	}
	if _, err := goMainPackage(filepath.Join(t.TempDir(), "none")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestBuildInfoPath(t *testing.T) {
	header := append([]byte("\xff Go buildinf:"), 8, 2)
	header = append(header, make([]byte, 16)...)
	str := func(s string) []byte { return append(binary.AppendUvarint(nil, uint64(len(s))), s...) }
	sentinel := "0123456789abcdef"
	good := append(append(append([]byte{}, header...), str("go1.26")...),
		str(sentinel+"path\tgithub.com/x/cmd/y\nmod\tgithub.com/x\t(devel)\t\n"+sentinel)...)
	if got, err := buildInfoPath(good); err != nil || got != "github.com/x/cmd/y" {
		t.Errorf("buildInfoPath = %q, %v", got, err)
	}
	for name, sec := range map[string][]byte{
		"short":         good[:20],
		"not-inline":    append(append([]byte{}, good[:15]...), append([]byte{0}, good[16:]...)...),
		"bad-length":    append(append([]byte{}, header...), 0xff, 0xff, 0xff, 0x7f),
		"modinfo-cut":   good[:len(good)-30],
		"no-path":       append(append(append([]byte{}, header...), str("go1.26")...), str("mod\tx\n")...),
		"no-magic-here": append([]byte("ELF"), good...),
	} {
		if got, err := buildInfoPath(sec); err == nil {
			t.Errorf("%s: %q, want an error", name, got)
		}
	}
}

func TestSextonPauses(t *testing.T) {
	for _, c := range []struct {
		argv []string
		want bool
	}{
		{[]string{"sexton", "--pause"}, true},
		{[]string{"/sbin/sexton", "-v", "-w", "--pause"}, true},
		{[]string{"sexton", "-p", "SIGKILL", "--pause"}, true},
		{[]string{"sexton", "-sp", "SIGKILL", "--pause"}, true},
		{[]string{"sexton", "-pSIGKILL", "--pause"}, true},
		{[]string{"sexton", "--grace", "3s", "--pause"}, true},
		{[]string{"sexton", "--grace=3s", "--pause"}, true},
		{[]string{"sexton", "--", "app", "--pause"}, false},
		{[]string{"sexton", "app", "--pause"}, false},
		{[]string{"sexton", "-r", "TERM:QUIT", "--", "nginx"}, false},
		{[]string{"sexton"}, false},
		{nil, false},
	} {
		if got := sextonPauses(c.argv); got != c.want {
			t.Errorf("sextonPauses(%q) = %v, want %v", c.argv, got, c.want)
		}
	}
}

func TestReraisesSignals(t *testing.T) {
	for _, c := range []struct {
		comm, exe string
		want      bool
	}{
		{"node", "/usr/bin/node", true},
		{"npm", "/usr/local/bin/node", true}, // npm sets its process title
		{"node", "", true},
		{"node", "/usr/bin/python3", false}, // a program that calls itself node
		{"sh", "/bin/dash", false},
	} {
		if got := reraisesSignals(c.comm, c.exe); got != c.want {
			t.Errorf("reraisesSignals(%q, %q) = %v", c.comm, c.exe, got)
		}
	}
}

// sigWait reads the call from /proc/PID/syscall and the set from memory;
// without /proc/PID/syscall it falls back on /proc/PID/wchan.
func TestSigWait(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "1")
	os.MkdirAll(dir, 0o755)
	in := &Inspector{ProcRoot: root}
	var asked uint64
	in.mem = func(pid int, addr uint64, n int) ([]byte, error) {
		asked = addr
		return binary.NativeEndian.AppendUint64(nil, 1<<14|1<<1), nil
	}
	nr := strconv.Itoa(unix.SYS_RT_SIGTIMEDWAIT)
	os.WriteFile(filepath.Join(dir, "syscall"), []byte(nr+" 0x7ffe300bd510 0x7ffe300bd440 0x5616d3ab0020 0x8 0x7 0x0 0x0\n"), 0o644)
	w := in.sigWait(1, in.readSyscall(1))
	if w.call != callSigtimedwait || !w.known || w.set != 1<<14|1<<1 || asked != 0x7ffe300bd510 {
		t.Errorf("sigtimedwait: %+v, read at %#x", w, asked)
	}
	in.mem = func(int, uint64, int) ([]byte, error) { return nil, os.ErrPermission }
	if w := in.sigWait(1, in.readSyscall(1)); w.call != callSigtimedwait || w.known {
		t.Errorf("unreadable memory: %+v", w)
	}
	// Another call, or "running": then wchan decides.
	for wchan, want := range map[string]string{"do_sigtimedwait.isra.0": callSigtimedwait, "signalfd_read_iter": callSignalfd, "do_epoll_wait": ""} {
		os.WriteFile(filepath.Join(dir, "syscall"), []byte("running\n"), 0o644)
		os.WriteFile(filepath.Join(dir, "wchan"), []byte(wchan), 0o644)
		if w := in.sigWait(1, in.readSyscall(1)); w.call != want || w.known {
			t.Errorf("wchan %s: %+v, want call %q", wchan, w, want)
		}
	}
}
