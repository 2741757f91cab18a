package redistest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// commandTimeout bounds one command of the harness.
const commandTimeout = 2 * time.Second

// command sends one command to addr over a fresh connection and returns a
// simple-string, integer or bulk-string reply. It is the harness's own
// minimal RESP2 client: the harness must not depend on the client under
// test to tell whether a server is up.
func command(ctx context.Context, addr string, args ...string) (string, error) {
	return roundTrip(ctx, addr, args, readReply)
}

// commandList is command for a reply that is an array of such replies (nil
// for a null array), e.g. SENTINEL get-master-addr-by-name.
func commandList(ctx context.Context, addr string, args ...string) ([]string, error) {
	return roundTrip(ctx, addr, args, readArray)
}

func roundTrip[T any](ctx context.Context, addr string, args []string, read func(*bufio.Reader) (T, error)) (T, error) {
	var zero T
	d := net.Dialer{Timeout: commandTimeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return zero, err
	}
	defer conn.Close()
	deadline := time.Now().Add(commandTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := conn.SetDeadline(deadline); err != nil {
		return zero, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(conn, b.String()); err != nil {
		return zero, err
	}
	return read(bufio.NewReader(conn))
}

func readArray(r *bufio.Reader) ([]string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if strings.HasPrefix(line, "-") {
		return nil, fmt.Errorf("redis error: %s", line[1:])
	}
	if !strings.HasPrefix(line, "*") {
		return nil, fmt.Errorf("want an array reply, got %q", line)
	}
	n, err := strconv.Atoi(line[1:])
	if err != nil || n < -1 {
		return nil, fmt.Errorf("bad array reply %q", line)
	}
	if n == -1 {
		return nil, nil
	}
	out := make([]string, n)
	for i := range out {
		if out[i], err = readReply(r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func readReply(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return "", errors.New("empty reply")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", fmt.Errorf("redis error: %s", line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "", fmt.Errorf("bad bulk reply %q", line)
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	default:
		return "", fmt.Errorf("unsupported reply %q", line)
	}
}
