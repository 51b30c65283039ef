// Package proctree starts an *exec.Cmd so that the command and everything it
// spawns can later be stopped together.
//
// # The problem
//
// cmd.Process.Kill (and the default cmd.Cancel of exec.CommandContext) kills
// only the direct child. A runner that starts `npm run start`, which starts
// `next start`, leaves `next start` running as an orphan. Killing the process
// group is better but still misses descendants that leave the group: anything
// that calls setsid(2) or setpgid(2), and daemons that double-fork (Chromium's
// zygote does). Those orphans are reparented to PID 1 (or to the nearest child
// subreaper) and nobody knows they belonged to the command.
//
// # Usage
//
//	cmd := exec.CommandContext(ctx, "npm", "run", "start")
//	cmd.WaitDelay = 10 * time.Second // also the default grace period
//	out, _ := cmd.StdoutPipe()       // pipes work as with os/exec
//	t, err := proctree.Start(cmd, nil)
//	if err != nil { ... }
//	defer t.Stop(context.Background()) // polite signal, grace, SIGKILL
//	io.Copy(os.Stdout, out)             // read the pipes to the end,
//	err = t.Wait()                      // then Wait, in place of cmd.Wait
//
// Start replaces cmd.Cancel (which exec.CommandContext sets to
// cmd.Process.Kill) with the beginning of a tree-wide Stop, so cancelling ctx
// stops the whole tree; a custom cmd.Cancel is kept and called first.
// cmd.WaitDelay keeps its os/exec meaning and is the default grace period.
// Wait is cmd.Wait: call it, as with os/exec, after reading the pipes; Done
// is a channel closed when the direct child exits, for select. Always call
// Stop, even after the direct child exited: it releases what Start took
// (the cgroup, the pidfds, the subreaper attribute) and returns at once when
// nothing is left.
//
// Mode reports the mode in effect and Fallback why Auto mode is not in Cgroup
// mode (an error wrapping ErrNoCgroup and its cause, such as EROFS for the
// read-only /sys/fs/cgroup of a default Docker, Podman or CRI-O container).
//
// # Modes and what they guarantee
//
// Cgroup mode (the airtight mode). The command runs in a cgroup made for it
// (proctree-PID-RANDOM, in the caller's own cgroup or Options.CgroupParent).
// On cgroup v2 the child is created inside the cgroup by clone3
// (SysProcAttr.UseCgroupFD), so there is no instant where it or any of its
// descendants is outside; Stop kills with cgroup.kill, which the kernel
// applies atomically to every member, including ones forking at that moment.
// On cgroup v1 proctree uses the freezer controller: the goroutine that
// starts the command is locked to its OS thread, that one thread is moved
// into the new freezer cgroup, the command is started (a forked child
// inherits the forking thread's cgroups), and the thread is moved back; so
// again the child is born inside. Stop freezes the cgroup (nothing can fork
// or exit any more), SIGKILLs every member, thaws it so the kills are
// delivered, and removes the cgroup. Membership is cgroup.procs: nothing is
// scanned. Guarantee: every descendant, however it detached, is stopped,
// unless a privileged process moves it out of the cgroup. Needs a writable
// cgroup file system (root, a private cgroup namespace with /sys/fs/cgroup
// mounted read-write, or a delegated cgroup) and Linux 5.14 on v2 (for
// cgroup.kill). Tested on a hybrid hierarchy (v1 controllers plus the v2
// unified hierarchy at /sys/fs/cgroup/unified); a pure v2 system runs the
// same v2 code.
//
// The directory of a tree's cgroup stays open and flock()ed while the tree
// lives. The first time a process makes a cgroup in a directory, it removes
// the proctree cgroups there that nobody holds locked and that are empty:
// those left by a crash, or by the previous start of a container (whose
// program had the same pid). Cgroups that still hold processes are left
// alone. A name that exists already is never reused, and no such leftover
// makes Auto mode fall back.
//
// Process-group mode (the best-effort mode, needs no privilege). The command
// gets its own process group (SysProcAttr.Setpgid, unless Setsid is set). A
// process is a member of the tree if it is (a) the direct child, (b) in its
// process group, (c) in a session or process group whose leader was a
// member, (d) an orphan, adopted by the caller, by the supervisor that
// adopts the caller's orphans, or by PID 1, whose environment carries the
// tree's tag (the variable named by TagEnv, which Start adds to the
// command's environment; disable with Options.NoTag), (e) a member seen
// before, identified by (pid, start time) so that a reused pid is never
// taken for it, or (f) a descendant of a member. One monitor, shared by all
// trees of the process, scans /proc once every Options.ScanInterval for all
// of them; Members, Signal and Stop scan again (one scan is shared by all
// trees that ask at once). Guarantee: all processes that stay in the group
// or session of a member, keep the tag in their environment, or were seen by
// a scan are stopped. Not guaranteed: a process that detaches (setsid or
// double fork) before any scan saw its detaching ancestor, and also clears
// or rewrites its environment (env -i), is not recognised; nor is one that
// another subreaper, between the caller and it, adopts.
//
// # Orphans, the subreaper attribute, and package pid1
//
// Orphans go to the nearest child subreaper among their ancestors, else to
// PID 1. In Process-group mode, Start makes the calling process a child
// subreaper while at least one such tree lives (and turns the attribute off
// again after the last Stop, unless the process was a subreaper before), so
// that the tree's orphans come to it and carry on being recognised, except
// when Options.NoSubreaper is set, when the caller is PID 1 (it adopts every
// orphan anyway), and when it runs under a pid1 supervisor that reaps
// orphans (package pid1's re-executed child, under a supervisor that is PID
// 1 or a subreaper). Cgroup mode never makes the caller a subreaper: the
// cgroup holds the members wherever they are reparented.
//
// The attribute is process-wide: while it is set, the orphans of every
// command the program starts, not only the tree's, are reparented to the
// program. proctree reaps only members of its trees, one at a time through a
// pidfd (waitid P_PIDFD, never wait(-1)), so that os/exec and any other code
// waiting for its own children keep their exit statuses. Other orphans stay
// zombies until the program reaps them. A program that is PID 1 of its
// container should therefore call pid1.Ensure first: the supervisor then
// reaps every orphan, and proctree leaves the attribute alone.
//
// # Signals
//
// Members are signalled through pidfds (pidfd_open, then the start time is
// checked, then pidfd_send_signal), so a pid reused after a member died is
// never signalled. The process group is signalled with kill(-pgid) only
// while a member known to belong to it still exists, so the group id cannot
// have been reused. (pid, start time) identifies a process as long as its pid
// is not reused within the same clock tick (10 ms). Start needs pidfds
// (Linux 5.3).
package proctree
