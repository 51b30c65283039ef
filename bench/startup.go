package main

import (
	"fmt"
	"math/rand/v2"
	"os/exec"
	"syscall"
	"time"
)

// StartupRun holds the wall times of `INIT -- /bin/true` (or /bin/true alone
// for no init), each a fresh PID namespace, from fork to the namespace's
// PID 1 being waited for.
type StartupRun struct {
	Init  string
	Times []float64 // ns
	Fails int
	Err   string
}

// runStartup interleaves the inits in a random order each round, so drift
// in the machine's load spreads over all of them.
func runStartup(e *Env, rounds int) map[string]*StartupRun {
	res := map[string]*StartupRun{}
	for _, in := range e.Inits {
		res[in.Name] = &StartupRun{Init: in.Name}
	}
	order := append([]*Init(nil), e.Inits...)
	for i := 0; i < rounds; i++ {
		rand.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		for _, in := range order {
			r := res[in.Name]
			cmd := exec.Command(e.Helper, append([]string{"nsinit"}, in.Command("/bin/true")...)...)
			cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS, Pdeathsig: syscall.SIGKILL}
			t0 := time.Now()
			err := cmd.Run()
			d := time.Since(t0)
			if err != nil {
				r.Fails++
				r.Err = fmt.Sprintf("%v", err)
				continue
			}
			r.Times = append(r.Times, float64(d))
		}
	}
	return res
}
