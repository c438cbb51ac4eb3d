// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package probes

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"time"

	"golang.org/x/net/icmp"

	"github.com/preau/preau/internal/monitor"
)

// Ping sends one ICMP echo request to host through an unprivileged ICMP
// socket (Linux: net.ipv4.ping_group_range must include the process's
// group). When the process may not, the result says so.
func Ping(ctx context.Context, host string) monitor.Result {
	ips, err := net.DefaultResolver.LookupIP(ctx, "ip4", host)
	if err != nil || len(ips) == 0 {
		return monitor.Fail("resolve %s: %s", host, shortErr(err))
	}
	// An unprivileged ICMP socket first, a raw one (root, CAP_NET_RAW) next.
	var dst net.Addr = &net.UDPAddr{IP: ips[0]}
	conn, err := icmp.ListenPacket("udp4", "0.0.0.0")
	if err != nil {
		conn, err = icmp.ListenPacket("ip4:icmp", "0.0.0.0")
		dst = &net.IPAddr{IP: ips[0]}
	}
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return monitor.Fail("ICMP is not permitted for this process (net.ipv4.ping_group_range or CAP_NET_RAW)")
		}
		return monitor.Fail("ICMP socket: %v", err)
	}
	defer conn.Close()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(monitor.DefaultTimeout)
	}
	conn.SetDeadline(deadline)
	seq := uint16(time.Now().UnixNano())
	msg := EchoRequest(seq, []byte("preau"))
	start := time.Now()
	if _, err := conn.WriteTo(msg, dst); err != nil {
		return monitor.Fail("ICMP to %s: %s", host, short(err))
	}
	buf := make([]byte, 1500)
	for {
		n, _, err := conn.ReadFrom(buf)
		if err != nil {
			return monitor.Fail("ICMP to %s: %s", host, short(err))
		}
		// Type 0 is an echo reply; the kernel may rewrite the identifier
		// of an unprivileged socket, never the sequence.
		if n >= 8 && buf[0] == 0 && binary.BigEndian.Uint16(buf[6:8]) == seq {
			return monitor.Result{OK: true, Latency: time.Since(start)}
		}
	}
}

func shortErr(err error) string {
	if err == nil {
		return "no address"
	}
	return short(err)
}

// EchoRequest builds an ICMPv4 echo request (type 8) with sequence seq.
func EchoRequest(seq uint16, payload []byte) []byte {
	b := make([]byte, 8+len(payload))
	b[0] = 8
	binary.BigEndian.PutUint16(b[6:8], seq)
	copy(b[8:], payload)
	binary.BigEndian.PutUint16(b[2:4], checksum(b))
	return b
}

func checksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}
