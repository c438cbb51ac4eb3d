// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package core

import (
	"os"
	"runtime"
)

// cpus is the number of CPUs the process may use: GOMAXPROCS as Go set it
// before main ran (the CPU count, or a container's CPU limit), or, when
// the GOMAXPROCS environment variable chose it, the CPUs the process may
// run on.
var cpus = func() int {
	if os.Getenv("GOMAXPROCS") != "" {
		return max(runtime.NumCPU(), 1)
	}
	return max(runtime.GOMAXPROCS(0), 1)
}()

// CPUs returns the number of CPUs the process may use, whatever GOMAXPROCS
// says. Pools sized by the CPU time or the memory each member takes
// (argon2id hashing, sealing, compression, parallel builds) are sized on
// it, so that running more Go processors than cores (GOMAXPROCS=8 on a
// two-core directory node: docs/performance.md, "The server's threads")
// puts no more of that work in flight.
func CPUs() int { return cpus }
