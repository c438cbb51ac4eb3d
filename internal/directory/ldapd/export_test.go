// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd

import (
	"bufio"
	"bytes"
	"net"
)

// SetLoopbackCheck replaces the test deciding which client addresses count
// as loopback (and so may bind without TLS). Call it before Serve.
func (s *Server) SetLoopbackCheck(f func(net.Addr) bool) { s.isLoopback = f }

// DecodeRequest decodes one whole LDAPMessage the way the server does, for
// fuzzing. It returns the search request when the message is a search.
func DecodeRequest(b []byte) (*SearchRequest, error) {
	r := bufio.NewReader(bytes.NewReader(b))
	tag, err := r.ReadByte()
	if err != nil {
		return nil, err
	}
	frame, err := readMessageFrame(r, tag, nil, 1<<20)
	if err != nil {
		return nil, err
	}
	m, err := decodeMessage(frame)
	if err != nil {
		return nil, err
	}
	switch m.tag {
	case opBindRequest:
		_, err = decodeBind(m.body)
	case opSearchRequest:
		req, err := decodeSearch(m.body)
		if err == nil {
			_, err = parsePaging(m.controls)
		}
		return req, err
	case opModifyRequest:
		_, err = decodeModify(m.body)
	case opAddRequest:
		_, err = decodeAdd(m.body)
	case opModDNRequest:
		_, err = decodeModDN(m.body)
	case opCompareRequest:
		_, err = decodeCompare(m.body)
	case opAbandonRequest:
		_, err = parseInt(m.body)
	case opExtendedRequest:
		var ext extendedRequest
		if ext, err = decodeExtended(m.body); err == nil && ext.oid == oidPasswordModify && ext.value != nil {
			_, _, _, err = decodePasswdModify(ext.value)
		}
	}
	return nil, err
}
