// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package syslogd

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// FrameReader splits a TCP or TLS syslog stream into messages (RFC 6587):
// at each frame start a digit means octet counting ("LEN SP MSG"), anything
// else means non-transparent framing ended by LF (or NUL, which some senders
// use; a CR before the LF is dropped). An invalid octet count is read as
// the start of an LF-framed message (what OpenBSD syslogd does). Messages
// longer than max are truncated, and the rest of the frame is skipped.
type FrameReader struct {
	r   *bufio.Reader
	max int
	buf []byte // reused by octet-counted frames
	// noFastPath turns off cutting whole frames straight from the buffer
	// (tests hold that path to the other).
	noFastPath bool
}

// NewFrameReader returns a FrameReader over r keeping at most max bytes of
// each message.
func NewFrameReader(r io.Reader, max int) *FrameReader {
	return &FrameReader{r: bufio.NewReaderSize(r, 64<<10), max: max}
}

// Buffered returns how many bytes are read from the stream but not yet
// returned: 0 means the next Next will wait for the network.
func (f *FrameReader) Buffered() int { return f.r.Buffered() }

// ErrFrame reports a broken octet-counted frame.
var ErrFrame = errors.New("syslog: bad frame")

// Next returns the next message (valid until the next call) or io.EOF.
// Truncated reports whether it was cut at max.
func (f *FrameReader) Next() (msg []byte, truncated bool, err error) {
	// The usual case first: a whole octet-counted frame already buffered,
	// cut with one look at the buffer (valid until the next call).
	if n := f.r.Buffered(); n > 2 && !f.noFastPath {
		buf, _ := f.r.Peek(n)
		if c := buf[0]; c >= '1' && c <= '9' {
			size, i := 0, 0
			for i < len(buf) && i < 10 && buf[i] >= '0' && buf[i] <= '9' {
				size = size*10 + int(buf[i]-'0')
				i++
			}
			if i < 10 && i < len(buf) && buf[i] == ' ' && size <= f.max && size <= len(buf)-i-1 {
				f.r.Discard(i + 1 + size)
				return buf[i+1 : i+1+size : i+1+size], false, nil
			}
		}
	}
	for {
		c, err := f.r.Peek(1)
		if err != nil {
			return nil, false, err
		}
		if c[0] == '\n' || c[0] == '\r' || c[0] == 0 || c[0] == ' ' {
			f.r.ReadByte() // stray delimiters between frames
			continue
		}
		if c[0] >= '1' && c[0] <= '9' {
			if m, tr, ok, err := f.octet(); ok || err != nil {
				return m, tr, err
			}
		}
		return f.lf()
	}
}

// octet reads "LEN SP MSG"; ok is false when the digits are not followed by
// a space (then nothing was consumed).
func (f *FrameReader) octet() ([]byte, bool, bool, error) {
	head, _ := f.r.Peek(11)
	n, i := 0, 0
	for i < len(head) && head[i] >= '0' && head[i] <= '9' {
		n = n*10 + int(head[i]-'0')
		i++
	}
	if i == 0 || i > 9 || i >= len(head) || head[i] != ' ' {
		return nil, false, false, nil
	}
	f.r.Discard(i + 1)
	keep := min(n, f.max)
	if n == keep && keep <= f.r.Size() {
		// The usual case: the message is returned from the reader's own
		// buffer, without a copy (valid until the next call).
		buf, err := f.r.Peek(keep)
		if err != nil {
			return nil, false, true, fmt.Errorf("%w: stream ended inside a %d-byte message", ErrFrame, n)
		}
		f.r.Discard(keep)
		return buf, false, true, nil
	}
	if cap(f.buf) < keep {
		f.buf = make([]byte, keep)
	}
	buf := f.buf[:keep]
	if _, err := io.ReadFull(f.r, buf); err != nil {
		return nil, false, true, fmt.Errorf("%w: stream ended inside a %d-byte message", ErrFrame, n)
	}
	if n > keep {
		if _, err := f.r.Discard(n - keep); err != nil {
			return buf, true, true, fmt.Errorf("%w: stream ended inside a %d-byte message", ErrFrame, n)
		}
	}
	return buf, n > keep, true, nil
}

func (f *FrameReader) lf() ([]byte, bool, error) {
	var out []byte
	truncated := false
	for {
		b, err := f.r.ReadSlice('\n')
		if i := indexNUL(b); i >= 0 { // NUL-delimited senders
			f.unread(b[i+1:])
			b, err = b[:i], nil
			out = appendMax(out, b, f.max, &truncated)
			return out, truncated, nil
		}
		out = appendMax(out, b, f.max, &truncated)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if len(out) > 0 && err == io.EOF {
				return trimEOL(out), truncated, nil
			}
			return nil, false, err
		}
		return trimEOL(out), truncated, nil
	}
}

// unread puts back bytes that followed a NUL delimiter: the bufio reader
// cannot, so they are kept in a small carry reader in front of it.
func (f *FrameReader) unread(b []byte) {
	if len(b) == 0 {
		return
	}
	rest := append([]byte(nil), b...)
	f.r = bufio.NewReaderSize(io.MultiReader(&sliceReader{rest}, f.r), 64<<10)
}

type sliceReader struct{ b []byte }

func (s *sliceReader) Read(p []byte) (int, error) {
	if len(s.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.b)
	s.b = s.b[n:]
	return n, nil
}

func indexNUL(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}

func appendMax(out, b []byte, max int, truncated *bool) []byte {
	if room := max - len(out); room < len(b) {
		if room > 0 {
			out = append(out, b[:room]...)
		}
		*truncated = true
		return out
	}
	return append(out, b...)
}

func trimEOL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
