package proctree

import (
	"fmt"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The child-subreaper attribute is process-wide. ProcessGroup trees that
// need it hold it; when the last one is stopped, it is turned off again,
// unless the process was a subreaper before the first of them.
var subreaperState struct {
	mu    sync.Mutex
	users int
	ours  bool // set by proctree, so turned off by it
}

func acquireSubreaper() error {
	s := &subreaperState
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users == 0 {
		on, err := isSubreaper()
		if err != nil {
			return err
		}
		if !on {
			if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
				return fmt.Errorf("proctree: prctl(PR_SET_CHILD_SUBREAPER): %w", err)
			}
		}
		s.ours = !on
	}
	s.users++
	return nil
}

func releaseSubreaper() {
	s := &subreaperState
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users--
	if s.users == 0 && s.ours {
		_ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
		s.ours = false
	}
}

// isSubreaper reports whether the calling process is a child subreaper.
func isSubreaper() (bool, error) {
	var v int32
	if err := unix.Prctl(unix.PR_GET_CHILD_SUBREAPER, uintptr(unsafe.Pointer(&v)), 0, 0, 0); err != nil {
		return false, fmt.Errorf("proctree: prctl(PR_GET_CHILD_SUBREAPER): %w", err)
	}
	return v != 0, nil
}
