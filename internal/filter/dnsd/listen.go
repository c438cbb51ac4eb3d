// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package dnsd

import (
	"context"
	"fmt"
	"net"
	"syscall"
)

// ListenPacket opens n UDP sockets on addr sharing the port
// (SO_REUSEPORT where the system has it), so that n cores receive queries
// at once: one socket read by one goroutine is the bottleneck of a busy
// resolver. Port 0 picks a free port for all of them. Where the option is
// missing, one socket is returned.
func ListenPacket(addr string, n int) ([]net.PacketConn, error) {
	if n < 1 {
		n = 1
	}
	lc := net.ListenConfig{Control: reusePort}
	first, err := lc.ListenPacket(context.Background(), "udp", addr)
	if err != nil {
		first, err = net.ListenPacket("udp", addr)
		if err != nil {
			return nil, err
		}
		return []net.PacketConn{first}, nil
	}
	pcs := []net.PacketConn{first}
	bound := first.LocalAddr().String()
	for i := 1; i < n; i++ {
		pc, err := lc.ListenPacket(context.Background(), "udp", bound)
		if err != nil {
			break // one socket still serves
		}
		pcs = append(pcs, pc)
	}
	return pcs, nil
}

// Listen opens the UDP sockets (n, see ListenPacket) and the TCP listener
// of a DNS server on one port. With port 0 the UDP sockets pick a free port
// that TCP may find taken by another program: then it tries again with a
// new port, a few times.
func Listen(addr string, n int) ([]net.PacketConn, net.Listener, error) {
	_, port, _ := net.SplitHostPort(addr)
	for try := 0; ; try++ {
		pcs, err := ListenPacket(addr, n)
		if err != nil {
			return nil, nil, fmt.Errorf("listening for dns (UDP) on %s: %w", addr, err)
		}
		ln, err := net.Listen("tcp", pcs[0].LocalAddr().String())
		if err == nil {
			return pcs, ln, nil
		}
		for _, pc := range pcs {
			pc.Close()
		}
		if port != "0" || try == 19 {
			return nil, nil, fmt.Errorf("listening for dns (TCP) on %s: %w", addr, err)
		}
	}
}

func reusePort(network, address string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) { serr = setReusePort(fd) })
	if err != nil {
		return err
	}
	return serr
}
