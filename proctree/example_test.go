package proctree_test

import (
	"context"
	"fmt"
	"os/exec"
	"time"

	"github.com/sexton-init/sexton/proctree"
)

// A shell that starts two background sleeps: Stop ends all three, not just
// the shell.
func Example() {
	cmd := exec.Command("sh", "-c", "sleep 60 & sleep 60 & wait")
	tree, err := proctree.Start(cmd, &proctree.Options{Mode: proctree.ProcessGroup})
	if err != nil {
		fmt.Println(err)
		return
	}
	for len(tree.Members()) < 3 { // wait until both sleeps run
		time.Sleep(10 * time.Millisecond)
	}
	rep, err := tree.Stop(context.Background())
	if err != nil {
		fmt.Println(err)
	}
	fmt.Printf("%d processes, %d needed SIGKILL, %d left\n", len(rep.Procs), len(rep.Killed), len(rep.Survivors))
	// Output: 3 processes, 0 needed SIGKILL, 0 left
}

// With exec.CommandContext, cancelling the context stops the whole tree:
// Start replaced cmd.Cancel. Here the shell and its children ignore
// SIGTERM, so all need SIGKILL. The grace period is set shorter than
// cmd.WaitDelay: when WaitDelay ends, os/exec SIGKILLs the direct child
// itself, and the report would then count it under Exited.
func ExampleStart_commandContext() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", `trap "" TERM; sleep 60 & sleep 60 & wait`)
	cmd.WaitDelay = 10 * time.Second
	tree, err := proctree.Start(cmd, &proctree.Options{Mode: proctree.ProcessGroup, Grace: 100 * time.Millisecond})
	if err != nil {
		fmt.Println(err)
		return
	}
	for len(tree.Members()) < 3 {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	fmt.Println("wait:", tree.Wait())
	rep, err := tree.Stop(context.Background()) // the report of the Stop that cancel began
	if err != nil {
		fmt.Println(err)
	}
	fmt.Printf("%d processes, %d needed SIGKILL, %d left\n", len(rep.Procs), len(rep.Killed), len(rep.Survivors))
	// Output:
	// wait: signal: killed
	// 3 processes, 3 needed SIGKILL, 0 left
}
