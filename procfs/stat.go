// Package procfs reads the process table from /proc: one process's stat
// line, the list of processes, and the descendants of a process.
package procfs

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Stat is the part of /proc/PID/stat that sexton uses.
type Stat struct {
	PID     int
	Comm    string // command name, at most 15 bytes, may hold spaces and parentheses
	State   byte   // R, S, D, Z, T, ...
	PPID    int
	PGRP    int
	Session int
	// StartTime is the start time after boot, in clock ticks.
	StartTime uint64
	Threads   int
}

// ParseStat parses the text of a /proc/PID/stat file. The command name sits
// between the first '(' and the last ')', since it may itself contain ") (".
func ParseStat(text string) (Stat, error) {
	open := strings.IndexByte(text, '(')
	closing := strings.LastIndexByte(text, ')')
	if open < 0 || closing < open {
		return Stat{}, fmt.Errorf("stat: no command name in %q", text)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(text[:open]))
	if err != nil {
		return Stat{}, fmt.Errorf("stat: bad pid: %v", err)
	}
	// Fields after the name, numbered from 3 as in proc(5).
	f := strings.Fields(text[closing+1:])
	if len(f) < 20 || len(f[0]) != 1 {
		return Stat{}, fmt.Errorf("stat: too few fields for pid %d", pid)
	}
	s := Stat{PID: pid, Comm: text[open+1 : closing], State: f[0][0]}
	ints := []*int{&s.PPID, &s.PGRP, &s.Session}
	for i, p := range ints {
		if *p, err = strconv.Atoi(f[1+i]); err != nil {
			return Stat{}, fmt.Errorf("stat: pid %d field %d: %v", pid, 4+i, err)
		}
	}
	if s.Threads, err = strconv.Atoi(f[17]); err != nil {
		return Stat{}, fmt.Errorf("stat: pid %d threads: %v", pid, err)
	}
	if s.StartTime, err = strconv.ParseUint(f[19], 10, 64); err != nil {
		return Stat{}, fmt.Errorf("stat: pid %d starttime: %v", pid, err)
	}
	return s, nil
}

// ReadStat reads /proc/PID/stat under root (normally "/proc").
func ReadStat(root string, pid int) (Stat, error) {
	b, err := os.ReadFile(root + "/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return Stat{}, err
	}
	return ParseStat(string(b))
}
