// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// pin restricts every thread of process pid to the CPUs in list ("0",
// "1", "0-1", "0,2"): threads started later inherit the mask of the thread
// that starts them, so the whole process stays there. Go processes notice
// the change and lower GOMAXPROCS within about a second (Go ≥ 1.25); the
// warm-up covers it. An empty list does nothing.
func pin(pid int, list string) error {
	if list == "" {
		return nil
	}
	var set unix.CPUSet
	for _, f := range strings.Split(list, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(f), "-")
		a, err := strconv.Atoi(lo)
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(hi)
		}
		if err != nil || a < 0 || b < a {
			return fmt.Errorf("bad CPU list %q", list)
		}
		for c := a; c <= b; c++ {
			set.Set(c)
		}
	}
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return err
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := unix.SchedSetaffinity(tid, &set); err != nil && err != unix.ESRCH {
			return fmt.Errorf("pinning thread %d of %d to CPUs %s: %w", tid, pid, list, err)
		}
	}
	return nil
}

// splitCPUs divides the CPUs this process may use between the server under
// test and the load generator: the last quarter (at least one CPU) to the
// clients, the rest to the server. ok is false with fewer than two CPUs.
func splitCPUs() (server, clients string, ok bool) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return "", "", false
	}
	var ids []string
	for c := range len(set) * 64 {
		if set.IsSet(c) {
			ids = append(ids, strconv.Itoa(c))
		}
	}
	if len(ids) < 2 {
		return "", "", false
	}
	k := max(len(ids)/4, 1)
	return strings.Join(ids[:len(ids)-k], ","), strings.Join(ids[len(ids)-k:], ","), true
}
