package proctree

import (
	"bytes"
	"os"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/procfs"
)

// snapshot is one scan of /proc, shared read-only by every tree that needs
// one: the process table and the indexes that the membership rules use.
type snapshot struct {
	began    time.Time
	procs    map[int]procfs.Stat
	children map[int][]int // by parent pid
	joined   map[int][]int // by process group id and by session id
}

func takeSnapshot(began time.Time) (*snapshot, error) {
	table, err := scanProc()
	if err != nil {
		return nil, err
	}
	s := &snapshot{
		began:    began,
		procs:    make(map[int]procfs.Stat, len(table)),
		children: map[int][]int{},
		joined:   map[int][]int{},
	}
	for _, p := range table {
		s.procs[p.PID] = p
		s.children[p.PPID] = append(s.children[p.PPID], p.PID)
		s.joined[p.PGRP] = append(s.joined[p.PGRP], p.PID)
		if p.Session != p.PGRP {
			s.joined[p.Session] = append(s.joined[p.Session], p.PID)
		}
	}
	tags.prune(s)
	return s, nil
}

// scanProc reads the stat of every process in /proc, with three system
// calls a process and one buffer: it is what ProcessGroup mode costs at
// rest. Processes that vanish meanwhile are skipped.
func scanProc() ([]procfs.Stat, error) {
	pids, err := procfs.PIDs("/proc")
	if err != nil {
		return nil, err
	}
	out := make([]procfs.Stat, 0, len(pids))
	buf := make([]byte, 1024)
	for _, pid := range pids {
		fd, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/stat", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			continue
		}
		n, err := unix.Read(fd, buf)
		unix.Close(fd)
		if err != nil || n <= 0 {
			continue
		}
		if st, err := procfs.ParseStat(string(buf[:n])); err == nil {
			out = append(out, st)
		}
	}
	return out, nil
}

// scanner hands out snapshots, sharing one scan among all who ask while
// it runs: however many trees want a fresh view of /proc at once, /proc is
// read once.
type scanner struct {
	mu      sync.Mutex
	last    *snapshot
	pending *pendingScan
}

type pendingScan struct {
	began time.Time
	done  chan struct{}
	snap  *snapshot
	err   error
}

var scans scanner

// fresh returns a snapshot whose scan began no earlier than after.
func (s *scanner) fresh(after time.Time) (*snapshot, error) {
	for {
		s.mu.Lock()
		if s.last != nil && !s.last.began.Before(after) {
			snap := s.last
			s.mu.Unlock()
			return snap, nil
		}
		if p := s.pending; p != nil {
			s.mu.Unlock()
			<-p.done
			if !p.began.Before(after) {
				return p.snap, p.err
			}
			continue
		}
		p := &pendingScan{began: time.Now(), done: make(chan struct{})}
		s.pending = p
		s.mu.Unlock()

		p.snap, p.err = takeSnapshot(p.began)
		s.mu.Lock()
		s.pending = nil
		if p.err == nil {
			s.last = p.snap
		}
		s.mu.Unlock()
		close(p.done)
		return p.snap, p.err
	}
}

// tagCache remembers the TagEnv value (or "") of the processes whose
// environment was read, so that each is read once, whatever the number of
// trees.
type tagCache struct {
	mu sync.Mutex
	m  map[Proc]string
}

var tags tagCache

var tagPrefix = []byte(TagEnv + "=")

// of returns the TagEnv value in the environment of p ("" if none, or if
// it cannot be read: zombies have no environment left).
func (c *tagCache) of(p Proc) string {
	c.mu.Lock()
	v, ok := c.m[p]
	c.mu.Unlock()
	if ok {
		return v
	}
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(p.PID) + "/environ")
	for _, kv := range bytes.Split(b, []byte{0}) {
		if bytes.HasPrefix(kv, tagPrefix) {
			v = string(kv[len(tagPrefix):])
			break
		}
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[Proc]string{}
	}
	c.m[p] = v
	c.mu.Unlock()
	return v
}

// prune forgets the processes that are not in snap any more.
func (c *tagCache) prune(snap *snapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for p := range c.m {
		if s, ok := snap.procs[p.PID]; !ok || s.StartTime != p.StartTime {
			delete(c.m, p)
		}
	}
}
