// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"time"
)

// server is one server under test.
type server struct {
	name string // "preau" or "slapd"
	addr string
	pid  int
}

// workload is one kind of operation, repeated by every client.
type workload struct {
	name string
	// reader: each client binds once as the read-only identity before
	// the clock starts (the search workloads).
	reader bool
	op     func(c *wireConn, r *rand.Rand) error
}

// result is what one run measured.
type result struct {
	ops       int
	elapsed   time.Duration
	lat       []time.Duration // sorted, as the clients saw them
	socket    []time.Duration // sorted, until the answer reached the client's socket (empty: unknown)
	serverCPU time.Duration   // CPU the server used while measured
	clientCPU time.Duration   // CPU this process (the clients) used
	serverCS  int64           // the server's context switches, all threads
	clientCS  int64           // this process's context switches
}

func (r result) rate() float64 { return float64(r.ops) / r.elapsed.Seconds() }

// pct returns the p-th percentile latency in milliseconds.
func (r result) pct(p float64) float64 { return percentile(r.lat, p) }

// socketPct returns the p-th percentile of the times until the answers
// reached the clients' sockets, in milliseconds (NaN when unknown).
func (r result) socketPct(p float64) float64 {
	if len(r.socket) < len(r.lat) {
		return math.NaN()
	}
	return percentile(r.socket, p)
}

// percentile returns the p-th percentile of sorted in milliseconds.
func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := min(int(p/100*float64(len(sorted))), len(sorted)-1)
	return float64(sorted[i]) / float64(time.Millisecond)
}

// cpuPerOp returns the server's CPU time per operation in microseconds.
func (r result) cpuPerOp() float64 {
	return float64(r.serverCPU) / float64(time.Microsecond) / float64(max(r.ops, 1))
}

// measure runs w on srv from clients connections, each its own goroutine
// with its own random sequence, for warm + dur; operations that start
// during the warm-up are not counted. Each operation is timed twice: as
// its client saw it (from before the request's write until the answer is
// read and checked) and until the answer's last segment reached the
// client's socket (the kernel's receive timestamp). On a machine where
// the clients share the cores with the server, the first includes the
// clients' own waits for a core after the answer arrived; the second is
// the server's answer time as a client on a machine of its own would see
// it, less that client's reading. Any failed operation ends the run
// with an error: both servers must answer every request correctly.
func measure(ctx context.Context, srv server, w workload, clients int, warm, dur time.Duration, readerDN, readerPW string) (result, error) {
	conns := make([]*wireConn, clients)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	for i := range conns {
		c, err := dialWire(srv.addr)
		if err != nil {
			return result{}, err
		}
		conns[i] = c
		if w.reader {
			if err := c.bind(readerDN, readerPW); err != nil {
				return result{}, fmt.Errorf("binding as %s: %w", readerDN, err)
			}
		}
	}
	begin := time.Now()
	from, until := begin.Add(warm), begin.Add(warm+dur)
	lats, sockets := make([][]time.Duration, clients), make([][]time.Duration, clients)
	errs := make([]error, clients)
	var wg sync.WaitGroup
	type mark struct {
		cpu [2]time.Duration
		cs  [2]int64
	}
	cpu0 := make(chan mark, 1)
	go func() { // CPU times when counting starts
		time.Sleep(time.Until(from))
		cpu0 <- mark{[2]time.Duration{cpuTime(srv.pid), cpuTime(os.Getpid())},
			[2]int64{ctxSwitches(srv.pid), ctxSwitches(os.Getpid())}}
	}()
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 42))
			lat, socket := make([]time.Duration, 0, 1<<14), make([]time.Duration, 0, 1<<14)
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(until) {
					break
				}
				if err := w.op(c, r); err != nil {
					errs[i] = err
					return
				}
				if !t0.Before(from) {
					lat = append(lat, time.Since(t0))
					if rx := c.received(); rx != 0 {
						socket = append(socket, time.Duration(max(rx-t0.UnixNano(), 0)))
					}
				}
			}
			lats[i], sockets[i] = lat, socket
		}()
	}
	wg.Wait()
	end := time.Now()
	c0 := <-cpu0
	res := result{elapsed: end.Sub(from), serverCPU: cpuTime(srv.pid) - c0.cpu[0], clientCPU: cpuTime(os.Getpid()) - c0.cpu[1],
		serverCS: ctxSwitches(srv.pid) - c0.cs[0], clientCS: ctxSwitches(os.Getpid()) - c0.cs[1]}
	for i := range lats {
		if errs[i] != nil {
			return result{}, fmt.Errorf("%s on %s: %w", w.name, srv.name, errs[i])
		}
		res.lat = append(res.lat, lats[i]...)
		res.socket = append(res.socket, sockets[i]...)
	}
	if err := ctx.Err(); err != nil {
		return result{}, err
	}
	slices.Sort(res.lat)
	slices.Sort(res.socket)
	res.ops = len(res.lat)
	return res, nil
}
