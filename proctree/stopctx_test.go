package proctree

import (
	"context"
	"errors"
	"os/exec"
	"testing"
	"time"
)

// slowTree starts a shell that, on SIGTERM, takes a moment to save and
// then exits 0, and a child of it that ignores SIGTERM. It returns the
// tree and that child.
func slowTree(t *testing.T, grace time.Duration) (*Tree, Proc) {
	t.Helper()
	needSupervisor(t)
	cmd := exec.Command("sh", "-c", `trap "sleep 0.2; exit 0" TERM; sh -c 'trap "" TERM; exec sleep 1000' & wait`)
	tree, err := Start(cmd, &Options{Mode: ProcessGroup, Grace: grace})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cleanup(t, tree, nil) })
	var ignorer Proc
	for deadline := time.Now().Add(hang); ignorer.PID == 0; {
		for _, p := range tree.Members() { // Comm is the one first seen
			if p.PID != tree.Root().PID && runs(p, "sleep") {
				ignorer = p
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the SIGTERM-ignoring sleep did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return tree, ignorer
}

func waitDone(t *testing.T, tree *Tree) {
	t.Helper()
	select {
	case <-tree.Done():
	case <-time.After(hang):
		t.Fatal("the direct child did not exit")
	}
}

// A caller's context bounds only that caller's wait: a cancelled or
// expired one returns ctx's error at once, with no report, and the stop
// goes on with its full grace period; every caller gets the same report;
// Kill ends the grace.
func TestStopContext(t *testing.T) {
	tree, ignorer := slowTree(t, time.Minute)

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	rep, err := tree.Stop(cancelled)
	if rep != nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("Stop(cancelled) = %v, %v; want no report and context.Canceled", rep, err)
	}
	short, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if rep, err := tree.Stop(short); rep != nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop(short deadline) = %v, %v; want no report and context.DeadlineExceeded", rep, err)
	}

	// The stop went on: the shell got SIGTERM and exits in its own time.
	waitDone(t, tree)
	if !alive(ignorer) {
		t.Fatalf("%v was killed: an ended context cut the grace period", ignorer)
	}
	type result struct {
		rep *Report
		err error
	}
	waiter := make(chan result, 1)
	go func() {
		rep, err := tree.Stop(context.Background())
		waiter <- result{rep, err}
	}()
	rep, err = tree.Kill(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("report: %v", rep)
	select {
	case w := <-waiter:
		if w.rep != rep || w.err != nil {
			t.Errorf("the other caller got %v, %v; want the same report", w.rep, w.err)
		}
	case <-time.After(hang):
		t.Fatal("the other caller's Stop did not return")
	}
	if root := tree.Root(); !contains(rep.Exited, root) || contains(rep.Killed, root) {
		t.Errorf("the shell %v should have exited by itself: %v", root, rep)
	}
	if !contains(rep.Killed, ignorer) || alive(ignorer) {
		t.Errorf("%v should have been killed: %v", ignorer, rep)
	}
	if again, err := tree.Stop(cancelled); again != rep || err != nil {
		t.Errorf("Stop(cancelled) after the stop = %v, %v; want its report", again, err)
	}
}

// Kill before any Stop sends no polite signal: the shell, which would exit
// 0 on SIGTERM, is SIGKILLed.
func TestKillWithoutGrace(t *testing.T) {
	tree, ignorer := slowTree(t, time.Minute)
	rep, err := tree.Kill(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []Proc{tree.Root(), ignorer} {
		if !contains(rep.Killed, p) {
			t.Errorf("%v not in Killed: %v", p, rep)
		}
	}
	if len(rep.Exited) != 0 {
		t.Errorf("Exited: %s; Kill sends no polite signal", names(rep.Exited))
	}
}
