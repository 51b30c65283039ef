package supervise

import (
	"bytes"
	"time"

	"golang.org/x/sys/unix"
)

// shrink gives back, once start-up is over, the memory start-up used and
// the loop will not touch again: the pages of sexton's own binary are
// paged out of its mappings (MADV_PAGEOUT); the few the loop runs on fault
// back in from the page cache as they are used. An init sits idle for the
// life of the container, so its resident size is what it costs.
//
// It allocates nothing: no collection runs in an idle init, so every heap
// page an allocation touches stays resident (reading /proc/self/maps with
// os.ReadFile and splitting it cost 16 KiB of RssAnon).
//
// The loop calls it shrinkDelay after start-up, not at once: paging the
// binary out takes milliseconds, and a child that ends sooner (a short
// job, a health check) would wait for it.
func shrink() {
	var exe [512]byte
	n, err := unix.Readlink("/proc/self/exe", exe[:])
	if err != nil || n == len(exe) {
		return
	}
	fd, err := unix.Open("/proc/self/maps", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer unix.Close(fd)
	forEachLine(fd, mapsBuf[:], func(line []byte) {
		if start, end, ok := mappingOf(line, exe[:n]); ok {
			_, _, _ = unix.Syscall(unix.SYS_MADVISE, start, end-start, unix.MADV_PAGEOUT)
		}
	})
}

// mapsBuf is where shrink reads /proc/self/maps: static, so that reading
// allocates nothing.
var mapsBuf [4096]byte

// shrinkDelay is how long after start-up the loop shrinks sexton.
const shrinkDelay = 500 * time.Millisecond

// forEachLine reads fd to its end through buf and calls f with each whole
// line, newline removed. A line longer than buf is skipped.
func forEachLine(fd int, buf []byte, f func([]byte)) {
	have, skipping := 0, false
	for {
		n, err := unix.Read(fd, buf[have:])
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return
		}
		have += n
		rest := buf[:have]
		for {
			i := bytes.IndexByte(rest, '\n')
			if i < 0 {
				break
			}
			if !skipping {
				f(rest[:i])
			}
			skipping = false
			rest = rest[i+1:]
		}
		have = copy(buf, rest)
		if have == len(buf) { // no newline in a whole buffer
			have, skipping = 0, true
		}
	}
}

// mappingOf parses one line of /proc/PID/maps ("start-end perms offset dev
// inode path") and returns its address range if path is the given one.
func mappingOf(line, path []byte) (start, end uintptr, ok bool) {
	fields := 0
	rest := line
	for fields < 5 {
		i := bytes.IndexByte(rest, ' ')
		if i < 0 {
			return 0, 0, false
		}
		if fields == 0 {
			var ok1, ok2 bool
			dash := bytes.IndexByte(rest[:i], '-')
			if dash < 0 {
				return 0, 0, false
			}
			start, ok1 = parseHex(rest[:dash])
			end, ok2 = parseHex(rest[dash+1 : i])
			if !ok1 || !ok2 {
				return 0, 0, false
			}
		}
		rest = bytes.TrimLeft(rest[i:], " ")
		fields++
	}
	return start, end, bytes.Equal(rest, path) && end > start
}

// parseHex parses a lower-case hexadecimal number.
func parseHex(b []byte) (uintptr, bool) {
	if len(b) == 0 || len(b) > 16 {
		return 0, false
	}
	var v uintptr
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | uintptr(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | uintptr(c-'a'+10)
		default:
			return 0, false
		}
	}
	return v, true
}
