package supervise

import (
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// shrink gives back, once start-up is over, the memory start-up used and
// the loop will not touch again: the garbage of parsing and starting goes
// back to the kernel, and the pages of sexton's own binary are paged out
// of its mappings (MADV_PAGEOUT); the few the loop runs on fault back in
// from the page cache as they are used. An init sits idle for the life of
// the container, so its resident size is what it costs.
//
// The loop calls it shrinkDelay after start-up, not at once: paging the
// binary out takes milliseconds, and a child that ends sooner (a short
// job, a health check) would wait for it.
func shrink() {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(maps), "\n") {
		// start-end perms offset dev inode path
		fields := strings.Fields(line)
		if len(fields) < 6 || fields[5] != exe {
			continue
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		_, _, _ = unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_PAGEOUT)
	}
}

// shrinkDelay is how long after start-up the loop shrinks sexton.
const shrinkDelay = 500 * time.Millisecond
