package ratelimit

import "syscall"

// sysProcAttr makes the kernel kill the service if the test process dies
// without running its cleanups (go test -timeout, a crash).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
