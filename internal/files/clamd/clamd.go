// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package clamd scans uploads with a ClamAV daemon over its INSTREAM
// command (clamd(8)): the content goes in chunks of at most 64 KiB, each
// prefixed by its length as a 4-byte big-endian integer, then a zero
// length; clamd answers "stream: OK" or "stream: <signature> FOUND".
// It implements files.Scanner.
package clamd

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/files"
)

// Client talks to one clamd.
type Client struct {
	network, addr string
	timeout       time.Duration
}

// New returns a client for addr: "unix:/run/clamav/clamd.ctl",
// "tcp:127.0.0.1:3310", or a bare path (Unix socket) or host:port.
func New(addr string, timeout time.Duration) *Client {
	c := &Client{timeout: timeout}
	switch {
	case strings.HasPrefix(addr, "unix:"):
		c.network, c.addr = "unix", strings.TrimPrefix(addr, "unix:")
	case strings.HasPrefix(addr, "tcp:"):
		c.network, c.addr = "tcp", strings.TrimPrefix(addr, "tcp:")
	case strings.HasPrefix(addr, "/"):
		c.network, c.addr = "unix", addr
	default:
		c.network, c.addr = "tcp", addr
	}
	if c.timeout <= 0 {
		c.timeout = 30 * time.Second
	}
	return c
}

// Scan streams r to clamd. It returns nil when clean, an error wrapping
// files.ErrInfected (with the signature as message) when not, and a
// core.Unavailable error when clamd cannot be reached or answers oddly (the
// upload is then refused: fail closed).
func (c *Client) Scan(ctx context.Context, r io.Reader) error {
	const op = "clamd.Scan"
	d := net.Dialer{Timeout: c.timeout}
	conn, err := d.DialContext(ctx, c.network, c.addr)
	if err != nil {
		return core.E(op, core.Unavailable, "the antivirus cannot be reached: %v", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(c.timeout))
	if _, err := conn.Write([]byte("zINSTREAM\x00")); err != nil {
		return core.E(op, core.Unavailable, "the antivirus refused the scan: %v", err)
	}
	buf := make([]byte, 4+64<<10)
	for {
		n, rerr := r.Read(buf[4:])
		if n > 0 {
			binary.BigEndian.PutUint32(buf[:4], uint32(n))
			if _, err := conn.Write(buf[:4+n]); err != nil {
				return core.E(op, core.Unavailable, "the antivirus stopped the scan: %v", err)
			}
			_ = conn.SetDeadline(time.Now().Add(c.timeout))
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return core.Wrap(op, core.Internal, rerr)
		}
	}
	if _, err := conn.Write([]byte{0, 0, 0, 0}); err != nil {
		return core.E(op, core.Unavailable, "the antivirus stopped the scan: %v", err)
	}
	line, err := bufio.NewReader(conn).ReadString(0)
	if err != nil && line == "" {
		return core.E(op, core.Unavailable, "the antivirus gave no answer: %v", err)
	}
	line = strings.TrimRight(line, "\x00\n")
	switch {
	case strings.HasSuffix(line, " OK"):
		return nil
	case strings.HasSuffix(line, " FOUND"):
		sig := strings.TrimSuffix(strings.TrimPrefix(line, "stream: "), " FOUND")
		return &core.Error{Op: op, Kind: core.Invalid, Msg: sig, Err: files.ErrInfected}
	}
	return core.E(op, core.Unavailable, "the antivirus answered %q", fmt.Sprintf("%.100s", line))
}
