package procfs

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ClockTicks is USER_HZ, the unit of the times in /proc/PID/stat. It is 100
// on every architecture Go supports on Linux; a Go program without cgo
// cannot ask sysconf(_SC_CLK_TCK).
const ClockTicks = 100

// ReadUptime returns the seconds since boot from /proc/uptime under root.
// Inside a time namespace it is the namespace's view, the same clock as the
// start times in /proc/PID/stat.
func ReadUptime(root string) (float64, error) {
	b, err := os.ReadFile(root + "/uptime")
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, fmt.Errorf("uptime: empty")
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return 0, fmt.Errorf("uptime: %v", err)
	}
	return v, nil
}

// ReadInt reads a file that holds one integer, such as
// /proc/sys/kernel/pid_max or a cgroup's pids.current.
func ReadInt(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %v", path, err)
	}
	return v, nil
}
