package supervise

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// fdsNeeded is how many file descriptors sexton opens beyond what it
// inherited: the signal eventfd and signalfd, the loop's timerfd and the
// epoll set that holds the three, the runtime's poller (epoll and its own eventfd), one /proc
// file at a time, and, to start the child, the close-on-exec pipe that
// carries an exec error back.
const fdsNeeded = 9

// fdShortage checks, before anything opens a file, that RLIMIT_NOFILE
// leaves room for fdsNeeded descriptors: it asks for them (the signal
// eventfd is already open) and gives them back. Without this check the
// first file sexton opens would make the runtime start its poller, and a
// poller that cannot be created aborts the process.
func fdShortage() string {
	var got []int
	defer func() {
		for _, fd := range got {
			unix.Close(fd)
		}
	}()
	for range fdsNeeded - 1 {
		fd, err := unix.FcntlInt(2, unix.F_DUPFD_CLOEXEC, 0)
		if err == unix.EBADF {
			fd, err = unix.Open("/", unix.O_RDONLY|unix.O_CLOEXEC|unix.O_DIRECTORY, 0)
		}
		if err != nil {
			var lim unix.Rlimit
			_ = unix.Getrlimit(unix.RLIMIT_NOFILE, &lim)
			return fmt.Sprintf("RLIMIT_NOFILE is too low: %d open files allowed; sexton needs %d file "+
				"descriptors beyond the ones it inherited (ulimit -n): %v", lim.Cur, fdsNeeded, err)
		}
		got = append(got, fd)
	}
	return ""
}
