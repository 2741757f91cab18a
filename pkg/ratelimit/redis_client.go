package ratelimit

import "fmt"

// unavailable wraps a go-redis error so that errors.Is(err,
// ErrUnavailable) holds and the cause (context.DeadlineExceeded,
// *net.OpError, a Redis error reply) stays reachable. Keys never appear
// in it.
func unavailable(op string, err error) error {
	return fmt.Errorf("redis %s: %w: %w", op, ErrUnavailable, err)
}
