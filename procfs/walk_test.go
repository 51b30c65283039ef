package procfs

import (
	"os"
	"reflect"
	"slices"
	"testing"
)

// Walk lists the same processes as PIDs, in ascending order, and stops
// when asked to.
func TestWalkListsProcessesInOrder(t *testing.T) {
	root := t.TempDir()
	for _, n := range []string{"self", "12", "3", "sys", "40"} {
		if err := os.Mkdir(root+"/"+n, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var got []int
	if err := Walk(root, func(pid int) bool { got = append(got, pid); return true }); err != nil {
		t.Fatal(err)
	}
	slices.Sort(got) // a temporary directory has no order; /proc has (below)
	if !reflect.DeepEqual(got, []int{3, 12, 40}) {
		t.Fatalf("Walk = %v", got)
	}
	n := 0
	Walk(root, func(int) bool { n++; return false })
	if n != 1 {
		t.Fatalf("Walk went on after fn returned false: %d calls", n)
	}
	if err := Walk(root+"/missing", func(int) bool { return true }); err == nil {
		t.Fatal("no error for a missing directory")
	}
}

// In the real /proc the order is ascending: a process created during a
// walk (with a higher PID, until PIDs wrap around) is reached later in it.
func TestWalkProcIsAscending(t *testing.T) {
	var got []int
	if err := Walk("/proc", func(pid int) bool { got = append(got, pid); return true }); err != nil {
		t.Fatal(err)
	}
	if !slices.IsSorted(got) || !slices.Contains(got, os.Getpid()) {
		t.Fatalf("/proc walked as %v", got)
	}
}

func TestParseNSTgid(t *testing.T) {
	ids, err := ParseNSTgid(readTestdata(t, "status-paren"))
	if err != nil || !reflect.DeepEqual(ids, []int{3857}) {
		t.Fatalf("captured status: %v, %v", ids, err)
	}
	if ids, err := ParseNSTgid("Name:\tx\nNStgid:\t4123\t100\n"); err != nil || !reflect.DeepEqual(ids, []int{4123, 100}) {
		t.Fatalf("nested: %v, %v", ids, err)
	}
	for _, text := range []string{"Name:\tx\n", "NStgid:\t\n", "NStgid:\t1 x\n"} {
		if _, err := ParseNSTgid(text); err == nil {
			t.Errorf("ParseNSTgid(%q): no error", text)
		}
	}
	if ids, err := ReadNSTgid("/proc", os.Getpid()); err != nil || ids[len(ids)-1] != os.Getpid() {
		t.Fatalf("own status: %v, %v", ids, err)
	}
}
