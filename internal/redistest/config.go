package redistest

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/martyedge/security/pkg/session"
)

// TestTimeout replaces the production Redis timeouts in tests that are not
// about timeouts: a race-detector run on a shared CI machine can stall a
// round trip for longer than 50 ms.
const TestTimeout = 2 * time.Second

// prefixes gives every client of a test binary its own key prefix.
var prefixes atomic.Int64

// Config returns a client configuration for addrs with test timeouts and a
// key prefix of its own, so that stores and limiters sharing a server
// never see each other's keys.
func Config(addrs ...string) session.RedisConfig {
	return session.RedisConfig{
		Addrs:        addrs,
		KeyPrefix:    fmt.Sprintf("t%d", prefixes.Add(1)),
		DialTimeout:  TestTimeout,
		ReadTimeout:  TestTimeout,
		WriteTimeout: TestTimeout,
	}
}
