package reap

import (
	"os"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// All reaps real children, reports their codes and names, and says when
// none are left.
func TestAllReapsEveryChild(t *testing.T) {
	for _, names := range []bool{false, true} {
		want := map[int]int{}
		for i := 0; i < 20; i++ {
			p, err := os.StartProcess("/bin/sh", []string{"sh", "-c", "exit " + itoa(i)}, &os.ProcAttr{})
			if err != nil {
				t.Fatal(err)
			}
			want[p.Pid] = i
			_ = p.Release()
		}
		got := map[int]Exit{}
		deadline := time.Now().Add(time.Minute)
		for left := true; left; {
			left = All(names, func(e Exit) { got[e.PID] = e })
			if time.Now().After(deadline) {
				t.Fatalf("children not reaped: got %d of %d", len(got), len(want))
			}
			time.Sleep(time.Millisecond)
		}
		for pid, code := range want {
			e, ok := got[pid]
			if !ok || e.Code() != code {
				t.Fatalf("pid %d: got %+v, want exit %d", pid, e, code)
			}
			if names && e.Comm != "sh" {
				t.Fatalf("pid %d named %q, want sh", pid, e.Comm)
			}
			if e.Describe() != "exited with status "+itoa(code) {
				t.Fatalf("Describe = %q", e.Describe())
			}
		}
	}
}

func TestCode(t *testing.T) {
	cases := map[unix.WaitStatus]int{0: 0, 3 << 8: 3, 255 << 8: 255, 9: 137, 15: 143}
	for ws, want := range cases {
		if got := Code(ws); got != want {
			t.Errorf("Code(%#x) = %d, want %d", uint32(ws), got, want)
		}
	}
	if d := (Exit{Status: 9}).Describe(); d != "was killed by signal 9" {
		t.Errorf("Describe = %q", d)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
