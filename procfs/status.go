package procfs

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Status is the part of /proc/PID/status that the doctor and the tests
// use: the signal masks of the process (of its main thread, for the
// per-thread SigBlk), its shared pending signals and its thread count.
type Status struct {
	Name    string
	Threads int
	// SigBlk, SigIgn and SigCgt are bit masks: bit N-1 stands for signal N.
	SigBlk, SigIgn, SigCgt uint64
	// ShdPnd, the same way, is what waits in the process's shared queue.
	ShdPnd uint64
}

// ParseStatus parses the text of a /proc/PID/status file. Lines it does not
// know are skipped; a status without the signal masks is an error, since a
// mask that is silently zero would read as "no handler".
func ParseStatus(text string) (Status, error) {
	var s Status
	seen := 0
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		var mask *uint64
		switch key {
		case "Name":
			// The name is escaped by the kernel (\n as "\n", \ as "\\").
			s.Name = unescapeName(val)
			continue
		case "Threads":
			n, err := strconv.Atoi(val)
			if err != nil {
				return Status{}, fmt.Errorf("status: Threads: %v", err)
			}
			s.Threads = n
			continue
		case "SigBlk":
			mask = &s.SigBlk
		case "SigIgn":
			mask = &s.SigIgn
		case "SigCgt":
			mask = &s.SigCgt
		case "ShdPnd":
			mask = &s.ShdPnd
		default:
			continue
		}
		v, err := strconv.ParseUint(val, 16, 64)
		if err != nil {
			return Status{}, fmt.Errorf("status: %s: %v", key, err)
		}
		*mask = v
		if mask != &s.ShdPnd {
			seen++
		}
	}
	if seen < 3 {
		return Status{}, fmt.Errorf("status: signal masks missing")
	}
	return s, nil
}

// unescapeName undoes the escaping of the Name line in /proc/PID/status.
func unescapeName(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	r := strings.NewReplacer(`\n`, "\n", `\\`, `\`)
	return r.Replace(s)
}

// ReadStatus reads /proc/PID/status under root (normally "/proc").
func ReadStatus(root string, pid int) (Status, error) {
	b, err := os.ReadFile(root + "/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return Status{}, err
	}
	return ParseStatus(string(b))
}

// HasSignal reports whether signal sig (1-64) is set in mask.
func HasSignal(mask uint64, sig int) bool {
	return sig >= 1 && sig <= 64 && mask&(1<<(sig-1)) != 0
}

// ReadCmdline reads /proc/PID/cmdline under root and splits it into its
// arguments. It is empty for kernel threads and for zombies, whose memory
// is gone.
func ReadCmdline(root string, pid int) ([]string, error) {
	b, err := os.ReadFile(root + "/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return nil, err
	}
	return ParseCmdline(b), nil
}

// ParseCmdline splits the NUL-separated content of /proc/PID/cmdline. A
// process that rewrote its arguments as one space-separated string (as
// some daemons do) comes back as a single argument.
func ParseCmdline(b []byte) []string {
	s := strings.TrimRight(string(b), "\x00")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\x00")
}
