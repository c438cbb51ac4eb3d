// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd

import "sync"

// encoder appends BER to a reusable buffer. Constructed elements are
// opened with begin and closed with end, which patches the length in place
// (moving the contents when the length needs more than one octet), so an
// entry is encoded in one pass without intermediate trees.
type encoder struct {
	b []byte
}

var encoderPool = sync.Pool{New: func() any { return &encoder{b: make([]byte, 0, 4096)} }}

// getEncoder returns an empty pooled encoder.
func getEncoder() *encoder {
	e := encoderPool.Get().(*encoder)
	e.b = e.b[:0]
	return e
}

// putEncoder returns e to the pool unless its buffer grew very large.
func putEncoder(e *encoder) {
	if cap(e.b) <= 1<<20 {
		encoderPool.Put(e)
	}
}

// appendLength appends a BER definite length.
func appendLength(b []byte, n int) []byte {
	switch {
	case n < 0x80:
		return append(b, byte(n))
	case n <= 0xff:
		return append(b, 0x81, byte(n))
	case n <= 0xffff:
		return append(b, 0x82, byte(n>>8), byte(n))
	case n <= 0xffffff:
		return append(b, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// begin opens a constructed element and returns the offset of its contents.
func (e *encoder) begin(tag byte) int {
	e.b = append(e.b, tag, 0)
	return len(e.b)
}

// end closes the element whose contents start at start.
func (e *encoder) end(start int) {
	n := len(e.b) - start
	if n < 0x80 {
		e.b[start-1] = byte(n)
		return
	}
	var hdr [5]byte
	h := appendLength(hdr[:0], n)
	extra := len(h) - 1
	e.b = append(e.b, hdr[:extra]...) // grow by extra bytes
	copy(e.b[start+extra:], e.b[start:start+n])
	copy(e.b[start-1:], h)
}

// str appends a primitive element holding s.
func (e *encoder) str(tag byte, s string) {
	e.b = append(e.b, tag)
	e.b = appendLength(e.b, len(s))
	e.b = append(e.b, s...)
}

// bytes appends a primitive element holding p.
func (e *encoder) bytes(tag byte, p []byte) {
	e.b = append(e.b, tag)
	e.b = appendLength(e.b, len(p))
	e.b = append(e.b, p...)
}

// int appends an INTEGER or ENUMERATED in minimal two's complement.
func (e *encoder) int(tag byte, v int64) {
	n := 1
	for n < 8 && (v < -(1<<(8*n-1)) || v >= 1<<(8*n-1)) {
		n++
	}
	e.b = append(e.b, tag, byte(n))
	for i := n - 1; i >= 0; i-- {
		e.b = append(e.b, byte(v>>(8*i)))
	}
}

// bool appends a BOOLEAN (0xff for TRUE, as DER does).
func (e *encoder) bool(tag byte, v bool) {
	c := byte(0)
	if v {
		c = 0xff
	}
	e.b = append(e.b, tag, 1, c)
}

// result holds the LDAPResult of a response (RFC 4511 §4.1.9).
type result struct {
	code    ResultCode
	matched string
	msg     string
}

// message opens an LDAPMessage with id and a protocolOp of tag op. It
// returns the offsets to pass to close.
func (e *encoder) message(id int32, op byte) (msg, body int) {
	msg = e.begin(tagSequence)
	e.int(tagInteger, int64(id))
	return msg, e.begin(op)
}

// close ends the protocolOp and the message, adding response controls.
func (e *encoder) close(msg, body int, controls ...respControl) {
	e.end(body)
	if len(controls) > 0 {
		cs := e.begin(classContext | constructed | 0)
		for _, c := range controls {
			seq := e.begin(tagSequence)
			e.str(tagOctetString, c.oid)
			e.bytes(tagOctetString, c.value)
			e.end(seq)
		}
		e.end(cs)
	}
	e.end(msg)
}

// respControl is a response control.
type respControl struct {
	oid   string
	value []byte
}

// ldapResult appends the LDAPResult components.
func (e *encoder) ldapResult(r result) {
	e.int(tagEnumerated, int64(r.code))
	e.str(tagOctetString, r.matched)
	e.str(tagOctetString, r.msg)
}

// response appends a whole response made of an LDAPResult.
func (e *encoder) response(id int32, op byte, r result, controls ...respControl) {
	msg, body := e.message(id, op)
	e.ldapResult(r)
	e.close(msg, body, controls...)
}

// extendedResponse appends an ExtendedResponse with optional name and value.
func (e *encoder) extendedResponse(id int32, r result, name string, value []byte) {
	msg, body := e.message(id, opExtendedResp)
	e.ldapResult(r)
	if name != "" {
		e.str(classContext|10, name)
	}
	if value != nil {
		e.bytes(classContext|11, value)
	}
	e.close(msg, body)
}
