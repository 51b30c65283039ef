package procfs

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// walkBuffer is the size of each directory read of Walk: about 16 entries
// of /proc, so that what fn sees is never more than 16 entries old.
const walkBuffer = 512

// Walk calls fn with each process ID under root (normally "/proc") while
// it reads the directory, a few entries at a time, and stops when fn
// returns false. The kernel lists /proc in ascending PID order and each
// read continues after the last PID returned, so a process created during
// the walk is still seen when its PID is higher than those already read,
// which is the rule for new PIDs until they wrap around at pid_max.
func Walk(root string, fn func(pid int) bool) error {
	fd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: root, Err: err}
	}
	defer unix.Close(fd)
	buf := make([]byte, walkBuffer)
	var names []string
	for {
		n, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return &os.PathError{Op: "getdents", Path: root, Err: err}
		}
		if n <= 0 {
			return nil
		}
		_, _, names = unix.ParseDirent(buf[:n], -1, names[:0])
		for _, name := range names {
			if pid, err := strconv.Atoi(name); err == nil && pid > 0 && !fn(pid) {
				return nil
			}
		}
	}
}
