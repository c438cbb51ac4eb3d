// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Command files is the load client of bench/files/run.sh: the same
// workloads against Préau's WebDAV and nginx (TLS + auth_basic, dav_methods
// PUT) serving the same files, printing one RESULT line per workload.
package main

import (
	"bytes"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type target struct {
	name, base, user, pass string
}

var client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
	MaxIdleConnsPerHost: 256}}

func do(t target, method, path string, body []byte, hdr ...string) (int, int64, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, t.base+path, r)
	if err != nil {
		return 0, 0, err
	}
	req.SetBasicAuth(t.user, t.pass)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	n, _ := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, n, nil
}

// load runs fn from c clients for d and returns operations per second.
func load(c int, d time.Duration, fn func(worker, i int) error) (float64, error) {
	var ops atomic.Int64
	var firstErr atomic.Value
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(stop); i++ {
				if err := fn(w, i); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				ops.Add(1)
			}
		}()
	}
	wg.Wait()
	if e := firstErr.Load(); e != nil {
		return 0, e.(error)
	}
	return float64(ops.Load()) / time.Since(start).Seconds(), nil
}

func result(workload string, preau, peer float64, unit string) {
	ratio := "n/a"
	if peer > 0 {
		if unit == "ms" {
			ratio = fmt.Sprintf("%.2f", peer/preau) // above 1: Préau faster
		} else {
			ratio = fmt.Sprintf("%.2f", preau/peer)
		}
	}
	fmt.Printf("RESULT workload=%s preau=%.1f peer=%.1f unit=%s ratio=%s\n", workload, preau, peer, unit, ratio)
}

func main() {
	preauURL := flag.String("preau", "", "Préau base URL of the user's home, e.g. https://127.0.0.1:8443/dav/home")
	nginxURL := flag.String("nginx", "", "nginx base URL of the same folder")
	user := flag.String("user", "bench", "login")
	pass := flag.String("pass", "", "password")
	dur := flag.Duration("duration", 10*time.Second, "duration of each run")
	clients := flag.Int("clients", 32, "concurrent clients")
	entries := flag.Int("entries", 10000, "entries of the PROPFIND folder")
	flag.Parse()
	p := target{"preau", *preauURL, *user, *pass}
	n := target{"nginx", *nginxURL, *user, *pass}
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "bench/files:", err)
		os.Exit(1)
	}
	small, big := bytes.Repeat([]byte("a"), 1024), bytes.Repeat([]byte("b"), 1<<20)
	for _, t := range []target{p, n} {
		for _, f := range []struct {
			name string
			b    []byte
		}{{"1k.bin", small}, {"1m.bin", big}} {
			if st, _, err := do(t, "PUT", "/"+f.name, f.b); err != nil || st >= 300 {
				fail(fmt.Errorf("%s: PUT %s: %d %v", t.name, f.name, st, err))
			}
		}
	}
	get := func(t target, name string, size int64) float64 {
		ops, err := load(*clients, *dur, func(int, int) error {
			st, got, err := do(t, "GET", "/"+name, nil)
			if err == nil && (st != 200 || got != size) {
				err = fmt.Errorf("%s GET %s: %d, %d bytes", t.name, name, st, got)
			}
			return err
		})
		if err != nil {
			fail(err)
		}
		return ops
	}
	result(fmt.Sprintf("get-1k-c%d", *clients), get(p, "1k.bin", 1024), get(n, "1k.bin", 1024), "ops/s")
	result(fmt.Sprintf("get-1m-c%d", *clients), get(p, "1m.bin", 1<<20), get(n, "1m.bin", 1<<20), "ops/s")
	put := func(t target) float64 {
		ops, err := load(*clients, *dur, func(w, i int) error {
			st, _, err := do(t, "PUT", fmt.Sprintf("/up-%d-%d.bin", w, i), small)
			if err == nil && st >= 300 {
				err = fmt.Errorf("%s PUT: %d", t.name, st)
			}
			return err
		})
		if err != nil {
			fail(err)
		}
		return ops
	}
	result(fmt.Sprintf("put-1k-c%d", *clients), put(p), put(n), "ops/s")

	// PROPFIND depth 1 on a folder of many entries (Préau only: nginx's
	// dav module has no PROPFIND).
	if st, _, err := do(p, "MKCOL", "/many/", nil); err != nil || st >= 300 && st != 405 {
		fail(fmt.Errorf("MKCOL: %d %v", st, err))
	}
	if _, err := load(*clients, 24*time.Hour, func(w, i int) error {
		k := i*(*clients) + w
		if k >= *entries {
			return io.EOF
		}
		st, _, err := do(p, "PUT", fmt.Sprintf("/many/f%05d.txt", k), []byte("x"))
		if err == nil && st >= 300 {
			err = fmt.Errorf("PUT many: %d", st)
		}
		return err
	}); err != nil && err != io.EOF {
		fail(err)
	}
	var ms []float64
	for range 10 {
		t0 := time.Now()
		st, size, err := do(p, "PROPFIND", "/many/", nil, "Depth", "1")
		if err != nil || st != 207 {
			fail(fmt.Errorf("PROPFIND: %d %v", st, err))
		}
		if size < int64(*entries)*100 {
			fail(fmt.Errorf("PROPFIND answered %d bytes for %d entries", size, *entries))
		}
		ms = append(ms, float64(time.Since(t0).Microseconds())/1000)
	}
	sort.Float64s(ms)
	result(fmt.Sprintf("propfind-depth1-%d", *entries), ms[len(ms)/2], 0, "ms")
	_ = strings.TrimSpace
}
