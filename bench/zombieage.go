package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"unsafe"

	"github.com/sexton-init/sexton/procfs"
	"golang.org/x/sys/unix"
)

// stampFile is the array, indexed by PID in the storm's namespace, into
// which every orphan of the storm workload writes its CLOCK_MONOTONIC time
// just before it exits: when that orphan became a zombie.
type stampFile struct {
	path  string
	mem   []byte
	slots []uint64
}

// newStampFile makes a zeroed stamp file in /dev/shm (tmpfs: the orphans'
// stores cost no disk) with one slot per possible PID, mapped read-only here.
func newStampFile(name string) (*stampFile, error) {
	pidMax := 32768
	if b, err := os.ReadFile("/proc/sys/kernel/pid_max"); err == nil {
		if n, err := strconv.Atoi(string(trimNL(b))); err == nil {
			pidMax = n
		}
	}
	path := filepath.Join("/dev/shm", fmt.Sprintf("sexton-bench-%d-%s", os.Getpid(), name))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("stamp file: %v", err)
	}
	defer f.Close()
	size := pidMax * 8
	if err := f.Truncate(int64(size)); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("stamp file: %v", err)
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("stamp file: mmap: %v", err)
	}
	return &stampFile{path: path, mem: mem, slots: unsafe.Slice((*uint64)(unsafe.Pointer(&mem[0])), pidMax)}, nil
}

// stamp is the death time the process nspid wrote, 0 if none.
func (s *stampFile) stamp(nspid int) int64 {
	if nspid <= 0 || nspid >= len(s.slots) {
		return 0
	}
	return int64(atomic.LoadUint64(&s.slots[nspid]))
}

func (s *stampFile) remove() {
	_ = unix.Munmap(s.mem)
	os.Remove(s.path)
}

// zombieAger tells how long ago each listed orphan of a storm died.
type zombieAger struct {
	stamps *stampFile
	proc   string // the namespace's own /proc, seen from here
	// bootToMono converts the kernel's boot-time clock (process start
	// times) to CLOCK_MONOTONIC (the stamps): mono = boot - bootToMono.
	bootToMono int64
}

const clockTick = 10_000_000 // ns: USER_HZ is 100 on Linux

func newZombieAger(stamps *stampFile, pid1 int) *zombieAger {
	var b, m unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_BOOTTIME, &b)
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &m)
	return &zombieAger{stamps: stamps, proc: fmt.Sprintf("/proc/%d/root/proc", pid1), bootToMono: b.Nano() - m.Nano()}
}

// age returns how long before now (CLOCK_MONOTONIC ns) the process nspid
// died, and false when it has not stamped its death (still running, or not
// an orphan of the storm). PIDs are reused within a storm, so a stamp counts
// only if it is later than the process's own start time (/proc/PID/stat,
// in clock ticks): an older one is a previous holder's of the PID.
func (z *zombieAger) age(nspid int, now int64) (int64, bool) {
	st := z.stamps.stamp(nspid)
	if st == 0 {
		return 0, false
	}
	s, err := procfs.ReadStat(z.proc, nspid)
	if err != nil {
		return 0, false // reaped meanwhile
	}
	started := int64(s.StartTime)*clockTick - z.bootToMono
	if st < started-clockTick/10 {
		return 0, false
	}
	return now - st, true
}

func trimNL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}
