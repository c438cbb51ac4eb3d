// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// measureAll checks that both servers answer alike, then runs every
// workload at every client count, on Préau then on slapd.
func (b *bench) measureAll(ctx context.Context) error {
	p, base := b.p, b.o.base
	reader, readerPW := b.snap.PersonByLogin(p.admin.Login).DN, p.passwords[p.admin.Login]
	logins := make([]string, len(p.people))
	for i, pp := range p.people {
		logins[i] = pp.Login
	}
	classDNs := make([]string, len(p.classes))
	for i, c := range p.classes {
		classDNs[i] = c.dn(base)
	}
	checked, err := verify(b.servers, base, logins, classDNs, b.o.verifyStride, reader, readerPW)
	if err != nil {
		return err
	}
	say("both servers answer %d checked requests (every class, every %dth login) identically", checked, b.o.verifyStride)
	say("placement while measuring: %s", b.o.placement())

	dns, pws := make([]string, len(p.bindUsers)), make([]string, len(p.bindUsers))
	for i, l := range p.bindUsers {
		dns[i], pws[i] = b.snap.PersonByLogin(l).DN, p.passwords[l]
	}
	for _, r := range []struct {
		w         workload
		clients   []int
		latencies []float64
	}{
		{searchUID(base, logins), b.o.clients, []float64{50, 99}},
		{searchClass(base, classDNs), b.o.clients, []float64{50, 99}},
		{bindUser(dns, pws), b.o.bindClients, []float64{99}},
	} {
		if !b.o.workloads[r.w.name] {
			continue
		}
		for _, c := range r.clients {
			var res [2]result
			for i, s := range b.servers {
				if !b.o.servers[s.name] {
					continue
				}
				if res[i], err = b.measureOne(ctx, s, r.w, c, reader, readerPW); err != nil {
					return err
				}
			}
			name := fmt.Sprintf("ldap-%s-c%d", r.w.name, c)
			b.rep.add(name, res[0].rate(), res[1].rate(), "ops/s")
			for _, q := range r.latencies {
				b.rep.add(fmt.Sprintf("%s-p%g", name, q), res[0].pct(q), res[1].pct(q), "ms")
			}
			b.rep.add(name+"-socket-p99", res[0].socketPct(99), res[1].socketPct(99), "ms")
		}
	}
	return nil
}

// measureOne runs w with c clients on s, under a CPU profile of the Préau
// server when asked, and prints what it measured.
func (b *bench) measureOne(ctx context.Context, s server, w workload, c int, reader, readerPW string) (result, error) {
	// The same placement for both servers: the server's threads on
	// -server-cpus, the clients' on -client-cpus.
	if err := pin(s.pid, b.o.serverCPUs); err != nil {
		return result{}, err
	}
	if err := pin(os.Getpid(), b.o.clientCPUs); err != nil {
		return result{}, err
	}
	if b.o.clientProcs > 0 {
		runtime.GOMAXPROCS(b.o.clientProcs)
	}
	profile := s.name == "preau" && b.o.profileDir != ""
	if profile {
		f := filepath.Join(b.o.profileDir, fmt.Sprintf("preau-%s-c%d.pprof", w.name, c))
		if _, err := b.pre.command("profile " + f); err != nil {
			return result{}, err
		}
	}
	if s.name == "preau" {
		if _, err := b.pre.command("runtime"); err != nil {
			return result{}, err
		}
	}
	r, err := measure(ctx, s, w, c, b.o.warmup, b.o.duration, reader, readerPW)
	if err != nil {
		return result{}, err
	}
	if profile {
		if _, err := b.pre.command("stop"); err != nil {
			return result{}, err
		}
		f := filepath.Join(b.o.profileDir, fmt.Sprintf("preau-%s-c%d.allocs", w.name, c))
		if _, err := b.pre.command("allocs " + f); err != nil {
			return result{}, err
		}
	}
	rt := ""
	if s.name == "preau" {
		if rt, err = b.pre.command("runtime"); err != nil {
			return result{}, err
		}
	}
	ops := float64(max(r.ops, 1))
	say("%-5s c=%-2d %-5s %9.1f ops/s  p50 %7.3f ms  p99 %7.3f ms (at the socket %.3f, %.3f)  server CPU %6.0f µs/op  client CPU %5.0f µs/op  context switches/op server %.2f client %.2f",
		w.name, c, s.name, r.rate(), r.pct(50), r.pct(99), r.socketPct(50), r.socketPct(99), r.cpuPerOp(),
		float64(r.clientCPU)/float64(time.Microsecond)/ops, float64(r.serverCS)/ops, float64(r.clientCS)/ops)
	if rt != "" {
		say("      Préau runtime (warm-up included): %s", rt)
	}
	return r, nil
}
