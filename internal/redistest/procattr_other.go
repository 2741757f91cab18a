//go:build !linux

package redistest

import "syscall"

// sysProcAttr: no parent-death signal outside Linux; cleanups stop servers.
func sysProcAttr() *syscall.SysProcAttr { return nil }
