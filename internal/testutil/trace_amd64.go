package testutil

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Traced is PID 1 of a new namespace run under ptrace, one system call of
// its main thread at a time: StartTraced leaves it stopped at the first
// instruction of Spec.Args[0], each Syscall lets it run to the entry of its
// next system call, and Detach lets it go (a signal sent to it while it is
// stopped, with kill, is delivered when it runs again). Only the main
// thread is traced; the program's other threads run freely.
//
// Every call must come from the goroutine that called StartTraced, which
// stays locked to its OS thread until Detach (ptrace requests are only
// accepted from the tracing thread).
type Traced struct {
	*NS
	// Syscalls counts the system-call entries the main thread stopped at.
	Syscalls int
	// Nr is the number of the system call it is stopped at, Arg0 its
	// first argument.
	Nr, Arg0 uint64

	syms     *Symbols
	detached bool
	reaped   bool
	code     int
}

// StartTraced starts spec like Start, traced, and returns it stopped right
// after the exec of spec.Args[0]. syms are that program's symbols, for
// Stack. The program gets the test's GODEBUG (spec.Env must not set one).
func StartTraced(t testing.TB, spec Spec, syms *Symbols) *Traced {
	t.Helper()
	runtime.LockOSThread()
	goDebug, had := os.LookupEnv("GODEBUG")
	cfg := shimConfig{Trace: true}
	if had {
		cfg.GoDebug = &goDebug
	}
	ns := prepare(t, spec, cfg)
	// Async preemption would send the shim's executing thread SIGURG
	// between PTRACE_TRACEME and exec: a stop reported under a thread ID
	// this tracer does not wait for. The shim restores GODEBUG.
	ns.cmd.Env = append(ns.cmd.Env, "GODEBUG=asyncpreemptoff=1")
	if err := ns.cmd.Start(); err != nil {
		runtime.UnlockOSThread()
		t.Fatalf("starting traced namespace: %v", err)
	}
	ns.PID = ns.cmd.Process.Pid
	tr := &Traced{NS: ns, syms: syms}
	t.Cleanup(tr.cleanup)
	for {
		ws, ok := tr.waitStop(limitTrace)
		if !ok {
			t.Fatalf("traced PID 1: no stop at exec within %v; stderr:\n%s", limitTrace, ns.Stderr())
		}
		if ws.StopSignal() == unix.SIGTRAP {
			break // the exec: the shim traces nothing before it
		}
		if err := unix.PtraceCont(ns.PID, int(ws.StopSignal())); err != nil {
			t.Fatalf("PTRACE_CONT: %v", err)
		}
	}
	if err := unix.PtraceSetOptions(ns.PID, unix.PTRACE_O_TRACESYSGOOD|unix.PTRACE_O_EXITKILL); err != nil {
		t.Fatalf("PTRACE_SETOPTIONS: %v", err)
	}
	return tr
}

// limitTrace bounds each wait for a stop that must come.
const limitTrace = 30 * time.Second

// Syscall lets the main thread run to the entry of its next system call
// and reports whether it stopped there within wait. False means that the
// process ended (Exited then says so) or that the main thread is blocked,
// as an idle Go thread in futex is: Interrupt stops it again.
func (tr *Traced) Syscall(wait time.Duration) bool {
	tr.t.Helper()
	sig, entry := 0, false
	for !entry {
		if err := unix.PtraceSyscall(tr.PID, sig); err != nil {
			tr.t.Fatalf("PTRACE_SYSCALL: %v", err)
		}
		ws, ok := tr.waitStop(wait)
		if !ok {
			return false
		}
		sig = 0
		if ws.StopSignal() != unix.SIGTRAP|0x80 {
			sig = int(ws.StopSignal()) // a signal for the main thread: deliver it
			continue
		}
		var regs unix.PtraceRegs
		if err := unix.PtraceGetRegs(tr.PID, &regs); err != nil {
			tr.t.Fatalf("PTRACE_GETREGS: %v", err)
		}
		// At a system call's entry the kernel has set rax to -ENOSYS.
		entry = int64(regs.Rax) == -int64(unix.ENOSYS)
		tr.Nr, tr.Arg0 = regs.Orig_rax, regs.Rdi
	}
	tr.Syscalls++
	return true
}

// Exited reports whether the traced process ended while traced.
func (tr *Traced) Exited() bool { return tr.reaped }

// Interrupt stops a main thread that Syscall left running (blocked in a
// system call), so that Detach can be called.
func (tr *Traced) Interrupt() {
	tr.t.Helper()
	if err := unix.Tgkill(tr.PID, tr.PID, unix.SIGSTOP); err != nil {
		tr.t.Fatalf("tgkill SIGSTOP: %v", err)
	}
	for {
		ws, ok := tr.waitStop(limitTrace)
		if !ok {
			if tr.reaped {
				return
			}
			tr.t.Fatalf("traced PID 1: no stop within %v after SIGSTOP", limitTrace)
		}
		switch ws.StopSignal() {
		case unix.SIGSTOP:
			return // Detach discards it
		case unix.SIGTRAP | 0x80:
			if err := unix.PtraceCont(tr.PID, 0); err != nil {
				tr.t.Fatalf("PTRACE_CONT: %v", err)
			}
		default:
			if err := unix.PtraceCont(tr.PID, int(ws.StopSignal())); err != nil {
				tr.t.Fatalf("PTRACE_CONT: %v", err)
			}
		}
	}
}

// Detach lets the stopped process run untraced, watched as Start's are.
func (tr *Traced) Detach() {
	tr.t.Helper()
	defer runtime.UnlockOSThread()
	tr.detached = true
	if tr.reaped {
		return
	}
	if err := unix.PtraceDetach(tr.PID); err != nil {
		tr.t.Fatalf("PTRACE_DETACH: %v", err)
	}
	tr.watch()
}

// Code is the exit code of a process that ended while traced, or, after
// Detach, of PID 1 waited for at most limit (as NS.Wait).
func (tr *Traced) Code(limit time.Duration) int {
	tr.t.Helper()
	if tr.reaped {
		return tr.code
	}
	return tr.Wait(limit)
}

// waitStop waits at most d for the main thread to stop; false if it did
// not, or if the process ended (then reaped is set).
func (tr *Traced) waitStop(d time.Duration) (unix.WaitStatus, bool) {
	deadline := time.Now().Add(d)
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(tr.PID, &ws, unix.WNOHANG|unix.WALL, nil)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			tr.t.Fatalf("wait4 %d: %v", tr.PID, err)
		case pid == tr.PID && ws.Stopped():
			return ws, true
		case pid == tr.PID:
			tr.reaped = true
			tr.code = ws.ExitStatus()
			if ws.Signaled() {
				tr.code = 128 + int(ws.Signal())
			}
			_ = tr.cmd.Process.Release()
			close(tr.done)
			return ws, false
		}
		if time.Now().After(deadline) {
			return ws, false
		}
		time.Sleep(20 * time.Microsecond)
	}
}

// cleanup kills a process still traced when the test ends, and reaps it.
func (tr *Traced) cleanup() {
	if tr.detached || tr.reaped {
		return
	}
	_ = unix.Kill(tr.PID, unix.SIGKILL)
	for {
		var ws unix.WaitStatus
		if _, err := unix.Wait4(tr.PID, &ws, unix.WALL, nil); err != nil && !errors.Is(err, unix.EINTR) {
			break
		}
		if ws.Exited() || ws.Signaled() {
			break
		}
	}
	_ = tr.cmd.Process.Release()
	runtime.UnlockOSThread()
}

// RunTo lets the stopped process run until its main thread reaches the
// first instruction of one of the functions at addrs (a breakpoint on
// each) and returns which; false if the process ended first. The
// breakpoints are removed again, and the process is left stopped there.
// Only the main thread is traced: a breakpoint reached first by another
// thread kills the process (SIGTRAP), so addrs should be code that the
// main thread runs first.
func (tr *Traced) RunTo(addrs []uint64) (uint64, time.Duration, bool) {
	tr.t.Helper()
	saved := make(map[uint64][8]byte, len(addrs))
	for _, a := range addrs {
		var word [8]byte
		if _, err := unix.PtracePeekText(tr.PID, uintptr(a), word[:]); err != nil {
			tr.t.Fatalf("PTRACE_PEEKTEXT %#x: %v", a, err)
		}
		saved[a] = word
		trap := word
		trap[0] = 0xcc // int3
		if _, err := unix.PtracePokeText(tr.PID, uintptr(a), trap[:]); err != nil {
			tr.t.Fatalf("PTRACE_POKETEXT %#x: %v", a, err)
		}
	}
	sig := 0
	start := time.Now()
	for {
		if err := unix.PtraceCont(tr.PID, sig); err != nil {
			tr.t.Fatalf("PTRACE_CONT: %v", err)
		}
		ws, ok := tr.waitStop(limitTrace)
		if !ok {
			if tr.reaped {
				return 0, 0, false
			}
			tr.t.Fatalf("traced PID 1: no breakpoint reached within %v", limitTrace)
		}
		sig = int(ws.StopSignal())
		if ws.StopSignal() != unix.SIGTRAP {
			continue
		}
		took := time.Since(start)
		var regs unix.PtraceRegs
		if err := unix.PtraceGetRegs(tr.PID, &regs); err != nil {
			tr.t.Fatalf("PTRACE_GETREGS: %v", err)
		}
		hit := regs.Rip - 1
		if _, ours := saved[hit]; !ours {
			continue // a SIGTRAP of its own: deliver it
		}
		for a, word := range saved {
			if _, err := unix.PtracePokeText(tr.PID, uintptr(a), word[:]); err != nil {
				tr.t.Fatalf("PTRACE_POKETEXT %#x: %v", a, err)
			}
		}
		regs.Rip = hit
		if err := unix.PtraceSetRegs(tr.PID, &regs); err != nil {
			tr.t.Fatalf("PTRACE_SETREGS: %v", err)
		}
		return hit, took, true
	}
}

// Stack returns the functions on the main thread's stack where it is
// stopped, innermost first, found by following the frame pointers. The
// innermost function's caller is missing when the innermost function (an
// assembly system-call stub) keeps no frame.
func (tr *Traced) Stack() []string {
	tr.t.Helper()
	var regs unix.PtraceRegs
	if err := unix.PtraceGetRegs(tr.PID, &regs); err != nil {
		tr.t.Fatalf("PTRACE_GETREGS: %v", err)
	}
	out := []string{tr.syms.Func(regs.Rip)}
	fp := regs.Rbp
	for i := 0; i < 64 && fp != 0; i++ {
		var frame [16]byte // saved frame pointer, return address
		if n, err := unix.PtracePeekData(tr.PID, uintptr(fp), frame[:]); err != nil || n != len(frame) {
			break
		}
		next, ret := binary.LittleEndian.Uint64(frame[:8]), binary.LittleEndian.Uint64(frame[8:])
		name := tr.syms.Func(ret)
		if name == "" {
			break
		}
		out = append(out, name)
		if next <= fp {
			break // frames go up the stack
		}
		fp = next
	}
	return out
}

// Symbols maps addresses of a static executable to its function names.
type Symbols struct {
	addr []uint64
	name []string
	end  uint64
}

// ReadSymbols reads the function symbols of the executable at path.
func ReadSymbols(path string) (*Symbols, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return nil, fmt.Errorf("%s: %v (built with -s?)", path, err)
	}
	sort.Slice(syms, func(i, j int) bool { return syms[i].Value < syms[j].Value })
	s := &Symbols{}
	for _, sym := range syms {
		if elf.ST_TYPE(sym.Info) == elf.STT_FUNC && sym.Value != 0 {
			s.addr = append(s.addr, sym.Value)
			s.name = append(s.name, sym.Name)
			s.end = max(s.end, sym.Value+sym.Size)
		}
	}
	if len(s.addr) == 0 {
		return nil, fmt.Errorf("%s: no function symbols", path)
	}
	return s, nil
}

// Func returns the name of the function containing pc, or "".
func (s *Symbols) Func(pc uint64) string {
	i := sort.Search(len(s.addr), func(i int) bool { return s.addr[i] > pc }) - 1
	if i < 0 || pc >= s.end {
		return ""
	}
	return s.name[i]
}

// Funcs returns the addresses of the functions whose names match.
func (s *Symbols) Funcs(match func(name string) bool) []uint64 {
	var out []uint64
	for i, n := range s.name {
		if match(n) {
			out = append(out, s.addr[i])
		}
	}
	return out
}
