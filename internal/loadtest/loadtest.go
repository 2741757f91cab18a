// Package loadtest drives an envoy.service.auth.v3.Authorization server
// over real gRPC connections and reports throughput and latency
// percentiles. It runs closed-loop (a fixed number of workers, each sending
// the next Check as soon as the last one returns) to find capacity, and
// open-loop (requests started on a fixed schedule whatever the latency) to
// measure latency at a given load without coordinated omission.
package loadtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// Result is what one run measured.
type Result struct {
	Requests int
	Errors   int
	// Denied counts responses with a non-zero status: a load run on the
	// allow path expects none.
	Denied int
	// SendLagP99 (open loop only) is how late the generator sent the 99th
	// percentile request against its schedule.
	SendLagP99 time.Duration
	// Completed counts every answered call, warm-up included, to divide
	// the server's CPU time by.
	Completed int
	// ServerCPU is the CPU time (user+system) the server process used per
	// completed call, when it ran in its own process; 0 otherwise.
	ServerCPU time.Duration
	// FirstError is the first RPC error seen, to explain Errors.
	FirstError string
	Duration   time.Duration
	P50        time.Duration
	P99        time.Duration
	P999       time.Duration
	Max        time.Duration
}

// RPS is the completed requests per second.
func (r Result) RPS() float64 {
	if r.Duration <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Duration.Seconds()
}

func (r Result) String() string {
	s := fmt.Sprintf("%9.0f req/s  p50 %8s  p99 %8s  p99.9 %8s  max %8s  (%d requests, %d denied, %d errors)",
		r.RPS(), r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.P999.Round(time.Microsecond),
		r.Max.Round(time.Microsecond), r.Requests, r.Denied, r.Errors)
	if r.ServerCPU > 0 {
		s += fmt.Sprintf("  server CPU %s/Check", r.ServerCPU.Round(100*time.Nanosecond))
	}
	if r.SendLagP99 > 0 {
		s += fmt.Sprintf("  send lag p99 %s", r.SendLagP99.Round(time.Microsecond))
	}
	return s
}

// Target is a server to load.
type Target struct {
	Addr string
	// Conns is the number of HTTP/2 connections, as Envoy keeps a few per
	// authz cluster host.
	Conns int
}

// client holds the connections to a target.
type client struct {
	conns []*grpc.ClientConn
	stubs []authv3.AuthorizationClient
}

func dial(t Target) (*client, error) {
	n := max(t.Conns, 1)
	c := &client{}
	for range n {
		cc, err := grpc.NewClient(t.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			c.close()
			return nil, fmt.Errorf("dial %s: %w", t.Addr, err)
		}
		c.conns = append(c.conns, cc)
		c.stubs = append(c.stubs, authv3.NewAuthorizationClient(cc))
	}
	return c, nil
}

func (c *client) close() {
	for _, cc := range c.conns {
		_ = cc.Close()
	}
}

// recorder gathers latencies from many goroutines.
type recorder struct {
	mu        sync.Mutex
	latencies []time.Duration
	errors    atomic.Int64
	completed atomic.Int64 // every answered call, warm-up included
	firstErr  atomic.Value // string
	denied    atomic.Int64
}

func (r *recorder) add(batch []time.Duration) {
	r.mu.Lock()
	r.latencies = append(r.latencies, batch...)
	r.mu.Unlock()
}

func (r *recorder) result(d time.Duration) Result {
	res := Result{Requests: len(r.latencies), Errors: int(r.errors.Load()), Denied: int(r.denied.Load()), Duration: d}
	res.Completed = int(r.completed.Load())
	if e, ok := r.firstErr.Load().(string); ok {
		res.FirstError = e
	}
	if len(r.latencies) == 0 {
		return res
	}
	slices.Sort(r.latencies)
	q := func(p float64) time.Duration {
		return r.latencies[min(len(r.latencies)-1, int(p*float64(len(r.latencies))))]
	}
	res.P50, res.P99, res.P999, res.Max = q(0.50), q(0.99), q(0.999), r.latencies[len(r.latencies)-1]
	return res
}

func (r *recorder) call(ctx context.Context, stub authv3.AuthorizationClient, req *authv3.CheckRequest) (time.Duration, bool) {
	start := time.Now()
	resp, err := stub.Check(ctx, req)
	lat := time.Since(start)
	if err != nil {
		// The run's deadline can expire inside gRPC a moment before ctx
		// reports it; those calls were cut by the run, not failed.
		if ctx.Err() == nil && status.Code(err) != codes.DeadlineExceeded {
			if r.errors.Add(1) == 1 {
				r.firstErr.Store(err.Error())
			}
		}
		return lat, false
	}
	r.completed.Add(1)
	if resp.GetStatus().GetCode() != 0 {
		r.denied.Add(1)
	}
	return lat, true
}

// ClosedLoop runs workers that each send Checks back to back for d after a
// warm-up, and reports what completed inside d.
func ClosedLoop(ctx context.Context, t Target, req *authv3.CheckRequest, workers int, warmup, d time.Duration) (Result, error) {
	if workers < 1 {
		return Result{}, errors.New("workers must be at least 1")
	}
	c, err := dial(t)
	if err != nil {
		return Result{}, err
	}
	defer c.close()
	rec := &recorder{}
	start := time.Now()
	measureFrom := start.Add(warmup)
	end := measureFrom.Add(d)
	ctx, cancel := context.WithDeadline(ctx, end)
	defer cancel()
	var wg sync.WaitGroup
	for w := range workers {
		stub := c.stubs[w%len(c.stubs)]
		wg.Go(func() {
			batch := make([]time.Duration, 0, 4096)
			for ctx.Err() == nil {
				sent := time.Now()
				lat, ok := rec.call(ctx, stub, req)
				if ok && sent.After(measureFrom) && sent.Add(lat).Before(end) {
					batch = append(batch, lat)
				}
			}
			rec.add(batch)
		})
	}
	wg.Wait()
	return rec.result(d), nil
}

// OpenLoop starts Checks at a fixed rate for d (after a warm-up at the same
// rate) regardless of how long earlier ones take, so a slow server cannot
// slow the load down (no coordinated omission). Latency is measured from
// the moment each request is sent; how late the generator itself sent
// requests against the schedule is reported as SendLagP99, so a run where
// the generator could not keep up is visible. inflight is both the number
// of senders and the queue length: a request that finds the queue full
// counts as an error.
func OpenLoop(ctx context.Context, t Target, req *authv3.CheckRequest, rate float64, inflight int, warmup, d time.Duration) (Result, error) {
	if rate <= 0 {
		return Result{}, errors.New("rate must be positive")
	}
	c, err := dial(t)
	if err != nil {
		return Result{}, err
	}
	defer c.close()
	rec := &recorder{}
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	measureFrom := start.Add(warmup)
	end := measureFrom.Add(d)
	// A fixed pool of senders takes scheduled slots from a queue: no
	// goroutine is created per request, and a full queue (the server
	// cannot keep up) is counted instead of growing without bound.
	slots := make(chan time.Time, max(inflight, 1))
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		lat, lag []time.Duration
	)
	for w := range max(inflight, 1) {
		stub := c.stubs[w%len(c.stubs)]
		wg.Go(func() {
			var myLat, myLag []time.Duration
			for at := range slots {
				late := time.Since(at)
				l, ok := rec.call(ctx, stub, req)
				if ok && !at.Before(measureFrom) {
					myLat = append(myLat, l)
					myLag = append(myLag, late)
				}
			}
			mu.Lock()
			lat, lag = append(lat, myLat...), append(lag, myLag...)
			mu.Unlock()
		})
	}
	for i := 0; ; i++ {
		at := start.Add(time.Duration(i) * interval)
		if !at.Before(end) || ctx.Err() != nil {
			break
		}
		if wait := time.Until(at); wait > 0 {
			time.Sleep(wait)
		}
		select {
		case slots <- at:
		default:
			rec.errors.Add(1)
		}
	}
	close(slots)
	wg.Wait()
	rec.add(lat)
	res := rec.result(d)
	if len(lag) > 0 {
		slices.Sort(lag)
		res.SendLagP99 = lag[min(len(lag)-1, len(lag)*99/100)]
	}
	return res, nil
}
