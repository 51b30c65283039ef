package supervise

import (
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// forEachLine hands over every whole line, across reads that split lines,
// and skips only a line that does not fit in its buffer.
func TestForEachLine(t *testing.T) {
	long := strings.Repeat("x", 40)
	text := "a\nbb\n" + long + "\nccc\n\nlast\n"
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	go func() {
		// Two bytes a write: the reader sees lines split across reads.
		for i := 0; i < len(text); i += 2 {
			_, _ = w.WriteString(text[i:min(i+2, len(text))])
		}
		w.Close()
	}()
	var got []string
	forEachLine(int(r.Fd()), make([]byte, 16), func(l []byte) { got = append(got, string(l)) })
	if want := "a|bb|ccc||last"; strings.Join(got, "|") != want {
		t.Errorf("lines %q, want %q (the 40-byte line skipped)", strings.Join(got, "|"), want)
	}
}

func TestMappingOf(t *testing.T) {
	exe := []byte("/sbin/sexton")
	for _, c := range []struct {
		line       string
		start, end uintptr
		ok         bool
	}{
		{"00400000-00528000 r-xp 00000000 fe:00 9978623                            /sbin/sexton", 0x400000, 0x528000, true},
		{"7f8a58003000-7f8a58063000 rw-p 00000000 00:00 0 ", 0, 0, false},
		{"00400000-00528000 r-xp 00000000 fe:00 9978623 /sbin/sextonx", 0, 0, false},
		{"7ffef9962000-7ffef9983000 rw-p 00000000 00:00 0                          [stack]", 0, 0, false},
		{"zz-00528000 r-xp 00000000 fe:00 1 /sbin/sexton", 0, 0, false},
	} {
		start, end, ok := mappingOf([]byte(c.line), exe)
		if ok != c.ok || ok && (start != c.start || end != c.end) {
			t.Errorf("%q: %#x-%#x %v, want %#x-%#x %v", c.line, start, end, ok, c.start, c.end, c.ok)
		}
	}
}

// On this process's own maps, the way shrink reads them, the test binary's
// mappings are found, and only they.
func TestShrinkFindsTheBinary(t *testing.T) {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open("/proc/self/maps", unix.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	var found, want int
	forEachLine(fd, make([]byte, 4096), func(l []byte) {
		if _, _, ok := mappingOf(l, []byte(exe)); ok {
			found++
		}
	})
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(maps), "\n") {
		if f := strings.Fields(l); len(f) == 6 && f[5] == exe {
			want++
		}
	}
	if want == 0 || found != want {
		t.Errorf("found %d mappings of %s, want %d", found, exe, want)
	}
}
