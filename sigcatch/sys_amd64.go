package sigcatch

// System call numbers on linux/amd64.
const (
	sysClose          = 3
	sysGetpid         = 39
	sysKill           = 62
	sysRtSigaction    = 13
	sysRtSigprocmask  = 14
	sysRtSigtimedwait = 128
	sysRead           = 0
	sysSignalfd4      = 289
	sysTgkill         = 234
	sysEventfd2       = 290
)

// The flags of sexton's handlers, as the Go runtime sets its own: the
// siginfo, the alternate stack, restarted system calls, and (required on
// amd64) a restorer of our own, sigreturn.
const saFlags = 0x4 | 0x08000000 | 0x10000000 | 0x04000000

// restorerPC is sigreturn's address (set in the assembly file).
var restorerPC uintptr

// sigreturn is the restorer; it is not called from Go.
//
//lint:ignore U1000 referenced from the assembly (restorerPC).
func sigreturn()
