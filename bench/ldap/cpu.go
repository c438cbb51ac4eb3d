// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// cpuTime returns the CPU time (user + system) a process has used, from
// /proc/<pid>/stat, or 0 where there is no /proc. Servers and clients share
// the machine's cores, so CPU per operation says more than ops/s alone on
// a small or busy machine.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const ticksPerSecond = 100 // USER_HZ, 100 on every Linux architecture Go supports
	return time.Duration(utime+stime) * time.Second / ticksPerSecond
}

// ctxSwitches returns the context switches (voluntary + involuntary) of
// every thread of a process, from /proc/<pid>/task/*/status, or 0 where
// there is no /proc. A request that crosses goroutines on different
// threads, or a thread that sleeps and wakes, shows up here: wake-ups per
// operation are a steadier measure of the latency tail's causes than the
// tail itself on a shared machine.
func ctxSwitches(pid int) int64 {
	dirs, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0
	}
	var n int64
	for _, d := range dirs {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/status", pid, d.Name()))
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.HasSuffix(k, "ctxt_switches") {
				x, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				n += x
			}
		}
	}
	return n
}
