// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd

import (
	"bufio"
	"errors"
	"io"
)

// The wire codec is hand-rolled over byte slices instead of asn1-ber's packet
// trees: a request decodes without building a tree, and responses are
// appended to reusable buffers (encode.go). LDAP uses a restricted BER
// (RFC 4511 §5.1): definite lengths only, primitive strings only, so the
// decoder rejects everything else.

// BER identifier octets used by LDAP.
const (
	tagBoolean     = 0x01
	tagInteger     = 0x02
	tagOctetString = 0x04
	tagEnumerated  = 0x0a
	tagSequence    = 0x30
	tagSet         = 0x31

	classContext     = 0x80
	classApplication = 0x40
	constructed      = 0x20
)

// LDAP protocol operation tags (RFC 4511 §4.2–4.14).
const (
	opBindRequest     = 0x60
	opBindResponse    = 0x61
	opUnbindRequest   = 0x42
	opSearchRequest   = 0x63
	opSearchEntry     = 0x64
	opSearchDone      = 0x65
	opModifyRequest   = 0x66
	opModifyResponse  = 0x67
	opAddRequest      = 0x68
	opAddResponse     = 0x69
	opDelRequest      = 0x4a
	opDelResponse     = 0x6b
	opModDNRequest    = 0x6c
	opModDNResponse   = 0x6d
	opCompareRequest  = 0x6e
	opCompareResponse = 0x6f
	opAbandonRequest  = 0x50
	opExtendedRequest = 0x77
	opExtendedResp    = 0x78
)

// errMalformed reports a PDU that does not follow LDAP's BER: the session
// ends with a Notice of Disconnection (RFC 4511 §4.1.1).
var errMalformed = errors.New("malformed BER")

// errTooLarge reports a message over Config.MaxMessageSize.
var errTooLarge = errors.New("message too large")

// readTLV splits the first TLV off b: its identifier octet, its contents and
// what follows. High tag numbers (never used by LDAP) and indefinite or
// over-long lengths are refused.
func readTLV(b []byte) (tag byte, content, rest []byte, err error) {
	if len(b) < 2 {
		return 0, nil, nil, errMalformed
	}
	tag = b[0]
	if tag&0x1f == 0x1f {
		return 0, nil, nil, errMalformed
	}
	n, i := int(b[1]), 2
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 4 || len(b) < 2+k {
			return 0, nil, nil, errMalformed
		}
		n = 0
		for _, c := range b[2 : 2+k] {
			n = n<<8 | int(c)
		}
		i += k
	}
	if n < 0 || n > len(b)-i {
		return 0, nil, nil, errMalformed
	}
	return tag, b[i : i+n], b[i+n:], nil
}

// expect reads a TLV of the given tag off b.
func expect(b []byte, want byte) (content, rest []byte, err error) {
	tag, content, rest, err := readTLV(b)
	if err != nil {
		return nil, nil, err
	}
	if tag != want {
		return nil, nil, errMalformed
	}
	return content, rest, nil
}

// parseInt decodes a two's complement BER integer of at most 8 octets.
func parseInt(b []byte) (int64, error) {
	if len(b) == 0 || len(b) > 8 {
		return 0, errMalformed
	}
	v := int64(int8(b[0]))
	for _, c := range b[1:] {
		v = v<<8 | int64(c)
	}
	return v, nil
}

// readInt reads an element of the given tag holding an integer.
func readInt(b []byte, tag byte) (int64, []byte, error) {
	c, rest, err := expect(b, tag)
	if err != nil {
		return 0, nil, err
	}
	v, err := parseInt(c)
	return v, rest, err
}

// readBool reads a BOOLEAN (any non-zero octet is TRUE, as BER allows).
func readBool(b []byte, tag byte) (bool, []byte, error) {
	c, rest, err := expect(b, tag)
	if err != nil {
		return false, nil, err
	}
	if len(c) != 1 {
		return false, nil, errMalformed
	}
	return c[0] != 0, rest, nil
}

// readString reads an element of the given primitive tag as a string copy.
func readString(b []byte, tag byte) (string, []byte, error) {
	c, rest, err := expect(b, tag)
	if err != nil {
		return "", nil, err
	}
	return string(c), rest, nil
}

// peekTag returns the identifier octet of the next element, or 0 at the end.
func peekTag(b []byte) byte {
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

// readMessageFrame reads the rest of an LDAPMessage whose first octet, tag,
// was already read from r. It returns the contents of the outer SEQUENCE in
// buf (grown as needed), errMalformed for a bad header and errTooLarge for a
// length over limit.
func readMessageFrame(r *bufio.Reader, tag byte, buf []byte, limit int) ([]byte, error) {
	if tag != tagSequence {
		return nil, errMalformed
	}
	l, err := r.ReadByte()
	if err != nil {
		return nil, unexpectedEOF(err)
	}
	n := int(l)
	if l&0x80 != 0 {
		k := int(l & 0x7f)
		if k == 0 || k > 4 {
			return nil, errMalformed
		}
		n = 0
		for range k {
			c, err := r.ReadByte()
			if err != nil {
				return nil, unexpectedEOF(err)
			}
			n = n<<8 | int(c)
		}
	}
	if n > limit {
		return nil, errTooLarge
	}
	if cap(buf) < n {
		buf = make([]byte, n, max(n, min(2*cap(buf), limit)))
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, unexpectedEOF(err)
	}
	return buf, nil
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
