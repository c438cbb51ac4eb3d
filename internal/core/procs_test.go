// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package core_test

import (
	"runtime"
	"testing"

	"github.com/preau/preau/internal/core"
)

// ServerProcs raises GOMAXPROCS to MinServerProcs unless the environment
// sets it, and never changes CPUs, which CPU-sized pools use.
func TestServerProcs(t *testing.T) {
	was := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(was) })
	cpus := core.CPUs()
	if cpus < 1 {
		t.Fatalf("CPUs() = %d", cpus)
	}
	runtime.GOMAXPROCS(1)
	env := map[string]string{"GOMAXPROCS": "1"}
	if got := core.ServerProcs(func(k string) string { return env[k] }); got != 1 {
		t.Fatalf("GOMAXPROCS=1 in the environment: ServerProcs gave %d Ps, want 1", got)
	}
	env["GOMAXPROCS"] = "not a number" // Go ignores it too
	if got := core.ServerProcs(func(k string) string { return env[k] }); got != core.MinServerProcs {
		t.Fatalf("unusable GOMAXPROCS: %d Ps, want %d", got, core.MinServerProcs)
	}
	runtime.GOMAXPROCS(core.MinServerProcs + 4)
	if got := core.ServerProcs(func(string) string { return "" }); got != core.MinServerProcs+4 {
		t.Fatalf("more Ps than the minimum already: ServerProcs gave %d, want them kept", got)
	}
	if core.CPUs() != cpus {
		t.Fatalf("CPUs() moved from %d to %d with GOMAXPROCS", cpus, core.CPUs())
	}
}
