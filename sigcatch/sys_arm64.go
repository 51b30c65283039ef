package sigcatch

// System call numbers on linux/arm64.
const (
	sysClose          = 57
	sysGetpid         = 172
	sysKill           = 129
	sysRtSigaction    = 134
	sysRtSigprocmask  = 135
	sysRtSigtimedwait = 137
	sysEventfd2       = 19
)
