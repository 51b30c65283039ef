package procfs

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestDescendantsFollowsParentLinks(t *testing.T) {
	table := []Stat{{PID: 1}, {PID: 10, PPID: 1}, {PID: 11, PPID: 10}, {PID: 12, PPID: 11}, {PID: 20, PPID: 1}, {PID: 13, PPID: 10}}
	got := Descendants(table, 10)
	slices.Sort(got)
	if want := []int{11, 12, 13}; !slices.Equal(got, want) {
		t.Fatalf("Descendants = %v, want %v", got, want)
	}
	// A PID reused mid-scan can make a cycle; it must not loop.
	cyc := []Stat{{PID: 2, PPID: 3}, {PID: 3, PPID: 2}}
	if got := Descendants(cyc, 2); !slices.Equal(got, []int{3}) {
		t.Fatalf("Descendants on a cycle = %v", got)
	}
}

func TestScanSkipsVanishedProcesses(t *testing.T) {
	root := t.TempDir()
	write := func(pid, text string) {
		if err := os.MkdirAll(filepath.Join(root, pid), 0o755); err != nil {
			t.Fatal(err)
		}
		if text != "" {
			if err := os.WriteFile(filepath.Join(root, pid, "stat"), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	write("1", "1 (sexton) S 0 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 7 0 100 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0")
	write("7", "") // gone between listing and reading
	write("9", "9 (a) (b) Z 1 9 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 200 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0")
	write("self", "")
	table, err := Scan(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(table) != 2 {
		t.Fatalf("Scan = %+v, want pids 1 and 9", table)
	}
	for _, s := range table {
		if s.PID == 9 && (s.Comm != "a) (b" || s.State != 'Z' || s.PPID != 1 || s.StartTime != 200) {
			t.Fatalf("pid 9 parsed as %+v", s)
		}
		if s.PID == 1 && (s.Comm != "sexton" || s.Threads != 7) {
			t.Fatalf("pid 1 parsed as %+v", s)
		}
	}
}
