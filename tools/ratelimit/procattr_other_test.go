//go:build !linux

package ratelimit

import "syscall"

// sysProcAttr: no parent-death signal outside Linux; cleanups stop the
// service.
func sysProcAttr() *syscall.SysProcAttr { return nil }
