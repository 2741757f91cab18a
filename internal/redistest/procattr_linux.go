package redistest

import "syscall"

// sysProcAttr makes the kernel kill redis-server if the test process dies
// without running its cleanups (go test -timeout, a crash), so no server is
// left holding a port. Pdeathsig follows the thread that started the
// child; the Go runtime does not end threads that goroutines merely ran on.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
