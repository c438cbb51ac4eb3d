// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package core_test

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/preau/preau/internal/core"
)

// CPUs counts the CPUs, not the Go processors: neither a later
// runtime.GOMAXPROCS nor the GOMAXPROCS environment variable moves it.
func TestCPUs(t *testing.T) {
	if os.Getenv("PREAU_TEST_CPUS_CHILD") == "1" {
		os.Stdout.WriteString("CPUS " + strconv.Itoa(core.CPUs()) + " GOMAXPROCS " + strconv.Itoa(runtime.GOMAXPROCS(0)) + "\n")
		return
	}
	cpus := core.CPUs()
	if cpus < 1 || cpus > runtime.NumCPU() {
		t.Fatalf("CPUs() = %d with %d CPUs", cpus, runtime.NumCPU())
	}
	was := runtime.GOMAXPROCS(cpus + 6)
	defer runtime.GOMAXPROCS(was)
	if core.CPUs() != cpus {
		t.Fatalf("CPUs() moved from %d to %d with GOMAXPROCS", cpus, core.CPUs())
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestCPUs$")
	cmd.Env = append(os.Environ(), "PREAU_TEST_CPUS_CHILD=1", "GOMAXPROCS="+strconv.Itoa(cpus+6))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := "CPUS " + strconv.Itoa(runtime.NumCPU()) + " GOMAXPROCS " + strconv.Itoa(cpus+6) + "\n"
	if !strings.Contains(string(out), want) {
		t.Fatalf("with GOMAXPROCS=%d in the environment: %q, want %q", cpus+6, out, want)
	}
}
