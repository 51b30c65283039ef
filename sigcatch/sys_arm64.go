package sigcatch

// System call numbers on linux/arm64.
const (
	sysClose          = 57
	sysGetpid         = 172
	sysKill           = 129
	sysRtSigaction    = 134
	sysRtSigprocmask  = 135
	sysRtSigtimedwait = 137
	sysRead           = 63
	sysSignalfd4      = 74
	sysTgkill         = 131
	sysEventfd2       = 19
)

// The flags of sexton's handlers, as the Go runtime sets its own: the
// siginfo, the alternate stack and restarted system calls; the kernel
// returns through the vDSO's sigreturn.
const saFlags = 0x4 | 0x08000000 | 0x10000000

// restorerPC is unused on arm64.
const restorerPC = 0
