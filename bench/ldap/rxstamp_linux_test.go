// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package main

import (
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"
)

// stampedPair returns both ends of a loopback TCP connection, the
// client's read through a stampReader.
func stampedPair(t *testing.T) (server net.Conn, client *stampReader) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { server.Close() })
	s := newStampReader(c.(*net.TCPConn))
	if s == nil {
		t.Fatal("SO_TIMESTAMPNS refused on a loopback TCP socket")
	}
	return server, s
}

// TestStampReaderTimesArrival checks that the receive timestamp of a read
// is when the data reached the socket, not when it was read: the data is
// read 50 ms after it was written.
func TestStampReaderTimesArrival(t *testing.T) {
	// The kernel turns timestamping on shortly after a first socket asks:
	// until a byte comes stamped, reads give 0 (unknown), never a stale time.
	warm, ws := stampedPair(t)
	one := make([]byte, 1)
	for i := 0; ; i++ {
		if _, err := warm.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(ws, one); err != nil {
			t.Fatal(err)
		}
		if ws.last != 0 {
			break
		}
		if i == 200 {
			t.Fatal("no kernel receive timestamp after 200 reads")
		}
		time.Sleep(10 * time.Millisecond)
	}

	server, s := stampedPair(t)
	before := time.Now()
	if _, err := server.Write([]byte("bonjour")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	buf := make([]byte, 7)
	if _, err := io.ReadFull(s, buf); err != nil {
		t.Fatal(err)
	}
	read := time.Now()
	if string(buf) != "bonjour" {
		t.Fatalf("read %q", buf)
	}
	at := time.Unix(0, s.last)
	if at.Before(before.Add(-time.Millisecond)) || at.After(read.Add(-40*time.Millisecond)) {
		t.Fatalf("received at %v: want between the write (%v) and 40 ms before the read (%v)", at, before, read)
	}
}

// TestSplitCPUsPartitions checks that the server's and the clients' CPUs
// are disjoint, non-empty and cover every CPU.
func TestSplitCPUsPartitions(t *testing.T) {
	server, clients, ok := splitCPUs()
	if !ok {
		t.Skip("fewer than two CPUs: nothing to split")
	}
	seen := map[string]bool{}
	for _, list := range []string{server, clients} {
		if list == "" {
			t.Fatalf("empty side: server %q clients %q", server, clients)
		}
		for _, c := range strings.Split(list, ",") {
			if seen[c] {
				t.Fatalf("CPU %s on both sides: server %q clients %q", c, server, clients)
			}
			seen[c] = true
		}
	}
	if len(seen) != runtime.NumCPU() {
		t.Fatalf("%d CPUs split (server %q clients %q), the process may use %d", len(seen), server, clients, runtime.NumCPU())
	}
}
