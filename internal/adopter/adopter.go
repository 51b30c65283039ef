// Package adopter records which process adopts, and reaps, the orphans of
// this process's descendants. Package pid1 sets it in the child it
// supervises when the supervisor reaps orphans (it is PID 1, or a child
// subreaper); package proctree reads it to decide whether it needs to make
// the process a child subreaper itself, and where to look for a tree's
// orphans.
package adopter

import "sync/atomic"

var pid atomic.Int64

// Set records that process p adopts and reaps this process's orphans.
func Set(p int) { pid.Store(int64(p)) }

// PID returns the process recorded by Set, or 0 if none was.
func PID() int { return int(pid.Load()) }
