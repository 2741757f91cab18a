package redistest

import (
	"fmt"
	"net"
)

// freePort returns a loopback TCP port that was free a moment ago: the
// kernel picks it for a listener that is closed at once. Another process
// may take it before redis-server binds it; callers retry on errBind.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
