package sigcatch

// rawSyscall6 makes a system call without telling the scheduler: only for
// calls that cannot block.
func rawSyscall6(nr, a1, a2, a3, a4, a5, a6 uintptr) (r, errno uintptr)

// swap32 and swap64 atomically store v at p and return what was there.
func swap32(p *uint32, v uint32) uint32
func swap64(p *uint64, v uint64) uint64

// Error is a system call that failed.
type Error struct {
	Op    string
	Errno uintptr
}

func (e *Error) Error() string {
	return "sigcatch: " + e.Op + ": errno " + itoa(e.Errno)
}

func itoa(n uintptr) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for ; n > 0; n /= 10 {
		i--
		b[i] = byte('0' + n%10)
	}
	return string(b[i:])
}
