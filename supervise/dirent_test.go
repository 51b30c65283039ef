package supervise

import (
	"reflect"
	"testing"

	"golang.org/x/sys/unix"
)

// forEachDirent and parseTID read the kernel's records: compared with the
// names unix.ParseDirent finds in the same getdents64 buffer of a real
// /proc/self/task, and with the thread IDs that are numbers only.
func TestDirentsOfTaskDir(t *testing.T) {
	fd, err := unix.Open("/proc/self/task", unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	var buf [4096]byte
	n, err := unix.Getdents(fd, buf[:])
	if err != nil || n <= 0 {
		t.Fatalf("getdents: %d %v", n, err)
	}
	var got []string
	forEachDirent(buf[:n], func(name []byte) { got = append(got, string(name)) })
	_, _, want := unix.ParseDirent(buf[:n], -1, nil)
	want = append([]string{".", ".."}, want...) // ParseDirent skips these two
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("names %q, want %q", got, want)
	}
	for _, c := range []struct {
		in string
		id int
		ok bool
	}{{"1234", 1234, true}, {"1", 1, true}, {".", 0, false}, {"..", 0, false}, {"12a", 0, false}, {"", 0, false}, {"1234567890", 0, false}} {
		if id, ok := parseTID([]byte(c.in)); id != c.id || ok != c.ok {
			t.Errorf("parseTID(%q) = %d, %v; want %d, %v", c.in, id, ok, c.id, c.ok)
		}
	}
}
