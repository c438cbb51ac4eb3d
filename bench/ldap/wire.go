// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"time"
)

// wireConn is a minimal LDAPv3 client (RFC 4511) for the measured loops:
// simple bind and search with equality and AND filters, results counted,
// not decoded. go-ldap decodes every entry into a tree of BER packets,
// which costs the client more CPU than the search costs either server; on a
// two-core machine the clients would then measure themselves. The answers
// themselves are checked with go-ldap beforehand (verify.go).
type wireConn struct {
	c      net.Conn
	r      *bufio.Reader
	stamps *stampReader // the kernel's receive times, nil where unavailable
	id     int64
	buf    []byte // the message being read
	out    []byte // the request being sent
}

func dialWire(addr string) (*wireConn, error) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	w := &wireConn{c: c}
	if tc, ok := c.(*net.TCPConn); ok {
		w.stamps = newStampReader(tc)
	}
	if w.stamps != nil {
		w.r = bufio.NewReaderSize(w.stamps, 64<<10)
	} else {
		w.r = bufio.NewReaderSize(c, 64<<10)
	}
	return w, nil
}

// received returns when the last bytes read reached the socket
// (UnixNano, the kernel's receive timestamp), or 0 when unknown. After an
// operation of the closed loop, that is when its answer's last segment
// arrived: nothing else is in flight on the connection.
func (w *wireConn) received() int64 {
	if w.stamps == nil {
		return 0
	}
	return w.stamps.last
}

func (w *wireConn) Close() error { return w.c.Close() }

// tlv appends a BER element with a definite length.
func tlv(b []byte, tag byte, content ...[]byte) []byte {
	n := 0
	for _, c := range content {
		n += len(c)
	}
	b = append(b, tag)
	switch {
	case n < 0x80:
		b = append(b, byte(n))
	case n < 0x100:
		b = append(b, 0x81, byte(n))
	case n < 0x10000:
		b = append(b, 0x82, byte(n>>8), byte(n))
	default:
		b = append(b, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	for _, c := range content {
		b = append(b, c...)
	}
	return b
}

func berInt(tag byte, v int64) []byte {
	var c []byte
	for {
		c = append([]byte{byte(v)}, c...)
		if v >= -128 && v < 128 {
			break
		}
		v >>= 8
	}
	return tlv(nil, tag, c)
}

func octets(s string) []byte { return tlv(nil, 0x04, []byte(s)) }

// eqFilter is the filter (attr=value); andFilter is (&f1 f2 …).
func eqFilter(attr, value string) []byte { return tlv(nil, 0xa3, octets(attr), octets(value)) }
func andFilter(fs ...[]byte) []byte      { return tlv(nil, 0xa0, fs...) }

// send writes one LDAPMessage with op and returns its message ID.
func (w *wireConn) send(op []byte) (int64, error) {
	w.id++
	_, err := w.c.Write(tlv(nil, 0x30, berInt(0x02, w.id), op))
	return w.id, err
}

// bind does a simple bind and fails unless the result is success.
func (w *wireConn) bind(dn, password string) error {
	id, err := w.send(tlv(nil, 0x60, berInt(0x02, 3), octets(dn), tlv(nil, 0x80, []byte(password))))
	if err != nil {
		return err
	}
	tag, body, err := w.read(id)
	if err == nil && tag != 0x61 {
		err = fmt.Errorf("bind: unexpected response tag %#x", tag)
	}
	if err == nil {
		err = ldapResult(body)
	}
	return err
}

// searchTemplate is a SearchRequest without its filter, encoded once: the
// measured loops then build each request without allocating, so that the
// clients' own garbage collections do not add to the latencies they
// measure (on both servers alike).
type searchTemplate struct {
	head  []byte // baseObject, scope (subtree), derefAliases, limits, typesOnly
	attrs []byte // the AttributeSelection
}

func newSearchTemplate(base string, attrs []string) *searchTemplate {
	var as []byte
	for _, a := range attrs {
		as = append(as, octets(a)...)
	}
	return &searchTemplate{
		head: slices.Concat(octets(base), berInt(0x0a, 2), berInt(0x0a, 0), berInt(0x02, 0),
			berInt(0x02, 0), []byte{0x01, 0x01, 0x00}),
		attrs: tlv(nil, 0x30, as),
	}
}

// appendLen appends a BER definite length.
func appendLen(b []byte, n int) []byte {
	switch {
	case n < 0x80:
		return append(b, byte(n))
	case n < 0x100:
		return append(b, 0x81, byte(n))
	case n < 0x10000:
		return append(b, 0x82, byte(n>>8), byte(n))
	}
	return append(b, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// lenLen is the size of appendLen's output for n.
func lenLen(n int) int {
	switch {
	case n < 0x80:
		return 1
	case n < 0x100:
		return 2
	case n < 0x10000:
		return 3
	}
	return 5
}

// search does a subtree search (t with filter) and returns the number of
// entries.
func (w *wireConn) search(t *searchTemplate, filter []byte) (int, error) {
	w.id++
	id := w.id
	var idb [8]byte
	n := 0
	for v := id; ; v >>= 8 {
		idb[7-n] = byte(v)
		n++
		if v < 128 {
			break
		}
	}
	opLen := len(t.head) + len(filter) + len(t.attrs)
	msgLen := 2 + n + 1 + lenLen(opLen) + opLen
	b := append(w.out[:0], 0x30)
	b = appendLen(b, msgLen)
	b = append(b, 0x02, byte(n))
	b = append(b, idb[8-n:]...)
	b = append(b, 0x63)
	b = appendLen(b, opLen)
	b = append(b, t.head...)
	b = append(b, filter...)
	b = append(b, t.attrs...)
	w.out = b
	if _, err := w.c.Write(b); err != nil {
		return 0, err
	}
	entries := 0
	for {
		tag, body, err := w.read(id)
		if err != nil {
			return entries, err
		}
		switch tag {
		case 0x64: // SearchResultEntry
			entries++
		case 0x73: // SearchResultReference
		case 0x65: // SearchResultDone
			return entries, ldapResult(body)
		default:
			return entries, fmt.Errorf("search: unexpected response tag %#x", tag)
		}
	}
}

// read reads one LDAPMessage for message id and returns its protocolOp's
// tag and contents.
func (w *wireConn) read(id int64) (byte, []byte, error) {
	tag, n, err := w.header()
	if err != nil {
		return 0, nil, err
	}
	if tag != 0x30 {
		return 0, nil, fmt.Errorf("LDAPMessage: tag %#x", tag)
	}
	if cap(w.buf) < n {
		w.buf = make([]byte, n)
	}
	w.buf = w.buf[:n]
	if _, err := io.ReadFull(w.r, w.buf); err != nil {
		return 0, nil, err
	}
	t, v, rest, err := element(w.buf)
	if err != nil || t != 0x02 {
		return 0, nil, errors.New("LDAPMessage: bad messageID")
	}
	var got int64
	for _, b := range v {
		got = got<<8 | int64(b)
	}
	t, v, _, err = element(rest)
	if err != nil {
		return 0, nil, err
	}
	if got != id {
		return 0, nil, fmt.Errorf("response to message %d (op %#x) while waiting for %d", got, t, id)
	}
	return t, v, nil
}

// header reads a tag and a definite length from the stream.
func (w *wireConn) header() (byte, int, error) {
	tag, err := w.r.ReadByte()
	if err != nil {
		return 0, 0, err
	}
	l, err := w.r.ReadByte()
	if err != nil {
		return 0, 0, err
	}
	if l < 0x80 {
		return tag, int(l), nil
	}
	k := int(l & 0x7f)
	if k == 0 || k > 4 {
		return 0, 0, fmt.Errorf("BER length of %d bytes", k)
	}
	n := 0
	for range k {
		b, err := w.r.ReadByte()
		if err != nil {
			return 0, 0, err
		}
		n = n<<8 | int(b)
	}
	return tag, n, nil
}

// element splits the first BER element off b.
func element(b []byte) (tag byte, v, rest []byte, err error) {
	if len(b) < 2 {
		return 0, nil, nil, io.ErrUnexpectedEOF
	}
	tag, l, b := b[0], int(b[1]), b[2:]
	if l >= 0x80 {
		k := l & 0x7f
		if k == 0 || k > 4 || len(b) < k {
			return 0, nil, nil, errors.New("bad BER length")
		}
		l = 0
		for _, x := range b[:k] {
			l = l<<8 | int(x)
		}
		b = b[k:]
	}
	if len(b) < l {
		return 0, nil, nil, io.ErrUnexpectedEOF
	}
	return tag, b[:l], b[l:], nil
}

// ldapResult checks an LDAPResult: nil for success, else the code and message.
func ldapResult(body []byte) error {
	t, v, rest, err := element(body)
	if err != nil || t != 0x0a || len(v) == 0 || len(v) > 4 {
		return errors.New("LDAPResult: bad resultCode")
	}
	code := 0
	for _, b := range v {
		code = code<<8 | int(b)
	}
	if code == 0 {
		return nil
	}
	_, _, rest, _ = element(rest) // matchedDN
	_, msg, _, _ := element(rest)
	return fmt.Errorf("LDAP result %d: %s", code, msg)
}
