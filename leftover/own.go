package leftover

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/sexton-init/sexton/procfs"
)

// check finds out, once, whether leftovers can be found in /proc and
// signalled safely.
func (f *Finder) check() error {
	if f.checked {
		return f.err
	}
	f.checked = true
	self, err := ownProc(f.proc, f.self.PID)
	if err != nil {
		f.err = err
		return err
	}
	f.self = self
	perr := probePidfd()
	f.pidfd = perr == nil
	if !f.pid1 && perr != nil {
		// As PID 1 kill is safe: every process of the namespace is a
		// leftover. Here a PID read from /proc may be reused by a
		// stranger before kill(pid) gets there.
		f.err = fmt.Errorf("%v: pidfds (Linux 5.3 or later) are needed to signal them safely", perr)
	}
	return f.err
}

// ownProc checks that root is a proc file system of the PID namespace of
// the calling process, whose PID is self, and returns its stat there.
func ownProc(root string, self int) (procfs.Stat, error) {
	var fs unix.Statfs_t
	if err := unix.Statfs(root, &fs); err != nil {
		return procfs.Stat{}, fmt.Errorf("%s is not mounted (%v)", root, err)
	}
	if fs.Type != unix.PROC_SUPER_MAGIC {
		return procfs.Stat{}, fmt.Errorf("%s is not mounted (no proc file system there)", root)
	}
	// /proc/self names the reader in the namespace of the mount; in an
	// unrelated namespace it does not resolve.
	link, err := os.Readlink(root + "/self")
	if err != nil {
		return procfs.Stat{}, fmt.Errorf("%s belongs to another PID namespace (%s/self: %v)", root, root, err)
	}
	if link != strconv.Itoa(self) {
		return procfs.Stat{}, fmt.Errorf("%s belongs to another PID namespace (%s/self is %s, this process is %d)", root, root, link, self)
	}
	// Equal numbers could be chance: the IDs in every namespace from the
	// mount's down to ours must be just one.
	ids, err := procfs.ReadNSTgid(root, self)
	if err != nil {
		return procfs.Stat{}, fmt.Errorf("cannot tell the PID namespace of %s: %v", root, err)
	}
	if len(ids) != 1 {
		return procfs.Stat{}, fmt.Errorf("%s belongs to an outer PID namespace (this process is %d there)", root, ids[0])
	}
	st, err := procfs.ReadStat(root, self)
	if err != nil {
		return procfs.Stat{}, fmt.Errorf("cannot read %s/%d/stat: %v", root, self, err)
	}
	return st, nil
}

// probePidfd checks that pidfds can be opened and signalled through, with
// the calling process itself and the null signal.
func probePidfd() error {
	fd, err := unix.PidfdOpen(os.Getpid(), 0)
	if err != nil {
		return fmt.Errorf("pidfd_open: %v", err)
	}
	defer unix.Close(fd)
	if err := unix.PidfdSendSignal(fd, 0, nil, 0); err != nil {
		return fmt.Errorf("pidfd_send_signal: %v", err)
	}
	return nil
}
