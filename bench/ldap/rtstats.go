// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package main

import (
	"fmt"
	"math"
	"runtime"
	"runtime/metrics"
)

// rtStats samples the Préau server's runtime (runtime/metrics) so that a
// run can say where its latency tail comes from: collections and their CPU,
// stop-the-world pauses, how long runnable goroutines waited for a thread,
// and what the server allocated.
type rtStats struct {
	samples []metrics.Sample
	prev    []metrics.Sample
}

var rtNames = []string{
	"/gc/cycles/total:gc-cycles",
	"/cpu/classes/gc/total:cpu-seconds",
	"/cpu/classes/total:cpu-seconds",
	"/gc/heap/allocs:bytes",
	"/gc/heap/allocs:objects",
	"/sched/latencies:seconds",
	"/sched/pauses/total/gc:seconds",
	"/gc/heap/live:bytes",
}

func newRTStats() *rtStats {
	s := &rtStats{}
	s.samples = make([]metrics.Sample, len(rtNames))
	for i, n := range rtNames {
		s.samples[i].Name = n
	}
	s.sample()
	return s
}

// sample reads the metrics, keeping the previous reading.
func (s *rtStats) sample() {
	s.prev = make([]metrics.Sample, len(s.samples))
	for i := range s.samples {
		s.prev[i].Name = s.samples[i].Name
		s.prev[i].Value = s.samples[i].Value
	}
	fresh := make([]metrics.Sample, len(rtNames))
	for i, n := range rtNames {
		fresh[i].Name = n
	}
	metrics.Read(fresh)
	s.samples = fresh
}

// report samples again and describes what happened since the last call.
func (s *rtStats) report() string {
	s.sample()
	u := func(i int) float64 {
		a, b := s.prev[i].Value, s.samples[i].Value
		if b.Kind() == metrics.KindUint64 {
			if a.Kind() != metrics.KindUint64 {
				return float64(b.Uint64())
			}
			return float64(b.Uint64() - a.Uint64())
		}
		if b.Kind() == metrics.KindFloat64 {
			if a.Kind() != metrics.KindFloat64 {
				return b.Float64()
			}
			return b.Float64() - a.Float64()
		}
		return 0
	}
	hist := func(i int) (p99, p999, max float64) {
		b := s.samples[i].Value.Float64Histogram()
		var a *metrics.Float64Histogram
		if s.prev[i].Value.Kind() == metrics.KindFloat64Histogram {
			a = s.prev[i].Value.Float64Histogram()
		}
		counts := make([]uint64, len(b.Counts))
		var total uint64
		for k := range counts {
			counts[k] = b.Counts[k]
			if a != nil {
				counts[k] -= a.Counts[k]
			}
			total += counts[k]
		}
		if total == 0 {
			return 0, 0, 0
		}
		q := func(f float64) float64 {
			want := uint64(math.Ceil(f * float64(total)))
			var acc uint64
			for k, c := range counts {
				acc += c
				if acc >= want {
					return b.Buckets[k+1]
				}
			}
			return b.Buckets[len(b.Buckets)-1]
		}
		for k := len(counts) - 1; k >= 0; k-- {
			if counts[k] > 0 {
				max = b.Buckets[k+1]
				break
			}
		}
		return q(0.99), q(0.999), max
	}
	sp99, sp999, smax := hist(5)
	_, _, pmax := hist(6)
	ms := func(v float64) float64 {
		if math.IsInf(v, 0) {
			return -1
		}
		return v * 1000
	}
	return fmt.Sprintf("gomaxprocs=%d gc=%.0f gc-cpu=%.2fs of %.2fs alloc=%.1fMB/%.0fobj live=%.0fMiB sched-wait p99<=%.3fms p99.9<=%.3fms max<=%.3fms gc-pause max<=%.3fms",
		runtime.GOMAXPROCS(0), u(0), u(1), u(2), u(3)/1e6, u(4), float64(s.samples[7].Value.Uint64())/(1<<20),
		ms(sp99), ms(sp999), ms(smax), ms(pmax))
}
