package sigcatch

// System call numbers on linux/amd64.
const (
	sysClose          = 3
	sysGetpid         = 39
	sysKill           = 62
	sysRtSigaction    = 13
	sysRtSigprocmask  = 14
	sysRtSigtimedwait = 128
	sysEventfd2       = 290
)
