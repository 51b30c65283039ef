// Package proctree starts an *exec.Cmd so that the command and everything it
// spawns can later be stopped together, and reaped.
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
//	t, err := proctree.Start(cmd, nil)
//	if err != nil { ... }
//	defer t.Stop(context.Background()) // SIGTERM, grace, SIGKILL, reap
//	err = t.Wait()                      // instead of cmd.Wait
//
// Start replaces cmd.Cancel (which exec.CommandContext sets to
// cmd.Process.Kill) with a tree-wide Stop, so cancelling ctx stops the whole
// tree; cmd.WaitDelay keeps its os/exec meaning (after it, os/exec kills the
// direct child and closes the pipes) and is the default grace period. Do not
// call cmd.Wait yourself: Start runs it in a goroutine, and Tree.Wait returns
// its result.
//
// # Modes and what they guarantee
//
// Cgroup mode (the airtight mode). The command runs in a cgroup made for it.
// On cgroup v2 the child is created inside the cgroup by clone3
// (SysProcAttr.UseCgroupFD), so there is no instant where it or any of its
// descendants is outside; Stop kills with cgroup.kill, which the kernel
// applies atomically to every member, including ones forking at that moment.
// On cgroup v1 proctree uses the freezer controller: the goroutine that
// starts the command is locked to its OS thread, that one thread is moved
// into the new freezer cgroup, the command is started (a forked child inherits
// the forking thread's cgroups), and the thread is moved back; so again the
// child is born inside. Stop freezes the cgroup (nothing can fork any more),
// SIGKILLs every member, thaws it so the kills are delivered, and removes
// the cgroup. The v1 freezer alone suffices: a frozen fork bomb cannot
// outrun the kill, so the pids controller is not needed. Guarantee: every
// descendant, however it detached, is stopped, unless a privileged process
// moves it out of the cgroup. Needs permission to create cgroups (usually
// root). The v1 path and the v2 path are both tested on a hybrid-hierarchy
// machine (v1 controllers plus the v2 unified hierarchy at
// /sys/fs/cgroup/unified); a pure v2 system (cgroup2 at /sys/fs/cgroup) uses
// the same v2 code but was not tested, and on pure v2 the caller's own
// cgroup must allow a child cgroup with processes in it.
//
// Process-group mode (the best-effort mode, needs no privilege). The command
// gets its own process group (SysProcAttr.Setpgid, unless Setsid is set),
// and the calling process becomes a child subreaper (prctl
// PR_SET_CHILD_SUBREAPER), so descendants orphaned by their parent's exit are
// reparented to us instead of to PID 1. A process is a member of the tree if
// it is (a) the direct child, (b) in its process group, (c) in a session or
// process group whose leader was a member, (d) an orphan reparented to us
// whose environment carries the tree's tag (the variable named by TagEnv,
// which Start adds to cmd.Env; disable with Options.NoTag), (e) a member
// seen earlier, identified by (pid, start time) so that a reused pid is never
// taken for it, or (f) a descendant of any member. Membership is refreshed by
// scanning /proc at Start, every Options.ScanInterval, on every SIGCHLD, and
// repeatedly during Stop. Guarantee: all processes that stay in the group or
// session of a member, keep the tag in their environment, or were seen by a
// scan are stopped. Not guaranteed: a process that detaches (setsid or
// double fork) before any scan saw its detaching ancestor, and also clears
// or rewrites its environment (env -i), is not recognised; nor is a
// descendant that gets reparented to some other subreaper or PID 1 because a
// subreaper sits between us and it.
//
// # Signals and reaping
//
// Members are signalled through pidfds (pidfd_open, then the start time is
// checked, then pidfd_send_signal), so a pid reused after a member died is
// never signalled; the process group is signalled with kill(-pgid), which is
// safe because a pgid is not reused while the group has members. If pidfds
// are not available, kill(pid) is used.
//
// Subreaper is a process-wide attribute: after the first Start the calling
// process is a child subreaper for the rest of its life, and every orphan
// among its descendants is reparented to it, including orphans of commands
// not started by proctree. proctree reaps only members of its trees, and
// only one at a time by pid (waitid P_PIDFD, never wait(-1)), so os/exec and
// other code in the same program that wait for their own children are never
// robbed of an exit status. Orphans that are not members of a tree are
// left alone: if the program starts other commands whose descendants
// daemonise, it must reap those itself (or run proctree on them too). The
// direct child is reaped by cmd.Wait in the goroutine started by Start.
//
// Zombie members orphaned to us are reaped on SIGCHLD while the tree runs,
// and by Stop. Always call Stop, even after the direct child exited: it is
// what ends the tree's background goroutine, closes its pidfds and removes
// its cgroup; it returns at once when nothing is left.
package proctree
