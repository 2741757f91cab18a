package redistest

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// DelayProxy forwards TCP to a Redis server and holds every reply for a
// settable delay: a slow Redis (or network) without touching Redis.
type DelayProxy struct {
	ln       net.Listener
	upstream string
	delay    atomic.Int64

	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
}

// NewDelayProxy listens on a free loopback port and forwards to upstream;
// it is closed in tb.Cleanup.
func NewDelayProxy(tb testing.TB, upstream string) *DelayProxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &DelayProxy{ln: ln, upstream: upstream}
	p.wg.Go(p.accept)
	tb.Cleanup(p.Close)
	return p
}

// Addr is the address clients connect to instead of Redis.
func (p *DelayProxy) Addr() string { return p.ln.Addr().String() }

// SetDelay sets how long every reply is held from now on.
func (p *DelayProxy) SetDelay(d time.Duration) { p.delay.Store(int64(d)) }

func (p *DelayProxy) accept() {
	for {
		down, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.upstream)
		if err != nil {
			_ = down.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, down, up)
		p.mu.Unlock()
		p.wg.Go(func() {
			_, _ = io.Copy(up, down)
			_ = up.Close()
			_ = down.Close()
		})
		p.wg.Go(func() {
			buf := make([]byte, 32<<10)
			for {
				n, err := up.Read(buf)
				if n > 0 {
					time.Sleep(time.Duration(p.delay.Load()))
					if _, werr := down.Write(buf[:n]); werr != nil {
						err = werr
					}
				}
				if err != nil {
					_ = up.Close()
					_ = down.Close()
					return
				}
			}
		})
	}
}

// Close stops the proxy and every connection through it.
func (p *DelayProxy) Close() {
	_ = p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}
