// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Command ldap benchmarks Préau's LDAP server against Debian's slapd
// (OpenLDAP 2.5, back-mdb) on the same directory of 20,000 people, in one
// run: it generates the directory, loads it into a fresh SQLite store and
// serves Préau's LDAP view with ldapd on loopback (in a child process),
// writes the same entries as LDIF, slapadds them and starts slapd on
// loopback, checks that both answer the workloads' requests alike, then
// measures uid searches and class-membership searches (1, 8 and 32
// clients) and binds (1 and 8 clients) on each server in turn. While
// measuring, the server under test and the clients run on CPUs of their
// own (-placement split, the default), as when applications ask from other
// machines; -placement shared lets them share every CPU. See
// workloads.go for what each workload is, slapd.go for slapd's
// configuration. Human-readable lines go to stderr; stdout gets the RESULT
// lines of bench/ scripts. Run it with bench/ldap/run.sh.
package main

import (
	"cmp"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"
)

// options are the command-line settings of a run.
type options struct {
	base         string
	duration     time.Duration
	warmup       time.Duration
	clients      []int
	bindClients  []int
	seed         uint64
	profileDir   string
	keep         bool
	verifyStride int
	servers      map[string]bool // servers measured (both are started and verified)
	clientCPUs   string          // CPUs of the load generator while measuring ("": any)
	serverCPUs   string          // CPUs of the server under test while measuring ("": any)
	clientProcs  int             // GOMAXPROCS of the clients while measuring (0: Go's default)
	serverProcs  int             // GOMAXPROCS of the Préau server (0: Go's default)
	workloads    map[string]bool // workloads measured
}

func main() {
	var o options
	serve := flag.String("serve-preau", "", "internal: serve Préau's LDAP view of the store in this data folder")
	flag.StringVar(&o.base, "base", "dc=preau,dc=bench", "base DN of the tree")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "measured duration of each run")
	flag.DurationVar(&o.warmup, "warmup", time.Second, "warm-up before each run, not counted")
	clients := flag.String("clients", "1,8,32", "numbers of concurrent search clients")
	bindClients := flag.String("bind-clients", "1,8", "numbers of concurrent bind clients (none: no bind runs)")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the generated directory")
	flag.StringVar(&o.profileDir, "cpuprofile", "", "folder where to write a CPU profile of the Préau server for each of its runs")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary folder (store, slapd configuration and database, LDIF)")
	flag.IntVar(&o.verifyStride, "verify-stride", 20, "compare the answers of both servers for every n-th login (and every class)")
	servers := flag.String("servers", "preau,slapd", "servers measured, for quicker runs while working on one (both are always started and compared)")
	placement := flag.String("placement", "split", "split: the server under test and the clients on CPUs of their own while measuring (the last quarter of the CPUs, at least one, to the clients), as when an application asks from another machine; shared: both on every CPU")
	flag.StringVar(&o.clientCPUs, "client-cpus", "", "pin the clients (this process) to these CPUs while measuring, e.g. 1 (taskset syntax: 0,2 or 0-1); overrides -placement")
	flag.StringVar(&o.serverCPUs, "server-cpus", "", "pin the server under test (Préau's process or slapd) to these CPUs while measuring, e.g. 0; overrides -placement")
	flag.IntVar(&o.clientProcs, "client-procs", 0, "GOMAXPROCS of the clients (this process) while measuring; 0: Go's default")
	flag.IntVar(&o.serverProcs, "server-procs", 0, "GOMAXPROCS of the Préau server (its environment); 0: Go's default, one per core")
	workloads := flag.String("workloads", "uid,class,bind", "workloads measured")
	flag.Parse()
	o.servers, o.workloads = set(*servers), set(*workloads)
	if *serve != "" {
		if err := servePreau(*serve, o.base); err != nil {
			fmt.Fprintln(os.Stderr, "preau server:", err)
			os.Exit(1)
		}
		return
	}
	switch *placement {
	case "shared":
	case "split":
		if o.clientCPUs == "" && o.serverCPUs == "" {
			var ok bool
			if o.serverCPUs, o.clientCPUs, ok = splitCPUs(); !ok {
				say("placement: fewer than two CPUs (or not Linux), the clients share the server's")
			}
		}
	default:
		fmt.Fprintf(os.Stderr, "bad -placement %q: split or shared\n", *placement)
		os.Exit(2)
	}
	var err error
	if o.clients, err = ints(*clients); err == nil {
		o.bindClients, err = ints(*bindClients)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench/ldap:", err)
		os.Exit(1)
	}
}

// placement says where the server under test and the clients ran.
func (o options) placement() string {
	if o.serverCPUs == "" && o.clientCPUs == "" {
		return "the server and the clients shared every CPU"
	}
	return fmt.Sprintf("the server on CPUs %s, the clients on CPUs %s", cmp.Or(o.serverCPUs, "any"), cmp.Or(o.clientCPUs, "any"))
}

func set(s string) map[string]bool {
	m := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		m[strings.TrimSpace(f)] = true
	}
	return m
}

func ints(s string) ([]int, error) {
	var out []int
	if s == "none" {
		return nil, nil
	}
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad client count %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// say prints a human-readable line on stderr.
func say(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }

// profiled runs fn, under a CPU profile written to dir/name when dir is set
// (the load and the view build run in this process).
func profiled(dir, name string, fn func() error) error {
	if dir == "" {
		return fn()
	}
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	defer pprof.StopCPUProfile()
	return fn()
}

// liveHeap returns the bytes of heap in use after a full collection.
func liveHeap() int64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}
