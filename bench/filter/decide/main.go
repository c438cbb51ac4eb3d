// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Command decide measures the filter's decision on real-scale lists (the
// tree bench/filter/gen writes): full load time, memory held by the
// compiled lists, decision time (median of 1,000-decision batches) and
// allocations per decision. It prints RESULT lines against the issue's
// goals (peer = the goal).
//
//	go run ./bench/filter/decide -lists DIR
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/filter"
)

func main() {
	dir := flag.String("lists", "", "UT1 tree (folder) or archive")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "decide: -lists is required")
		os.Exit(2)
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	l, err := filter.Load(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "decide:", err)
		os.Exit(1)
	}
	load := time.Since(start)
	runtime.GC()
	debug.FreeOSMemory()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	held := float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
	st := l.Stats()
	fmt.Fprintf(os.Stderr, "loaded %d categories, %d domains, %d urls in %s; heap held %.1f MiB\n",
		st.Categories, st.Domains, st.URLs, load.Round(time.Millisecond), held)

	eng := filter.NewEngine()
	eng.SetLists(l)
	reqs := sample(*dir, 20000)
	for i := range reqs {
		reqs[i].Time = time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	}
	blocked := 0
	for i := range reqs {
		if !eng.Decide(&reqs[i]).Allow {
			blocked++
		}
	}
	var batches []float64
	for round := 0; round < 200; round++ {
		t0 := time.Now()
		for i := 0; i < 1000; i++ {
			eng.Decide(&reqs[(round*1000+i)%len(reqs)])
		}
		batches = append(batches, float64(time.Since(t0).Nanoseconds())/1000)
	}
	slices.Sort(batches)
	p50 := batches[len(batches)/2]
	allocs := testing.AllocsPerRun(2000, func() { eng.Decide(&reqs[rand.IntN(len(reqs))]) })
	fmt.Fprintf(os.Stderr, "%d sample requests, %d blocked; decision p50 %.0f ns, p90 %.0f ns\n", len(reqs), blocked,
		p50, batches[len(batches)*9/10])
	fmt.Printf("RESULT workload=decision-p50 preau=%.0f peer=1000 unit=ns ratio=%.2f\n", p50, 1000/p50)
	fmt.Printf("RESULT workload=decision-allocs preau=%.0f peer=0 unit=allocs/op ratio=%s\n", allocs, okRatio(allocs == 0))
	fmt.Printf("RESULT workload=lists-memory preau=%.0f peer=150 unit=MiB ratio=%.2f\n", held, 150/held)
	fmt.Printf("RESULT workload=lists-reload preau=%.2f peer=3 unit=s ratio=%.2f\n", load.Seconds(), 3/load.Seconds())
}

func okRatio(ok bool) string {
	if ok {
		return "1"
	}
	return "0"
}

// sample builds requests: a third listed adult domains (under a
// subdomain), a third other categories' entries, a third unlisted names.
func sample(dir string, n int) []filter.Request {
	root := dir
	if st, err := os.Stat(filepath.Join(dir, "blacklists")); err == nil && st.IsDir() {
		root = filepath.Join(dir, "blacklists")
	}
	var listed []string
	for _, cat := range []string{"adult", "gambling", "shopping", "redirector", "games"} {
		f, err := os.Open(filepath.Join(root, cat, "domains"))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for i := 0; sc.Scan(); i++ {
			if i%97 == 0 {
				listed = append(listed, sc.Text())
			}
		}
		f.Close()
	}
	rng := rand.New(rand.NewPCG(7, 11))
	out := make([]filter.Request, 0, n)
	for i := 0; i < n; i++ {
		var h string
		switch i % 3 {
		case 0, 1:
			if len(listed) > 0 {
				h = "www." + listed[rng.IntN(len(listed))]
				break
			}
			fallthrough
		default:
			h = fmt.Sprintf("cdn%d.static.site%d.example.org", rng.IntN(100), rng.IntN(100000))
		}
		host, err := filter.NormalizeHost(h)
		if err != nil {
			continue
		}
		out = append(out, filter.Request{Host: host, Path: "/index.html", Profile: core.ProfilePupil, Groups: []string{"6A"}})
	}
	return out
}
