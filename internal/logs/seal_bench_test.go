// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package logs

import (
	"fmt"
	"syscall"
	"testing"
	"time"
)

// BenchmarkBuildSegment seals 100,000 syslog-like records (the sealer's
// share of ingestion: grouping, compression, record chain).
func BenchmarkBuildSegment(b *testing.B) {
	lines := make([]line, 100_000)
	for i := range lines {
		t := t0.Add(time.Duration(i) * time.Millisecond)
		lines[i] = line{t: t, host: "proxy01.college.example", data: fmt.Appendf(nil,
			`{"time":"%s","class":"system","source":"proxy01.college.example","facility":16,"severity":6,"service":"squid","message":"GET https://site%d.example/page/%d 200 %d","fields":{"format":"rfc5424","peer":"127.0.0.1","procid":"%d","sd.preau@32473.cat":"education","sd.preau@32473.user":"user%d","transport":"tcp"}}`,
			t.Format(time.RFC3339Nano), i%997, i, 500+i%20000, 1000+i%50, i%2500)}
	}
	var sc segScratch
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		buildSegment(lines, "prev", &sc)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(lines)), "ns/record")
	// CPU time (all goroutines: blocks compress in parallel) is the steadier
	// figure on a shared machine.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/float64(len(lines)), "cpu-ns/record")
}

// cpuTime returns the process's user and system CPU time in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
