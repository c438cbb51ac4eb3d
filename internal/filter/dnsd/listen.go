// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package dnsd

import (
	"context"
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

func reusePort(network, address string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) { serr = setReusePort(fd) })
	if err != nil {
		return err
	}
	return serr
}
