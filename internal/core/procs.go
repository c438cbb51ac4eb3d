// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package core

import (
	"runtime"
	"strconv"
)

// cpus is GOMAXPROCS as Go set it before main ran: the machine's CPU
// count, or a container's CPU limit, or the GOMAXPROCS environment
// variable.
var cpus = max(runtime.GOMAXPROCS(0), 1)

// CPUs returns the number of CPUs the process may use, as counted at start,
// whatever GOMAXPROCS became since (ServerProcs raises it). Pools sized by
// the CPU time or the memory each member takes (argon2id hashing, sealing,
// compression, parallel builds) are sized on it, so that raising
// GOMAXPROCS adds no work in flight.
func CPUs() int { return cpus }

// MinServerProcs is the fewest Go processors (Ps) a server runs with; see
// ServerProcs.
const MinServerProcs = 8

// ServerProcs gives a server process at least MinServerProcs Go processors,
// even on a machine with fewer cores, unless the environment variable
// GOMAXPROCS (getenv's answer) sets them. It returns the number in effect.
//
// Why: with one P per core, each P is served by one OS thread. When the
// kernel gives that thread's core to another process for a time slice
// (several milliseconds), the goroutines queued on that P wait it out: on
// a two-core school server also running PostgreSQL or a backup, an LDAP
// search of 0.2 ms then answers in 4 ms. With more Ps than cores the
// kernel schedules more threads, each for its own share, as slapd's or
// Apache's worker threads are; throughput stays the same and the tail
// shrinks (docs/performance.md, "The server's threads"). Work in flight
// does not grow: CPU-sized pools use CPUs, not GOMAXPROCS.
func ServerProcs(getenv func(string) string) int {
	if v := getenv("GOMAXPROCS"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			return runtime.GOMAXPROCS(0)
		}
	}
	if runtime.GOMAXPROCS(0) < MinServerProcs {
		runtime.GOMAXPROCS(MinServerProcs)
	}
	return runtime.GOMAXPROCS(0)
}
