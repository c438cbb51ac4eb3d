// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package main

import (
	"encoding/binary"
	"io"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// stampReader reads a TCP connection with recvmsg and keeps the kernel's
// receive timestamp (SO_TIMESTAMPNS: the wall-clock time the last segment
// a read consumed reached the socket) of the last read that returned data,
// or 0 when that read carried none: the kernel stamps packets only once
// its timestamping is on, which happens shortly after the first socket of
// the machine asks for it.
// On loopback that is within microseconds of the server's write, whatever
// the client's goroutine waits for a core afterwards: the measured loops
// use it to time the server's answer apart from the load generator's own
// scheduling (runner.go). It allocates nothing per read.
type stampReader struct {
	rc   syscall.RawConn
	oob  []byte
	p    []byte // the buffer of the read in progress
	n    int
	err  error
	last int64 // UnixNano of the last stamped read; 0 before any
	recv func(fd uintptr) bool
}

// newStampReader turns receive timestamps on for c; nil when the socket
// refuses them (the caller then times at the client only).
func newStampReader(c *net.TCPConn) *stampReader {
	rc, err := c.SyscallConn()
	if err != nil || unix.SizeofCmsghdr != 16 {
		return nil
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
	}); err != nil || serr != nil {
		return nil
	}
	s := &stampReader{rc: rc, oob: make([]byte, unix.CmsgSpace(16)*4)}
	s.recv = s.recvmsg
	return s
}

func (s *stampReader) recvmsg(fd uintptr) bool {
	var oobn int
	s.n, oobn, _, _, s.err = unix.Recvmsg(int(fd), s.p, s.oob, 0)
	if s.err == unix.EAGAIN {
		return false // wait for the poller
	}
	if s.err == nil && s.n > 0 {
		s.last = 0 // unknown unless this read carries a stamp
		s.stamp(s.oob[:oobn])
	}
	return true
}

// stamp reads an SCM_TIMESTAMPNS control message (a struct timespec).
func (s *stampReader) stamp(oob []byte) {
	const h = 16 // struct cmsghdr on 64-bit Linux: len (8 bytes), level, type
	for len(oob) >= h {
		n := binary.NativeEndian.Uint64(oob)
		level, typ := int32(binary.NativeEndian.Uint32(oob[8:])), int32(binary.NativeEndian.Uint32(oob[12:]))
		if n < h || n > uint64(len(oob)) {
			return
		}
		if level == unix.SOL_SOCKET && typ == unix.SCM_TIMESTAMPNS && n >= h+16 {
			sec := int64(binary.NativeEndian.Uint64(oob[h:]))
			nsec := int64(binary.NativeEndian.Uint64(oob[h+8:]))
			s.last = sec*1e9 + nsec
			return
		}
		oob = oob[min(unix.CmsgSpace(int(n)-h), len(oob)):]
	}
}

func (s *stampReader) Read(p []byte) (int, error) {
	s.p = p
	err := s.rc.Read(s.recv)
	s.p = nil
	switch {
	case err != nil:
		return 0, err
	case s.err != nil:
		return 0, s.err
	case s.n == 0 && len(p) > 0:
		return 0, io.EOF
	}
	return s.n, nil
}
