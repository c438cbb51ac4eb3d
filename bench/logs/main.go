// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Command logs benchmarks the sealed log store (issue 8) against Debian's
// rsyslog; run.sh drives it. Subcommands:
//
//	ingest -n N            Préau: syslog over TCP (RFC 5424, octet counting)
//	                       into the store, sealed; prints messages/s (sender
//	                       in the same process, for profiles)
//	serve -n N -addrfile F Préau alone, as run.sh measures it: listens (its
//	                       address written to F), receives N messages, seals
//	                       everything and exits, printing its own CPU time
//	send -addr A -n N      the sender, towards either collector
//	wait -file F -n N      the peer's end: waits until F holds N lines
//	                       (reading each byte once), then fsyncs F
//	search -n N            N proxy records over one day, then one user's
//	                       search; prints the times and the size per million
package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"

	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/blob/fsblob"
	"github.com/preau/preau/internal/logs"
	"github.com/preau/preau/internal/logs/syslogd"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: logs ingest|send|search [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	n := fs.Int("n", 500000, "messages or records")
	addr := fs.String("addr", "", "collector address (send)")
	conns := fs.Int("conns", 2, "TCP connections")
	dir := fs.String("dir", "", "work folder (default a temporary one)")
	users := fs.Int("users", 2500, "distinct users (search)")
	prof := fs.String("cpuprofile", "", "write a CPU profile")
	memProf := fs.String("memprofile", "", "write an allocation profile (serve, ingest)")
	addrFile := fs.String("addrfile", "", "where serve writes its address")
	file := fs.String("file", "", "the file wait watches")
	fs.Parse(os.Args[2:])
	if *prof != "" {
		f, err := os.Create(*prof)
		check(err)
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "preau-logs-bench-")
		check(err)
		defer os.RemoveAll(d)
		*dir = d
	}
	switch os.Args[1] {
	case "send":
		start := time.Now()
		check(send(*addr, *n, *conns))
		fmt.Printf("sent %d in %s\n", *n, time.Since(start))
	case "ingest":
		runtime.MemProfileRate = memRate(*memProf)
		ingest(*dir, *n, *conns)
		writeMemProfile(*memProf)
	case "serve":
		runtime.MemProfileRate = memRate(*memProf)
		serve(*dir, *n, *addrFile)
		writeMemProfile(*memProf)
	case "wait":
		check(waitLines(*file, *n))
	case "search":
		search(*dir, *n, *users)
	default:
		fmt.Fprintln(os.Stderr, "unknown subcommand", os.Args[1])
		os.Exit(2)
	}
}

// memRate samples one allocation per 64 KiB when an allocation profile is
// asked for, none otherwise (the runtime's default sampling costs a little).
func memRate(p string) int {
	if p == "" {
		return runtime.MemProfileRate
	}
	return 64 << 10
}

func writeMemProfile(p string) {
	if p == "" {
		return
	}
	f, err := os.Create(p)
	check(err)
	check(pprof.Lookup("allocs").WriteTo(f, 0))
	check(f.Close())
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

var key = ed25519.NewKeyFromSeed(make([]byte, 32))

func openStore(dir string) (*logs.Store, blob.Store) {
	bs, err := fsblob.New(fsblob.Config{Dir: filepath.Join(dir, "blobs")})
	check(err)
	st, err := logs.Open(context.Background(), logs.Config{Blobs: bs, Key: key, Spool: filepath.Join(dir, "spool")})
	check(err)
	return st, bs
}

// message appends the i-th message of the stream to b: a proxy-like RFC
// 5424 line of about 200 bytes, with octet-counting framing. It appends
// with strconv rather than fmt, so that the sender spends little of the CPU
// both collectors share.
func message(b []byte, i int) []byte {
	two := func(b []byte, v int) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }
	start := len(b)
	b = append(b, "<134>1 2026-11-02T"...)
	b = two(b, (i/3600)%24)
	b = append(b, ':')
	b = two(b, (i/60)%60)
	b = append(b, ':')
	b = two(b, i%60)
	b = append(b, '.')
	us := i % 1000000
	for d := 100000; d > 0; d /= 10 {
		b = append(b, byte('0'+(us/d)%10))
	}
	b = append(b, "Z proxy01.college.example squid "...)
	b = strconv.AppendInt(b, int64(1000+i%50), 10)
	b = append(b, ` - [preau@32473 user="user`...)
	b = strconv.AppendInt(b, int64(i%2500), 10)
	b = append(b, `" cat="education"] GET https://site`...)
	b = strconv.AppendInt(b, int64(i%997), 10)
	b = append(b, ".example/page/"...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, " 200 "...)
	b = strconv.AppendInt(b, int64(500+i%20000), 10)
	n := len(b) - start
	var hdr [12]byte
	h := strconv.AppendInt(hdr[:0], int64(n), 10)
	h = append(h, ' ')
	b = append(b, h...)
	copy(b[start+len(h):], b[start:start+n])
	copy(b[start:], h)
	return b
}

// send writes n messages with octet-counting framing over conns connections.
func send(addr string, n, conns int) error {
	errs := make(chan error, conns)
	for c := 0; c < conns; c++ {
		go func(c int) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				errs <- err
				return
			}
			w := bufio.NewWriterSize(conn, 256<<10)
			var buf []byte
			for i := c; i < n; i += conns {
				buf = message(buf[:0], i)
				w.Write(buf)
			}
			if err := w.Flush(); err != nil {
				errs <- err
				return
			}
			errs <- conn.Close()
		}(c)
	}
	for c := 0; c < conns; c++ {
		if err := <-errs; err != nil {
			return err
		}
	}
	return nil
}

func ingest(dir string, n, conns int) {
	st, bs := openStore(dir)
	srv := syslogd.New(syslogd.Config{Sink: st, RatePerSource: 1 << 30})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	go srv.Serve(ln)
	start := time.Now()
	check(send(ln.Addr().String(), n, conns))
	for st.Stats().Appended < int64(n) {
		time.Sleep(time.Millisecond)
	}
	received := time.Since(start)
	check(st.Close()) // seals every open segment
	el := time.Since(start)
	fmt.Printf("received in %s, sealed in %s\n", received.Round(time.Millisecond), el.Round(time.Millisecond))
	srv.Shutdown(context.Background())
	var size int64
	bs.List(context.Background(), "logs/", func(i blob.Info) error { size += i.Size; return nil })
	s := st.Stats()
	fmt.Printf("preau ingest: %d messages in %s = %.0f msg/s, %d dropped, %d segments, %d bytes stored\n",
		n, el.Round(time.Millisecond), float64(n)/el.Seconds(), s.Dropped, s.Segments, size)
	fmt.Printf("RATE %.0f\n", float64(n)/el.Seconds())
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	// The sender runs in this process: its share is measured alone below.
	t0 := time.Now()
	var before syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	discard, _ := net.Listen("tcp", "127.0.0.1:0")
	go func() {
		for {
			c, err := discard.Accept()
			if err != nil {
				return
			}
			go func() {
				buf := make([]byte, 1<<20)
				for {
					if _, err := c.Read(buf); err != nil {
						return
					}
				}
			}()
		}
	}()
	check(send(discard.Addr().String(), n, conns))
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	sender := time.Duration(ru.Utime.Nano() + ru.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano())
	_ = t0
	fmt.Printf("CPU_US_PER_MSG %.2f\n", float64((cpu-sender).Microseconds())/float64(n))
}

// serve receives n messages into a store, seals them and prints the
// process's CPU time per message: the whole of Préau's work, nothing else
// (the sender runs in another process, as for the peer).
func serve(dir string, n int, addrFile string) {
	st, _ := openStore(dir)
	srv := syslogd.New(syslogd.Config{Sink: st, RatePerSource: 1 << 30})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	go srv.Serve(ln)
	tmp := addrFile + ".tmp"
	check(os.WriteFile(tmp, []byte(ln.Addr().String()), 0o600))
	check(os.Rename(tmp, addrFile))
	for st.Stats().Appended < int64(n) {
		time.Sleep(time.Millisecond)
	}
	t0 := time.Now()
	check(st.Close()) // seals every open segment (durable: fsynced)
	tail := time.Since(t0)
	srv.Shutdown(context.Background())
	s := st.Stats()
	fmt.Printf("preau serve: received all, then sealed the rest in %s\n", tail.Round(time.Millisecond))
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	fmt.Printf("preau serve: %d messages, %d dropped, %d segments, CPU %s\n", n, s.Dropped, s.Segments, cpu.Round(time.Millisecond))
	fmt.Printf("CPU_US_PER_MSG %.2f\n", float64(cpu.Microseconds())/float64(n))
}

// waitLines waits until the file at p holds n lines, reading each byte
// once (polling `wc -l` would reread the file and take CPU from the peer),
// then fsyncs it: the peer's end is its messages durable in its file, as
// Préau's is its last segment sealed.
func waitLines(p string, n int) error {
	var f *os.File
	for {
		var err error
		if f, err = os.Open(p); err == nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	lines := 0
	for lines < n {
		k, err := f.Read(buf)
		for _, c := range buf[:k] {
			if c == '\n' {
				lines++
			}
		}
		if k == 0 || err != nil {
			time.Sleep(2 * time.Millisecond)
		}
	}
	return f.Sync()
}

func search(dir string, n, users int) {
	st, bs := openStore(dir)
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	start := time.Now()
	for i := 0; i < n; i++ {
		st.AppendWait(context.Background(), logs.Record{
			Time: day.Add(time.Duration(int64(i) * int64(24*time.Hour) / int64(n))), Establishment: "0750001A",
			Class: logs.ClassConnection, Source: fmt.Sprintf("10.1.%d.%d", (i/250)%40, i%250), Service: "proxy",
			User: fmt.Sprintf("user%d", (i*7919)%users), Action: "allow", Object: fmt.Sprintf("https://site%d.example/page/%d", i%997, i%5003),
			Result: "ok", Fields: map[string]string{"category": "education", "bytes": strconv.Itoa(500 + i%20000), "status": "200"}})
	}
	check(st.Flush(context.Background()))
	fmt.Printf("generated and sealed %d records in %s\n", n, time.Since(start).Round(time.Millisecond))
	var size int64
	bs.List(context.Background(), "logs/", func(i blob.Info) error { size += i.Size; return nil })
	fmt.Printf("SIZE_PER_MILLION %.1f MB\n", float64(size)/float64(n)*1e6/1e6)
	// A fresh reader, as a later search would be (manifest cache cold).
	ro, err := logs.Open(context.Background(), logs.Config{Blobs: bs, Key: key, ReadOnly: true})
	check(err)
	q := logs.Query{User: "user42", Since: day, Until: day.Add(24 * time.Hour), Limit: logs.MaxExport}
	t0 := time.Now()
	res, err := ro.Search(context.Background(), q)
	check(err)
	all := time.Since(t0)
	q.Limit = 100
	t1 := time.Now()
	page, err := ro.Search(context.Background(), q)
	check(err)
	first := time.Since(t1)
	fmt.Printf("user search over the day: %d records in %s (scanned %d); first page of %d in %s\n",
		len(res.Records), all.Round(time.Millisecond), res.Scanned, len(page.Records), first.Round(time.Millisecond))
	fmt.Printf("SEARCH_ALL_MS %.1f\nSEARCH_PAGE_MS %.1f\n", float64(all.Microseconds())/1000, float64(first.Microseconds())/1000)
	st.Close()
}
