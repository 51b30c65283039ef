// Command pid1 is a small program that is its own init, through package
// pid1: run as PID 1, it re-executes itself under sexton's supervisor, then
// runs concurrent commands with os/exec while leaving orphans behind, and
// shows that every command got its own exit code and no zombie is left.
//
// Try it as PID 1 of a new PID namespace (as root):
//
//	go build -o /tmp/pid1demo ./examples/pid1
//	unshare --pid --fork --mount-proc /tmp/pid1demo -wait
//
// or as a container's entrypoint without --init. With -wait it stays until
// SIGINT or SIGTERM (Ctrl-C, docker stop), which the supervisor relays.
// SEXTON_VERBOSITY=3 shows what the supervisor does, each orphan it reaps
// included; SEXTON_PID1=never turns it off, to compare (then the zombies stay).
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/sexton-init/sexton/pid1"
	"github.com/sexton-init/sexton/procfs"
)

func main() {
	// First: anything before this line runs in the supervisor too.
	pid1.Ensure(pid1.Grace(3 * time.Second))

	n := flag.Int("n", 100, "commands to run at once")
	wait := flag.Bool("wait", false, "then wait for SIGINT or SIGTERM")
	flag.Parse()

	fmt.Printf("pid %d, parent %d, supervised: %v\n", os.Getpid(), os.Getppid(), pid1.Supervised())

	// n commands at once, each exiting with its own code, while others
	// leave an orphan behind (the background sleep outlives its shell).
	var wg sync.WaitGroup
	var mu sync.Mutex
	wrong := 0
	for i := range *n {
		want := i % 256
		wg.Add(2)
		go func() {
			defer wg.Done()
			err := exec.Command("sh", "-c", "exit "+strconv.Itoa(want)).Run()
			var ee *exec.ExitError
			if !(want == 0 && err == nil) && !(errors.As(err, &ee) && ee.ExitCode() == want) {
				mu.Lock()
				wrong++
				mu.Unlock()
				fmt.Printf("sh -c 'exit %d': %v\n", want, err)
			}
		}()
		go func() {
			defer wg.Done()
			_ = exec.Command("sh", "-c", "sleep 0.05 & exit 0").Run()
		}()
	}
	wg.Wait()
	fmt.Printf("%d commands, %d with a wrong exit status; %d orphans made\n", *n, wrong, *n)

	// The orphans end after 50 ms; the supervisor reaps them.
	time.Sleep(300 * time.Millisecond)
	fmt.Printf("zombies now: %d\n", zombies())

	if *wait {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
		fmt.Println("waiting for SIGINT or SIGTERM")
		fmt.Printf("got %v, exiting\n", <-ch)
	}
	if wrong > 0 {
		os.Exit(1)
	}
}

// zombies counts the zombies this process can see in /proc.
func zombies() int {
	table, err := procfs.Scan("/proc")
	if err != nil {
		return -1
	}
	n := 0
	for _, s := range table {
		if s.State == 'Z' {
			n++
		}
	}
	return n
}
